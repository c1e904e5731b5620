using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SwapSeats.ServiceDefaults;

/// <summary>
/// The one shape of the system's background work (outbox relay, consumers, timers, refunds, cleanups, the revocation
/// watch): a round of work, then a wait until the next one — woken early where something can wake it — and, when a
/// round fails, the one retry schedule (<see cref="Backoff"/>, from <see cref="FirstRetry"/> doubling to
/// <see cref="LongestRetry"/>). A round that throws never ends the worker; stopping the host does.
/// </summary>
public abstract partial class Worker(ILogger logger, TimeProvider time) : BackgroundService
{
    /// <summary>A round's answer meaning "nothing more to do, ever": the worker ends.</summary>
    protected static readonly TimeSpan Done = Timeout.InfiniteTimeSpan;

    protected virtual TimeSpan FirstRetry => TimeSpan.FromMilliseconds(200);

    protected virtual TimeSpan LongestRetry => TimeSpan.FromSeconds(10);

    protected TimeProvider Time { get; } = time;

    /// <summary>Names the worker in its logs.</summary>
    protected virtual string Name => GetType().Name;

    /// <summary>One round of work.</summary>
    /// <returns>How long to wait before the next round (zero: at once, more may be waiting; <see cref="Done"/>: stop).</returns>
    protected abstract Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>Waits between rounds; a worker that can be woken (a commit signal) overrides this.</summary>
    protected virtual Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) => Task.Delay(wait, Time, cancellationToken);

    private DateTimeOffset? _wakeAt;

    /// <summary>
    /// A round's answer for a worker that sleeps until a moment (its next due row): <paramref name="wait"/>, counted from
    /// <paramref name="now"/>, the clock reading the round decided by; <see cref="WakeAt"/> then ends the idle wait at that
    /// moment, not <paramref name="wait"/> after a later reading. A clock that moved in between pushed the wake past the
    /// due row: a test's fake clock advanced while the round ran, and the reservation timer never fired.
    /// </summary>
    protected TimeSpan SleepUntil(DateTimeOffset now, TimeSpan wait)
    {
        _wakeAt = now + wait;
        return wait;
    }

    /// <summary>When the idle wait after this round ends: the moment the round decided (<see cref="SleepUntil"/>), else <paramref name="wait"/> from now.</summary>
    protected DateTimeOffset WakeAt(TimeSpan wait) => _wakeAt ?? Time.GetUtcNow() + wait;

    /// <summary>Waits out the backoff after a failed round; a worker that can tell when its cause is gone overrides this.</summary>
    protected virtual Task RetryAsync(TimeSpan wait, CancellationToken cancellationToken) => Task.Delay(wait, Time, cancellationToken);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                _wakeAt = null;
                wait = await RunOnceAsync(stoppingToken);
                failures = 0;
                if (wait == Done)
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                wait = Backoff.Delay(failures, FirstRetry, LongestRetry);
                LogFailed(logger, ex, Name, failures, wait);
                await RetryAsync(wait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }

            if (wait > TimeSpan.Zero)
            {
                await IdleAsync(wait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Worker} failed ({Failures} in a row); retrying in {Delay}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string worker, int failures, TimeSpan delay);
}

/// <summary>A table that would only grow: what to delete, given the time now. Registered with <see cref="Cleanups.AddCleanup"/>.</summary>
/// <param name="DeleteAsync">Given the cleanup's scope (its DbContext, its options), the time now: deletes, returns how many.</param>
public sealed record Cleanup<TContext>(string Name, Func<IServiceProvider, DateTimeOffset, CancellationToken, Task<int>> DeleteAsync) where TContext : DbContext;

public static class Cleanups
{
    /// <summary>
    /// Deletes what <paramref name="deleteAsync"/> selects, at start and then hourly, in the service's one cleanup worker
    /// (every cleanup of a service runs there, each in its own scope, so one failing does not stop the others).
    /// </summary>
    public static IServiceCollection AddCleanup<TContext>(this IServiceCollection services, string name,
        Func<IServiceProvider, DateTimeOffset, CancellationToken, Task<int>> deleteAsync) where TContext : DbContext
    {
        services.AddSingleton(new Cleanup<TContext>(name, deleteAsync));
        if (!services.Any(d => d.ServiceType == typeof(CleanupWorker<TContext>)))
        {
            services.AddSingleton<CleanupWorker<TContext>>();
            services.AddSingleton<IHostedService>(s => s.GetRequiredService<CleanupWorker<TContext>>());
        }

        return services;
    }
}

/// <summary>Runs a service's <see cref="Cleanup{TContext}"/>s hourly.</summary>
public sealed partial class CleanupWorker<TContext>(
    IServiceScopeFactory scopes, IEnumerable<Cleanup<TContext>> cleanups, TimeProvider time, ILogger<CleanupWorker<TContext>> logger)
    : Worker(logger, time) where TContext : DbContext
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override TimeSpan FirstRetry => TimeSpan.FromMinutes(1);

    protected override TimeSpan LongestRetry => Interval;

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        await RunAllAsync(cancellationToken);
        return Interval;
    }

    /// <summary>Every cleanup once, now; the first failure is rethrown after the others have run.</summary>
    public async Task<Dictionary<string, int>> RunAllAsync(CancellationToken cancellationToken)
    {
        var removed = new Dictionary<string, int>();
        Exception? failure = null;
        foreach (var cleanup in cleanups)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                removed[cleanup.Name] = await cleanup.DeleteAsync(scope.ServiceProvider, Time.GetUtcNow(), cancellationToken);
                if (removed[cleanup.Name] > 0)
                {
                    LogRemoved(logger, removed[cleanup.Name], cleanup.Name);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failure ??= ex;
            }
        }

        return failure is null ? removed : throw failure;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cleanup removed {Count} rows of {Table}")]
    private static partial void LogRemoved(ILogger logger, int count, string table);
}
