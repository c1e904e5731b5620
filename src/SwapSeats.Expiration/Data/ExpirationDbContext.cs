using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using SwapSeats.Expiration.Domain;
using SwapSeats.Messaging;

namespace SwapSeats.Expiration.Data;

public sealed class ExpirationDbContext(DbContextOptions<ExpirationDbContext> options) : DbContext(options)
{
    public DbSet<ReservationTimer> Timers => Set<ReservationTimer>();

    /// <summary>
    /// Whether the order has a timer (or a tombstone), compiled once: a LINQ query (or Find) is otherwise rebuilt,
    /// funcletized and looked up in the query cache on every new order.
    /// </summary>
    public static readonly Func<ExpirationDbContext, Guid, CancellationToken, Task<bool>> HasTimerAsync =
        EF.CompileAsyncQuery((ExpirationDbContext db, Guid orderId, CancellationToken _) => db.Timers.Any(t => t.OrderId == orderId));

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ReservationTimer>(timer =>
        {
            timer.ToTable("timers");
            timer.HasKey(t => t.OrderId);
            timer.Property(t => t.OrderId).HasColumnName("order_id").ValueGeneratedNever();
            timer.Property(t => t.ExpiresAt).HasColumnName("expires_at");
            // The scheduler firing and a handler dropping the same timer: the second writer fails and retries on fresh state.
            timer.Property(t => t.Status).HasColumnName("status").IsConcurrencyToken();
            timer.Property(t => t.UpdatedAt).HasColumnName("updated_at");
            timer.Property(t => t.TraceParent).HasColumnName("trace_parent").HasMaxLength(128);
            // The scheduler's two questions, "what is due?" and "when is the next one?", read only pending rows.
            timer.HasIndex(t => t.ExpiresAt).HasFilter("status = 0").HasDatabaseName("ix_timers_pending_due");
            timer.HasIndex(t => t.UpdatedAt).HasFilter("status <> 0").HasDatabaseName("ix_timers_finished");
        });
        modelBuilder.AddOutboxAndInbox();
    }
}

internal sealed class ExpirationDbContextDesignFactory : IDesignTimeDbContextFactory<ExpirationDbContext>
{
    public ExpirationDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ExpirationDbContext>().UseNpgsql("Host=localhost;Database=expiration").Options);
}
