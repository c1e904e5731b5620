using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SwapSeats.Messaging;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Data;

public sealed class TicketsDbContext(DbContextOptions<TicketsDbContext> options) : DbContext(options)
{
    public DbSet<Ticket> Tickets => Set<Ticket>();

    public DbSet<CancelledOrder> CancelledOrders => Set<CancelledOrder>();

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
            ticket.Property(t => t.OrderId).HasColumnName("order_id");
            ticket.Property(t => t.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            // Optimistic concurrency: a write based on a stale read fails instead of overwriting.
            ticket.Property(t => t.Version).HasColumnName("version").IsConcurrencyToken();
            ticket.Property(t => t.CreatedAt).HasColumnName("created_at");
            // The public list: available tickets, newest (highest UUIDv7) first, keyset-paged by id.
            ticket.HasIndex(t => t.Id).IsDescending().HasFilter("status = 'available'").HasDatabaseName("ix_tickets_available_newest");
            ticket.HasIndex(t => new { t.UserId, t.Id }).IsDescending(false, true).HasDatabaseName("ix_tickets_seller_newest");
        });
        modelBuilder.Entity<CancelledOrder>(order =>
        {
            order.ToTable("cancelled_orders");
            order.HasKey(o => o.OrderId);
            order.Property(o => o.OrderId).HasColumnName("order_id").ValueGeneratedNever();
            order.Property(o => o.TicketId).HasColumnName("ticket_id");
            order.Property(o => o.CancelledAt).HasColumnName("cancelled_at");
        });
        modelBuilder.AddOutboxAndInbox();
    }
}

internal sealed class TicketsDbContextDesignFactory : IDesignTimeDbContextFactory<TicketsDbContext>
{
    public TicketsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<TicketsDbContext>().UseNpgsql("Host=localhost;Database=tickets").Options);
}
