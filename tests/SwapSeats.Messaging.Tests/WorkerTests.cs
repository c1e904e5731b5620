using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SwapSeats.ServiceDefaults;
using SwapSeats.Testing;

namespace SwapSeats.Messaging.Tests;

/// <summary>The one shape of background work: rounds, waits, and the one backoff after failures (on a clock the test moves).</summary>
public sealed class WorkerTests
{
    private sealed class Flaky(int failFirst, TimeProvider time) : Worker(NullLogger.Instance, time)
    {
        private int _rounds;

        public int Rounds => Volatile.Read(ref _rounds);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override TimeSpan FirstRetry => TimeSpan.FromMilliseconds(100);

        protected override TimeSpan LongestRetry => TimeSpan.FromMilliseconds(150);

        protected override Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
        {
            var round = Interlocked.Increment(ref _rounds);
            if (round <= failFirst)
            {
                throw new InvalidOperationException("round failed");
            }

            if (round == failFirst + 3)
            {
                Finished.SetResult();
                return Task.FromResult(Done);
            }

            return Task.FromResult(TimeSpan.Zero);
        }
    }

    /// <summary>A fake clock that counts the timers made on it: the test moves time only once the worker is waiting.</summary>
    private sealed class CountingClock : FakeTimeProvider
    {
        private int _timers;

        public int Timers => Volatile.Read(ref _timers);

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            Interlocked.Increment(ref _timers);
            return timer;
        }
    }

    [Fact]
    public async Task Failed_rounds_are_retried_on_a_doubling_capped_backoff_and_the_worker_keeps_going_until_done()
    {
        var clock = new CountingClock();
        var worker = new Flaky(failFirst: 4, clock);
        await worker.StartAsync(default);
        await Eventually.Until(() => Task.FromResult(worker.Rounds), r => r == 1);

        // After failures 1..4 the worker waits 100 ms, then 150 (capped: doubling alone would give 200, 400, 800).
        foreach (var (round, expected) in new[] { (1, 100), (2, 150), (3, 150), (4, 150) })
        {
            // Failure n has started its n-th wait: moving the clock before that would move it under nobody's timer.
            await Eventually.Until(() => Task.FromResult(clock.Timers), t => t >= round, TimeSpan.FromSeconds(10), $"wait {round}");
            clock.Advance(TimeSpan.FromMilliseconds(expected - 1));
            await Task.Delay(50); // room for a wrongly early round to show itself
            Assert.Equal(round, worker.Rounds);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            await Eventually.Until(() => Task.FromResult(worker.Rounds), r => r > round, TimeSpan.FromSeconds(10), $"round {round + 1}");
        }

        // Successful rounds that ask for no wait follow at once, without the clock moving, until the worker is done.
        await worker.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(7, worker.Rounds);
        await worker.StopAsync(default);
        Assert.Equal(TimeSpan.FromMilliseconds(800), Backoff.Delay(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10)));
    }
}
