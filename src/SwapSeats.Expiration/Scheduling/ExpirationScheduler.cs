using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Expiration.Data;
using SwapSeats.Expiration.Domain;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Expiration.Scheduling;

/// <summary>
/// Fires due timers as <c>expiration.complete</c> events (through the outbox, so NATS being down delays but never loses
/// one). Sleeps until the next due timer; a newly committed timer that falls due before then wakes it, so a nearer one
/// is never overslept (and the many timers due in 15 minutes wake nobody).
/// Due rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>: replicas share the work and never fire one timer twice.
/// </summary>
public sealed partial class ExpirationScheduler(
    IServiceScopeFactory scopes, CommitSignal<ReservationTimer> newTimers, IOptions<ExpirationOptions> options,
    TimeProvider time, ILogger<ExpirationScheduler> logger) : Worker(logger, time)
{
    public static readonly Meter Meter = new("SwapSeats.Expiration");
    private static readonly Counter<long> Fired = Meter.CreateCounter<long>("swapseats.expiration.fired", description: "Timers fired");
    private static readonly Histogram<double> Lateness = Meter.CreateHistogram<double>(
        "swapseats.expiration.lateness", "ms", "How long after expiresAt a timer fired");

    private readonly ExpirationOptions _options = options.Value;

    // The database is away: timers wait in it, and fire (late) once it is back; a second is as late as it may get.
    protected override TimeSpan LongestRetry => TimeSpan.FromSeconds(1);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        while (await FireDueBatchAsync(cancellationToken) == _options.BatchSize)
        {
        }

        return await TimeUntilNextDueAsync(cancellationToken);
    }

    /// <summary>Sleeps until the next due timer, or until a newly committed timer falls due sooner.</summary>
    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        newTimers.WaitUntilAsync(WakeAt(wait), Time, cancellationToken);

    /// <summary>Fires up to one batch of due timers in one transaction with their events.</summary>
    /// <returns>How many fired.</returns>
    public async Task<int> FireDueBatchAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ExpirationDbContext>();
        var now = Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.Timers.FromSql(
                $"SELECT * FROM timers WHERE status = 0 AND expires_at <= {now} ORDER BY expires_at LIMIT {_options.BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        foreach (var timer in due)
        {
            // The expiry belongs to the purchase's trace, not a new one of its own.
            using var activity = MessagingTelemetry.Continue("expiration fire", timer.TraceParent);
            activity?.SetTag("swapseats.order.id", timer.OrderId.ToString());
            timer.Fire(now);
            db.Publish(new ExpirationComplete(timer.OrderId));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        Fired.Add(due.Count);
        foreach (var timer in due)
        {
            Lateness.Record((now - timer.ExpiresAt!.Value).TotalMilliseconds);
        }

        LogFired(logger, due.Count, (now - due[0].ExpiresAt!.Value).TotalMilliseconds);
        return due.Count;
    }

    private async Task<TimeSpan> TimeUntilNextDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ExpirationDbContext>();
        var next = await db.Timers.Where(t => t.Status == TimerStatus.Pending).MinAsync(t => t.ExpiresAt, cancellationToken);
        var now = Time.GetUtcNow();
        return SleepUntil(now, MessagingTelemetry.SleepUntilDue("timers", next, now, _options.MaxSleep));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fired {Count} reservation timers, the oldest {LatenessMs:F0} ms after it was due")]
    private static partial void LogFired(ILogger logger, int count, double latenessMs);

}
