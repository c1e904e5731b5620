using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SwapSeats.Messaging;
using SwapSeats.Notifications.Domain;

namespace SwapSeats.Notifications.Data;

public sealed class NotificationsDbContext(DbContextOptions<NotificationsDbContext> options) : DbContext(options)
{
    public DbSet<Recipient> Recipients => Set<Recipient>();

    public DbSet<TicketCopy> Tickets => Set<TicketCopy>();

    public DbSet<OrderCopy> Orders => Set<OrderCopy>();

    public DbSet<Email> Emails => Set<Email>();

    // The reads each purchase makes, compiled once: a LINQ query is otherwise rebuilt, funcletized and looked up in the
    // query cache on every call, which cost notifications more CPU than running it. Untracked: they are only read.

    /// <summary>A listing's copy and whether an order is known, in one statement (null when the listing is not).</summary>
    public static readonly Func<NotificationsDbContext, Guid, Guid, CancellationToken, Task<TicketAndOrder?>> TicketAndOrderAsync =
        EF.CompileAsyncQuery((NotificationsDbContext db, Guid ticketId, Guid orderId, CancellationToken _) => db.Tickets.AsNoTracking()
            .Where(t => t.Id == ticketId)
            .Select(t => new TicketAndOrder(t, db.Orders.Any(o => o.Id == orderId)))
            .SingleOrDefault());

    /// <summary>An order's copy and its listing's (null when this service has not heard of the listing), in one statement.</summary>
    public static readonly Func<NotificationsDbContext, Guid, CancellationToken, Task<OrderAndTicket?>> OrderAndTicketAsync =
        // A join, not FirstOrDefault in the projection: EF translates that to ROW_NUMBER() over the whole table.
        EF.CompileAsyncQuery((NotificationsDbContext db, Guid orderId, CancellationToken _) => (
                from o in db.Orders.AsNoTracking().Where(o => o.Id == orderId)
                join t in db.Tickets.AsNoTracking() on o.TicketId equals t.Id into tickets
                from t in tickets.DefaultIfEmpty()
                select new OrderAndTicket(o, t))
            .SingleOrDefault());

    /// <summary>A recipient's address, null while their <c>user.created</c> has not arrived.</summary>
    public static readonly Func<NotificationsDbContext, Guid, CancellationToken, Task<string?>> AddressAsync =
        EF.CompileAsyncQuery((NotificationsDbContext db, Guid id, CancellationToken _) =>
            db.Recipients.Where(r => r.Id == id).Select(r => (string?)r.Email).SingleOrDefault());

    public sealed record TicketAndOrder(TicketCopy Ticket, bool OrderKnown);

    public sealed record OrderAndTicket(OrderCopy Order, TicketCopy? Ticket);

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Recipient>(user =>
        {
            user.ToTable("recipients");
            user.HasKey(u => u.Id);
            user.Property(u => u.Id).HasColumnName("id").ValueGeneratedNever();
            user.Property(u => u.Email).HasColumnName("email").HasMaxLength(254).IsRequired();
        });

        modelBuilder.Entity<TicketCopy>(ticket =>
        {
            ticket.ToTable("tickets");
            ticket.HasKey(t => t.Id);
            ticket.Property(t => t.Id).HasColumnName("id").ValueGeneratedNever();
            ticket.Property(t => t.SellerId).HasColumnName("seller_id");
            ticket.Property(t => t.Title).HasColumnName("title").HasMaxLength(120).IsRequired();
            ticket.Property(t => t.EventName).HasColumnName("event_name").HasMaxLength(120);
            ticket.Property(t => t.Venue).HasColumnName("venue").HasMaxLength(120);
            ticket.Property(t => t.City).HasColumnName("city").HasMaxLength(80);
            ticket.Property(t => t.StartsAt).HasColumnName("starts_at");
            ticket.Property(t => t.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            ticket.Property(t => t.OrderId).HasColumnName("order_id");
            ticket.Property(t => t.HasFile).HasColumnName("has_file");
            ticket.Property(t => t.Version).HasColumnName("version").IsConcurrencyToken();
        });

        modelBuilder.Entity<OrderCopy>(order =>
        {
            order.ToTable("orders");
            order.HasKey(o => o.Id);
            order.Property(o => o.Id).HasColumnName("id").ValueGeneratedNever();
            order.Property(o => o.BuyerId).HasColumnName("buyer_id");
            order.Property(o => o.TicketId).HasColumnName("ticket_id");
            order.Property(o => o.Price).HasColumnName("price").HasPrecision(9, 2);
            order.Property(o => o.ExpiresAt).HasColumnName("expires_at");
        });

        modelBuilder.Entity<Email>(email =>
        {
            email.ToTable("emails");
            email.HasKey(e => e.Id);
            email.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            email.Property(e => e.CauseEventId).HasColumnName("cause_event_id");
            email.Property(e => e.Kind).HasColumnName("kind").HasMaxLength(32).IsRequired();
            email.Property(e => e.RecipientId).HasColumnName("recipient_id");
            email.Property(e => e.To).HasColumnName("to_address").HasMaxLength(254);
            email.Property(e => e.Subject).HasColumnName("subject").HasMaxLength(300).IsRequired();
            email.Property(e => e.Text).HasColumnName("text_body").IsRequired();
            email.Property(e => e.Html).HasColumnName("html_body").IsRequired();
            email.Property(e => e.CreatedAt).HasColumnName("created_at");
            email.Property(e => e.SentAt).HasColumnName("sent_at");
            email.Property(e => e.Attempts).HasColumnName("attempts");
            email.Property(e => e.DueAt).HasColumnName("due_at");
            email.Property(e => e.LastError).HasColumnName("last_error").HasMaxLength(500);
            email.Ignore(e => e.MessageId);
            // Never twice for one event and recipient, however often the event is delivered.
            email.HasIndex(e => new { e.CauseEventId, e.RecipientId, e.Kind }).IsUnique().HasDatabaseName("ux_emails_once");
            email.HasIndex(e => e.DueAt).HasFilter("due_at IS NOT NULL").HasDatabaseName("ix_emails_due");
            // Emails waiting for their recipient's address.
            email.HasIndex(e => e.RecipientId).HasFilter("to_address IS NULL").HasDatabaseName("ix_emails_waiting_for_address");
        });

        modelBuilder.AddOutboxAndInbox();
    }
}

internal sealed class NotificationsDbContextDesignFactory : IDesignTimeDbContextFactory<NotificationsDbContext>
{
    public NotificationsDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<NotificationsDbContext>().UseNpgsql("Host=localhost;Database=notifications").Options);
}
