using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Npgsql;
using SwapSeats.Messaging;
using SwapSeats.Orders.Domain;

namespace SwapSeats.Orders.Data;

public sealed class OrdersDbContext(DbContextOptions<OrdersDbContext> options) : DbContext(options)
{
    /// <summary>The lock: at most one order per ticket in a holding status (created, awaitingPayment, complete).</summary>
    public const string OneHoldingOrderPerTicket = "ux_orders_one_holding_order_per_ticket";

    public const string IdempotencyKeyIndex = "pk_idempotent_requests";

    public DbSet<Order> Orders => Set<Order>();

    public DbSet<Ticket> Tickets => Set<Ticket>();

    public DbSet<IdempotentRequest> IdempotentRequests => Set<IdempotentRequest>();

    /// <summary>An event's fields as columns of the row that carries them (event_id, event_name, ...).</summary>
    private static void EventColumns<TOwner>(Microsoft.EntityFrameworkCore.Metadata.Builders.OwnedNavigationBuilder<TOwner, SwapSeats.Contracts.EventInfo> @event) where TOwner : class
    {
        @event.Property(e => e.Id).HasColumnName("event_id");
        @event.Property(e => e.Name).HasColumnName("event_name").HasMaxLength(120);
        @event.Property(e => e.Venue).HasColumnName("event_venue").HasMaxLength(120);
        @event.Property(e => e.City).HasColumnName("event_city").HasMaxLength(80);
        @event.Property(e => e.StartsAt).HasColumnName("event_starts_at");
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Ticket>(ticket =>
        {
            ticket.ToTable("tickets");
            ticket.HasKey(t => t.Id);
            ticket.Property(t => t.Id).HasColumnName("id").ValueGeneratedNever();
            ticket.Property(t => t.Title).HasColumnName("title").HasMaxLength(120).IsRequired();
            ticket.Property(t => t.Price).HasColumnName("price").HasPrecision(9, 2);
            ticket.Property(t => t.UserId).HasColumnName("user_id");
            ticket.Property(t => t.Version).HasColumnName("version").IsConcurrencyToken();
            ticket.Property(t => t.Status).HasColumnName("status").HasMaxLength(16).IsRequired().HasDefaultValue(SwapSeats.Contracts.TicketStatuses.Available);
            ticket.OwnsOne(t => t.Event, EventColumns);
        });

        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("orders");
            order.HasKey(o => o.Id);
            order.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            order.Property(o => o.UserId).HasColumnName("user_id");
            order.Property(o => o.TicketId).HasColumnName("ticket_id");
            order.Property(o => o.TicketTitle).HasColumnName("ticket_title").HasMaxLength(120).IsRequired();
            order.Property(o => o.TicketPrice).HasColumnName("ticket_price").HasPrecision(9, 2);
            order.Property(o => o.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            order.Property(o => o.ExpiresAt).HasColumnName("expires_at");
            order.Property(o => o.CreatedAt).HasColumnName("created_at");
            order.Property(o => o.Version).HasColumnName("version").IsConcurrencyToken();
            order.Property(o => o.CancelReason).HasColumnName("cancel_reason").HasMaxLength(16);
            order.OwnsOne(o => o.TicketEvent, EventColumns);
            order.HasOne<Ticket>().WithMany().HasForeignKey(o => o.TicketId).OnDelete(DeleteBehavior.Restrict);
            order.HasIndex(o => o.TicketId).IsUnique()
                .HasFilter("status IN ('created', 'awaitingPayment', 'complete')")
                .HasDatabaseName(OneHoldingOrderPerTicket);
            order.HasIndex(o => new { o.UserId, o.Id }).IsDescending(false, true).HasDatabaseName("ix_orders_buyer_newest");
        });

        modelBuilder.Entity<IdempotentRequest>(request =>
        {
            request.ToTable("idempotent_requests");
            request.HasKey(r => new { r.UserId, r.Key }).HasName(IdempotencyKeyIndex);
            request.Property(r => r.UserId).HasColumnName("user_id");
            request.Property(r => r.Key).HasColumnName("key").HasMaxLength(255);
            request.Property(r => r.RequestHash).HasColumnName("request_hash").HasMaxLength(64).IsRequired();
            request.Property(r => r.OrderId).HasColumnName("order_id");
            request.Property(r => r.ResponseJson).HasColumnName("response").HasColumnType("jsonb").IsRequired();
            request.Property(r => r.CreatedAt).HasColumnName("created_at");
            request.HasIndex(r => r.CreatedAt).HasDatabaseName("ix_idempotent_requests_created_at");
        });

        modelBuilder.AddOutboxAndInbox();
    }

    /// <summary>The order, row-locked until the caller's transaction ends.</summary>
    public async Task<Order?> LockOrderAsync(Guid orderId, CancellationToken cancellationToken) =>
        (await Orders.FromSql($"SELECT * FROM orders WHERE id = {orderId} FOR UPDATE").ToListAsync(cancellationToken)).SingleOrDefault();

    /// <summary>The order holding the ticket (created, awaitingPayment or complete), row-locked, if there is one.</summary>
    public async Task<Order?> LockHoldingOrderAsync(Guid ticketId, CancellationToken cancellationToken) =>
        (await Orders.FromSql(
                $"SELECT * FROM orders WHERE ticket_id = {ticketId} AND status IN ('created', 'awaitingPayment', 'complete') FOR UPDATE")
            .ToListAsync(cancellationToken))
        .SingleOrDefault();

    /// <summary>Which unique index refused a write, if that is why it failed.</summary>
    public static string? UniqueViolation(DbUpdateException exception) =>
        exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } unique ? unique.ConstraintName : null;
}

internal sealed class OrdersDbContextDesignFactory : IDesignTimeDbContextFactory<OrdersDbContext>
{
    public OrdersDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<OrdersDbContext>().UseNpgsql("Host=localhost;Database=orders").Options);
}
