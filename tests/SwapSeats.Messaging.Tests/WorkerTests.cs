using Microsoft.Extensions.Logging.Abstractions;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Messaging.Tests;

/// <summary>The one shape of background work: rounds, waits, and the one backoff after failures.</summary>
public sealed class WorkerTests
{
    private sealed class Flaky(int failFirst) : Worker(NullLogger.Instance, TimeProvider.System)
    {
        public List<(DateTime At, bool Failed)> Rounds { get; } = [];

        public TaskCompletionSource Finished { get; } = new();

        protected override TimeSpan FirstRetry => TimeSpan.FromMilliseconds(100);

        protected override TimeSpan LongestRetry => TimeSpan.FromMilliseconds(150);

        protected override Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
        {
            var failed = Rounds.Count < failFirst;
            Rounds.Add((DateTime.UtcNow, failed));
            if (failed)
            {
                throw new InvalidOperationException("round failed");
            }

            if (Rounds.Count == failFirst + 3)
            {
                Finished.SetResult();
                return Task.FromResult(Done);
            }

            return Task.FromResult(TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task Failed_rounds_are_retried_on_a_doubling_capped_backoff_and_the_worker_keeps_going_until_done()
    {
        var worker = new Flaky(failFirst: 4);

        await worker.StartAsync(default);
        await worker.Finished.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await worker.StopAsync(default);

        Assert.Equal(7, worker.Rounds.Count);
        Assert.Equal([true, true, true, true, false, false, false], worker.Rounds.Select(r => r.Failed));
        var gaps = worker.Rounds.Zip(worker.Rounds.Skip(1), (a, b) => (b.At - a.At).TotalMilliseconds).ToList();
        // After failures 1..4: 100 ms, then 150 (capped: doubling alone would give 200, 400, 800); no wait between
        // successful rounds that ask for none. Upper bounds leave room for a busy machine, not for a missing cap.
        Assert.InRange(gaps[0], 90, 400);
        Assert.InRange(gaps[1], 140, 600);
        Assert.InRange(gaps[2], 140, 600);
        Assert.InRange(gaps[3], 140, 600);
        Assert.InRange(gaps[4], 0, 200);
        Assert.Equal(TimeSpan.FromMilliseconds(800), Backoff.Delay(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10)));
    }
}
