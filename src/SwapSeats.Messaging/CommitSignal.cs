using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace SwapSeats.Messaging;

/// <summary>
/// Wakes a background worker the moment a transaction that added <typeparamref name="TEntity"/> rows commits (the outbox
/// relay for new events, the expiration scheduler for new timers): no polling on the hot path.
/// </summary>
public sealed class CommitSignal<TEntity> where TEntity : class
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    private readonly Lock _lock = new();
    private DateTimeOffset _earliest = DateTimeOffset.MaxValue;

    /// <param name="dueAt">When the committed rows need the worker (<see cref="IDueAt"/>); the default: at once.</param>
    public void Notify(DateTimeOffset? dueAt = null)
    {
        lock (_lock)
        {
            var due = dueAt ?? DateTimeOffset.MinValue;
            _earliest = due < _earliest ? due : _earliest;
        }

        _channel.Writer.TryWrite(true);
    }

    /// <summary>
    /// Sleeps until <paramref name="wakeAt"/>, or until rows are committed that are due before it. A commit of rows
    /// due later (a reservation timer 15 minutes out) does not wake the worker: it would find nothing to do.
    /// </summary>
    public async Task WaitUntilAsync(DateTimeOffset wakeAt, TimeProvider time, CancellationToken cancellationToken)
    {
        while (true)
        {
            var remaining = wakeAt - time.GetUtcNow();
            if (remaining <= TimeSpan.Zero)
            {
                return;
            }

            await WaitAsync(remaining, cancellationToken, time);
            DateTimeOffset earliest;
            lock (_lock)
            {
                earliest = _earliest;
                _earliest = DateTimeOffset.MaxValue;
            }

            if (earliest < wakeAt)
            {
                return;
            }
        }
    }

    /// <summary>Returns when notified, or after <paramref name="timeout"/> (measured by <paramref name="time"/>) at the latest.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        using var timer = new CancellationTokenSource(timeout, time ?? TimeProvider.System);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            await _channel.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }
}

/// <summary>
/// Notices SaveChanges that add <typeparamref name="TEntity"/> rows and signals once they are committed: right after
/// SaveChanges when it ran in its own transaction, or when the surrounding explicit transaction commits.
/// </summary>
internal sealed class CommitSignalInterceptor<TEntity>(CommitSignal<TEntity> signal) : SaveChangesInterceptor, IDbTransactionInterceptor
    where TEntity : class
{
    private static readonly ConditionalWeakTable<DbContext, StrongBox<DateTimeOffset>> PendingSignal = new();

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result,
        CancellationToken cancellationToken = default)
    {
        Track(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Track(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        SignalIfCommitted(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        SignalIfCommitted(eventData.Context);
        return result;
    }

    private static void Track(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        // The earliest moment any added row needs the worker: now, unless the rows say when they fall due.
        // SaveChanges detects changes over every tracked entity right after its interceptors, one scan per call; a scan
        // here for each signal would double or quadruple that. An added row is known without one (Add sets the state);
        // only a row that may have become due again is checked, and only that row.
        var detecting = context.ChangeTracker.AutoDetectChangesEnabled;
        var earliest = context.ChangeTracker.WithoutDetectingChanges(tracker =>
        {
            var earliest = DateTimeOffset.MaxValue;
            foreach (var entry in tracker.Entries<TEntity>())
            {
                // A new row, or a row that became due again (an email whose address arrived, a payout whose account did).
                // (Only where DueAt is a column: a computed one, like a reservation timer's, never changes by an update.)
                var mayBecomeDue = entry.State is EntityState.Unchanged or EntityState.Modified && entry.Entity is IDueAt
                    && entry.Metadata.FindProperty(nameof(IDueAt.DueAt)) is not null;
                if (mayBecomeDue && detecting)
                {
                    entry.DetectChanges();
                }

                var becameDue = mayBecomeDue && entry.State == EntityState.Modified && entry.Property(nameof(IDueAt.DueAt)).IsModified;
                if (entry.State == EntityState.Added || becameDue)
                {
                    var due = entry.Entity is IDueAt dueAt ? dueAt.DueAt : DateTimeOffset.MinValue;
                    earliest = due < earliest ? due.Value : earliest;
                }
            }

            return earliest;
        });

        if (earliest == DateTimeOffset.MaxValue)
        {
            return;
        }

        var pending = PendingSignal.GetValue(context, _ => new StrongBox<DateTimeOffset>(DateTimeOffset.MaxValue));
        pending.Value = earliest < pending.Value ? earliest : pending.Value;
    }

    private void SignalIfCommitted(DbContext? context)
    {
        if (context is not null && context.Database.CurrentTransaction is null && PendingSignal.TryGetValue(context, out var due))
        {
            PendingSignal.Remove(context);
            signal.Notify(due.Value);
        }
    }

    public void TransactionCommitted(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData) =>
        SignalAfterCommit(eventData.Context);

    public Task TransactionCommittedAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        SignalAfterCommit(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData) =>
        Forget(eventData.Context);

    public Task TransactionRolledBackAsync(System.Data.Common.DbTransaction transaction, TransactionEndEventData eventData,
        CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private void SignalAfterCommit(DbContext? context)
    {
        if (context is not null && PendingSignal.TryGetValue(context, out var due))
        {
            PendingSignal.Remove(context);
            signal.Notify(due.Value);
        }
    }

    private static void Forget(DbContext? context)
    {
        if (context is not null)
        {
            PendingSignal.Remove(context);
        }
    }
}

/// <summary>A row that needs its worker at a given moment (a timer at its due time), not as soon as it is committed.</summary>
public interface IDueAt
{
    /// <summary>When the worker must look at this row; null: never (a tombstone).</summary>
    DateTimeOffset? DueAt { get; }
}

public static class CommitSignalExtensions
{
    /// <summary>Registers <see cref="CommitSignal{TEntity}"/> and the interceptor that fires it for every DbContext.</summary>
    public static IServiceCollection AddCommitSignal<TEntity>(this IServiceCollection services) where TEntity : class
    {
        services.AddSingleton<CommitSignal<TEntity>>();
        services.AddSingleton<IInterceptor, CommitSignalInterceptor<TEntity>>();
        return services;
    }
}
