using System.Diagnostics;
using SwapSeats.Messaging.Outbox;

namespace SwapSeats.Messaging.Tests;

/// <summary>A worker sleeping until its next due row is woken by a commit only when that commit needs it sooner.</summary>
public sealed class CommitSignalTests
{
    [Fact]
    public async Task Rows_due_after_the_planned_wake_do_not_wake_the_worker()
    {
        var signal = new CommitSignal<OutboxMessage>();
        var clock = Stopwatch.StartNew();
        var waiting = signal.WaitUntilAsync(DateTimeOffset.UtcNow.AddMilliseconds(600), TimeProvider.System, default);

        await Task.Delay(100);
        signal.Notify(DateTimeOffset.UtcNow.AddMinutes(15)); // a reservation timer 15 minutes out
        await waiting;

        Assert.True(clock.ElapsedMilliseconds >= 550, $"woke after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_row_due_before_the_planned_wake_wakes_the_worker_at_once()
    {
        var signal = new CommitSignal<OutboxMessage>();
        var clock = Stopwatch.StartNew();
        var waiting = signal.WaitUntilAsync(DateTimeOffset.UtcNow.AddSeconds(10), TimeProvider.System, default);

        await Task.Delay(100);
        signal.Notify(DateTimeOffset.UtcNow.AddSeconds(1));
        await waiting;

        Assert.True(clock.ElapsedMilliseconds < 2000, $"woke after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_commit_without_a_due_time_wakes_the_worker_at_once()
    {
        var signal = new CommitSignal<OutboxMessage>();
        var clock = Stopwatch.StartNew();
        var waiting = signal.WaitUntilAsync(DateTimeOffset.UtcNow.AddSeconds(10), TimeProvider.System, default);

        signal.Notify();
        await waiting;

        Assert.True(clock.ElapsedMilliseconds < 2000, $"woke after {clock.ElapsedMilliseconds} ms");
    }
}
