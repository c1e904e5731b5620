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
            refund.HasOne<Payment>().WithMany().HasForeignKey(r => r.PaymentId).OnDelete(DeleteBehavior.Restrict);
            refund.HasIndex(r => r.PaymentId).IsUnique().HasDatabaseName("ux_refunds_payment");
            refund.HasIndex(r => r.NextAttemptAt).HasFilter("NOT done").HasDatabaseName("ix_refunds_pending");
        });

        modelBuilder.AddOutboxAndInbox();
    }
}

internal sealed class PaymentsDbContextDesignFactory : IDesignTimeDbContextFactory<PaymentsDbContext>
{
    public PaymentsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PaymentsDbContext>().UseNpgsql("Host=localhost;Database=payments").Options);
}
