using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SwapSeats.Messaging;
using SwapSeats.Payments.Domain;

namespace SwapSeats.Payments.Data;

public sealed class PaymentsDbContext(DbContextOptions<PaymentsDbContext> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    public DbSet<Payment> Payments => Set<Payment>();

    public DbSet<Refund> Refunds => Set<Refund>();

    public DbSet<Payout> Payouts => Set<Payout>();

    public DbSet<Listing> Listings => Set<Listing>();

    public DbSet<SellerAccount> SellerAccounts => Set<SellerAccount>();

    // The reads each purchase makes, compiled once: a LINQ query is otherwise rebuilt, funcletized and looked up in the
    // query cache on every call, which cost payments more CPU than running it. Untracked: they are only read.

    /// <summary>The version of the order's replica row, null when it has none.</summary>
    public static readonly Func<PaymentsDbContext, Guid, CancellationToken, Task<int?>> OrderVersionAsync =
        EF.CompileAsyncQuery((PaymentsDbContext db, Guid id, CancellationToken _) => db.Orders.Where(o => o.Id == id).Select(o => (int?)o.Version).SingleOrDefault());

    /// <summary>
    /// What the pay path reads once it holds the order's lock, in one round trip: the statuses of the order's payments so
    /// far, and the replica row of its listing (seller, event start, file) that the seller's payout is made from.
    /// </summary>
    public static async Task<(string[] Statuses, Listing? Listing)> PaymentStatusesAndListingAsync(
        PaymentsDbContext db, Guid orderId, Guid? ticketId, CancellationToken cancellationToken) =>
        (await PlainSql.ReadAsync(db, """
                SELECT ARRAY(SELECT p.status FROM payments AS p WHERE p.order_id = $1),
                       l.id, l.seller_id, l.event_starts_at, l.has_file, l.version
                FROM (VALUES (1)) AS one LEFT JOIN listings AS l ON l.id = $2
                """,
            row => (row.GetFieldValue<string[]>(0), row.IsDBNull(1) ? null
                : Listing.Replicate(row.GetGuid(1), row.GetGuid(2), row.IsDBNull(3) ? null : row.GetFieldValue<DateTimeOffset>(3), row.GetBoolean(4), row.GetInt32(5))),
            cancellationToken, orderId, ticketId ?? Guid.Empty)).Single();

    /// <summary>The order's replica row, locked until the transaction ends: payments in flight and order events queue on it.</summary>
    public async Task<Order?> LockOrderAsync(Guid orderId, CancellationToken cancellationToken) =>
        (await Orders.FromSql($"SELECT * FROM orders WHERE id = {orderId} FOR UPDATE").ToListAsync(cancellationToken)).SingleOrDefault();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.HasKey(o => o.Id);
            order.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            order.Property(o => o.UserId).HasColumnName("user_id");
            order.Property(o => o.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            order.Property(o => o.ExpiresAt).HasColumnName("expires_at");
            order.Property(o => o.Price).HasColumnName("price").HasPrecision(9, 2);
            order.Property(o => o.Version).HasColumnName("version").IsConcurrencyToken();
            order.Property(o => o.ChargeReference).HasColumnName("charge_reference").HasMaxLength(255);
            order.Property(o => o.ChargeCheckDueAt).HasColumnName("charge_check_due_at");
            order.Property(o => o.ChargeChecks).HasColumnName("charge_checks");
            order.Property(o => o.TicketId).HasColumnName("ticket_id");
            order.HasIndex(o => o.ChargeCheckDueAt).HasFilter("charge_check_due_at IS NOT NULL").HasDatabaseName("ix_orders_charge_check_due");
        });

        modelBuilder.Entity<Payment>(payment =>
        {
            payment.ToTable("payments");
            payment.HasKey(p => p.Id);
            payment.Property(p => p.Id).HasColumnName("id").ValueGeneratedNever();
            payment.Property(p => p.OrderId).HasColumnName("order_id");
            payment.Property(p => p.UserId).HasColumnName("user_id");
            payment.Property(p => p.Amount).HasColumnName("amount");
            payment.Property(p => p.Currency).HasColumnName("currency").HasMaxLength(3).IsRequired();
            payment.Property(p => p.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            payment.Property(p => p.ProviderReference).HasColumnName("provider_reference").HasMaxLength(255).IsRequired();
            payment.Property(p => p.CreatedAt).HasColumnName("created_at");
            payment.Property(p => p.RefundReason).HasColumnName("refund_reason").HasMaxLength(32);
            payment.HasOne<Order>().WithMany().HasForeignKey(p => p.OrderId).OnDelete(DeleteBehavior.Restrict);
            // The last line of defence behind the order row lock: one successful charge per order, ever.
            payment.HasIndex(p => p.OrderId).IsUnique().HasFilter("status IN ('succeeded', 'refunded')")
                .HasDatabaseName("ux_payments_one_charge_per_order");
            payment.HasIndex(p => new { p.UserId, p.Id }).IsDescending(false, true).HasDatabaseName("ix_payments_payer_newest");
        });

        modelBuilder.Entity<Refund>(refund =>
        {
            refund.ToTable("refunds");
            refund.HasKey(r => r.Id);
            refund.Property(r => r.Id).HasColumnName("id").ValueGeneratedNever();
            refund.Property(r => r.PaymentId).HasColumnName("payment_id");
            refund.Property(r => r.Done).HasColumnName("done");
            refund.Property(r => r.Attempts).HasColumnName("attempts");
            refund.Property(r => r.NextAttemptAt).HasColumnName("next_attempt_at");
            refund.Property(r => r.ProviderReference).HasColumnName("provider_reference").HasMaxLength(255);
            refund.Property(r => r.CreatedAt).HasColumnName("created_at");
            refund.Property(r => r.TraceParent).HasColumnName("trace_parent").HasMaxLength(128);
            refund.Property(r => r.Reason).HasColumnName("reason").HasMaxLength(32).HasDefaultValue(RefundReasons.OrderCancelled);
            refund.HasOne<Payment>().WithMany().HasForeignKey(r => r.PaymentId).OnDelete(DeleteBehavior.Restrict);
            refund.HasIndex(r => r.PaymentId).IsUnique().HasDatabaseName("ux_refunds_payment");
            refund.HasIndex(r => r.NextAttemptAt).HasFilter("NOT done").HasDatabaseName("ix_refunds_pending");
        });

        modelBuilder.Entity<Payout>(payout =>
        {
            payout.ToTable("payouts");
            payout.HasKey(p => p.Id);
            payout.Property(p => p.Id).HasColumnName("id").ValueGeneratedNever();
            payout.Property(p => p.PaymentId).HasColumnName("payment_id");
            payout.Property(p => p.OrderId).HasColumnName("order_id");
            payout.Property(p => p.TicketId).HasColumnName("ticket_id");
            payout.Property(p => p.SellerId).HasColumnName("seller_id");
            payout.Property(p => p.Price).HasColumnName("price").HasPrecision(9, 2);
            payout.Property(p => p.Fee).HasColumnName("fee").HasPrecision(9, 2);
            payout.Property(p => p.Amount).HasColumnName("amount").HasPrecision(9, 2);
            payout.Property(p => p.Currency).HasColumnName("currency").HasMaxLength(3).IsRequired();
            payout.Property(p => p.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            payout.Property(p => p.EventStartsAt).HasColumnName("event_starts_at");
            payout.Property(p => p.ReleaseAt).HasColumnName("release_at");
            payout.Property(p => p.Delivered).HasColumnName("delivered");
            payout.Property(p => p.DueAt).HasColumnName("due_at");
            payout.Property(p => p.HoldReason).HasColumnName("hold_reason").HasMaxLength(200);
            payout.Property(p => p.Attempts).HasColumnName("attempts");
            payout.Property(p => p.ProviderReference).HasColumnName("provider_reference").HasMaxLength(255);
            payout.Property(p => p.PaidAt).HasColumnName("paid_at");
            payout.Property(p => p.CreatedAt).HasColumnName("created_at");
            payout.Property(p => p.TraceParent).HasColumnName("trace_parent").HasMaxLength(128);
            payout.HasOne<Payment>().WithOne().HasForeignKey<Payout>(p => p.PaymentId).OnDelete(DeleteBehavior.Restrict);
            // One payout per payment, however the payment's transaction is retried.
            payout.HasIndex(p => p.PaymentId).IsUnique().HasDatabaseName("ux_payouts_payment");
            // The processor's claim: held payouts by when they fall due.
            payout.HasIndex(p => p.DueAt).HasFilter("status = 'held' AND due_at IS NOT NULL").HasDatabaseName("ix_payouts_due");
            payout.HasIndex(p => new { p.SellerId, p.Id }).IsDescending(false, true).HasDatabaseName("ix_payouts_seller_newest");
            payout.HasIndex(p => p.TicketId).HasDatabaseName("ix_payouts_ticket");
        });

        modelBuilder.Entity<Listing>(listing =>
        {
            listing.ToTable("listings");
            listing.HasKey(l => l.Id);
            listing.Property(l => l.Id).HasColumnName("id").ValueGeneratedNever();
            listing.Property(l => l.SellerId).HasColumnName("seller_id");
            listing.Property(l => l.EventStartsAt).HasColumnName("event_starts_at");
            listing.Property(l => l.HasFile).HasColumnName("has_file");
            listing.Property(l => l.Version).HasColumnName("version").IsConcurrencyToken();
        });

        modelBuilder.Entity<SellerAccount>(account =>
        {
            account.ToTable("seller_accounts");
            account.HasKey(a => a.SellerId);
            account.Property(a => a.SellerId).HasColumnName("seller_id").ValueGeneratedNever();
            account.Property(a => a.StripeAccountId).HasColumnName("stripe_account_id").HasMaxLength(255).IsRequired();
            account.Property(a => a.UpdatedAt).HasColumnName("updated_at");
        });

        modelBuilder.AddOutboxAndInbox();
    }
}

internal sealed class PaymentsDbContextDesignFactory : IDesignTimeDbContextFactory<PaymentsDbContext>
{
    public PaymentsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PaymentsDbContext>().UseNpgsql("Host=localhost;Database=payments").Options);
}
