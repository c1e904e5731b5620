using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SwapSeats.Messaging;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Data;

public sealed class TicketsDbContext(DbContextOptions<TicketsDbContext> options) : DbContext(options)
{
    public DbSet<Ticket> Tickets => Set<Ticket>();

    public DbSet<Event> Events => Set<Event>();

    public DbSet<CancelledOrder> CancelledOrders => Set<CancelledOrder>();

    public DbSet<TicketFile> TicketFiles => Set<TicketFile>();

    // The reads each purchase makes, compiled once: a LINQ query is otherwise rebuilt, funcletized and looked up in the
    // query cache on every call, which cost tickets more CPU than running it.

    /// <summary>The ticket with its event, tracked (the caller changes it).</summary>
    public static readonly Func<TicketsDbContext, Guid, CancellationToken, Task<Ticket?>> TicketWithEventAsync =
        EF.CompileAsyncQuery((TicketsDbContext db, Guid id, CancellationToken _) => db.Tickets.Include(t => t.Event).SingleOrDefault(t => t.Id == id));

    /// <summary>Whether the order's cancellation has been seen (its tombstone).</summary>
    public static readonly Func<TicketsDbContext, Guid, CancellationToken, Task<bool>> OrderCancelledAsync =
        EF.CompileAsyncQuery((TicketsDbContext db, Guid orderId, CancellationToken _) => db.CancelledOrders.Any(o => o.OrderId == orderId));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Ticket>(ticket =>
        {
            ticket.ToTable("tickets");
            ticket.HasKey(t => t.Id);
            ticket.Property(t => t.Id).HasColumnName("id").ValueGeneratedNever();
            ticket.Property(t => t.EventId).HasColumnName("event_id");
            ticket.HasOne(t => t.Event).WithMany().HasForeignKey(t => t.EventId).OnDelete(DeleteBehavior.Restrict);
            ticket.Property(t => t.Title).HasColumnName("title").HasMaxLength(120).IsRequired();
            ticket.Property(t => t.Price).HasColumnName("price").HasPrecision(9, 2);
            ticket.Property(t => t.FaceValue).HasColumnName("face_value").HasPrecision(9, 2);
            ticket.Property(t => t.SearchText).HasColumnName("search_text").IsRequired();
            ticket.Property(t => t.HasFile).HasColumnName("has_file");
            ticket.Property(t => t.UserId).HasColumnName("user_id");
            ticket.Property(t => t.OrderId).HasColumnName("order_id");
            ticket.Property(t => t.BuyerId).HasColumnName("buyer_id");
            ticket.Property(t => t.SoldAt).HasColumnName("sold_at");
            ticket.Property(t => t.Status).HasColumnName("status").HasMaxLength(16).IsRequired();
            // Optimistic concurrency: a write based on a stale read fails instead of overwriting.
            ticket.Property(t => t.Version).HasColumnName("version").IsConcurrencyToken();
            ticket.Property(t => t.CreatedAt).HasColumnName("created_at");
            // The public list: available tickets, newest (highest UUIDv7) first, keyset-paged by id.
            ticket.HasIndex(t => t.Id).IsDescending().HasFilter("status = 'available'").HasDatabaseName("ix_tickets_available_newest");
            ticket.HasIndex(t => new { t.UserId, t.Id }).IsDescending(false, true).HasDatabaseName("ix_tickets_seller_newest");
            // An event's listings, and its live count and from-price.
            ticket.HasIndex(t => new { t.EventId, t.Price }).HasFilter("status = 'available'").HasDatabaseName("ix_tickets_event_available_price");
            // Every word of a search, anywhere in the seat, event name or venue: LIKE '%word%' served by trigrams.
            // "My tickets": what a buyer bought, newest purchase first.
            ticket.HasIndex(t => new { t.BuyerId, t.SoldAt }).IsDescending(false, true).HasFilter("status = 'sold'").HasDatabaseName("ix_tickets_buyer_sold");
            ticket.HasIndex(t => t.SearchText).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_tickets_search_trgm");
        });
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.Entity<Event>(@event =>
        {
            @event.ToTable("events");
            @event.HasKey(e => e.Id);
            @event.Property(e => e.Id).HasColumnName("id").ValueGeneratedNever();
            @event.Property(e => e.Name).HasColumnName("name").HasMaxLength(120).IsRequired();
            @event.Property(e => e.Venue).HasColumnName("venue").HasMaxLength(120).IsRequired();
            @event.Property(e => e.City).HasColumnName("city").HasMaxLength(80).IsRequired();
            @event.Property(e => e.StartsAt).HasColumnName("starts_at");
            @event.Property(e => e.NameKey).HasColumnName("name_key").HasMaxLength(120).IsRequired();
            @event.Property(e => e.VenueKey).HasColumnName("venue_key").HasMaxLength(120).IsRequired();
            @event.Property(e => e.CityKey).HasColumnName("city_key").HasMaxLength(80).IsRequired();
            @event.Property(e => e.CreatedBy).HasColumnName("created_by");
            @event.Property(e => e.CreatedAt).HasColumnName("created_at");
            // The same event is never created twice, however many create it at once.
            @event.HasIndex(e => new { e.NameKey, e.VenueKey, e.CityKey, e.StartsAt }).IsUnique().HasDatabaseName("ux_events_natural_key");
            // Upcoming events soonest first, keyset-paged by (starts_at, id).
            @event.HasIndex(e => new { e.StartsAt, e.Id }).HasDatabaseName("ix_events_starts_at");
        });
        modelBuilder.Entity<TicketFile>(file =>
        {
            // Apart from the listing rows: no list or change of a ticket reads these bytes.
            file.ToTable("ticket_files");
            file.HasKey(f => f.TicketId);
            file.Property(f => f.TicketId).HasColumnName("ticket_id").ValueGeneratedNever();
            file.HasOne<Ticket>().WithOne().HasForeignKey<TicketFile>(f => f.TicketId).OnDelete(DeleteBehavior.Cascade);
            file.Property(f => f.ContentType).HasColumnName("content_type").HasMaxLength(32).IsRequired();
            file.Property(f => f.Content).HasColumnName("content").IsRequired();
            file.Property(f => f.Sha256).HasColumnName("sha256").HasMaxLength(32).IsRequired();
            file.Property(f => f.UploadedAt).HasColumnName("uploaded_at");
            file.Ignore(f => f.FileName);
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
