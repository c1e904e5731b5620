using Microsoft.Extensions.Time.Testing;
using SwapSeats.Orders.Api;

namespace SwapSeats.Orders.Tests;

/// <summary>
/// A rush's refusals share reads, but never one read before the buyer arrived; a buyer who may still win always reads
/// for themself.
/// </summary>
public sealed class SharedLookUpsTests
{
    private sealed record Look(bool Held);

    private static readonly Func<Look, bool> Refuses = look => look.Held;

    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-12-04T12:00:00Z"));

    /// <summary>A read the test answers when it likes, remembering the moment it was asked about.</summary>
    private sealed class Read
    {
        private readonly TaskCompletionSource<Look?> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public DateTimeOffset? AsOf { get; private set; }

        /// <summary>Completes once the read has been sent.</summary>
        public Task Started => _started.Task;

        public Task<Look?> RunAsync(DateTimeOffset asOf)
        {
            AsOf = asOf;
            _started.SetResult();
            return _answer.Task;
        }

        public void Answer(Look? look) => _answer.SetResult(look);

        public void Fail() => _answer.SetCanceled();
    }

    private static Func<DateTimeOffset, Task<Look?>> Answering(Look look) => _ => Task.FromResult<Look?>(look);

    /// <summary>What a buyer is told, failing the test instead of hanging it when a broken change never answers.</summary>
    private static Task<T> Soon<T>(Task<T> answer) => answer.WaitAsync(TimeSpan.FromSeconds(10));

    private static Task Soon(Task started) => started.WaitAsync(TimeSpan.FromSeconds(10));

    [Fact]
    public async Task Buyers_arriving_during_a_read_share_the_next_one_which_starts_after_them()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var ticket = Guid.CreateVersion7();
        var first = new Read();
        var second = new Read();
        var third = new Read();
        var firstBuyer = lookUps.ReadAsync(ticket, Refuses, first.RunAsync, CancellationToken.None);

        _clock.Advance(TimeSpan.FromMilliseconds(5));
        var secondBuyer = lookUps.ReadAsync(ticket, Refuses, second.RunAsync, CancellationToken.None);
        var thirdBuyer = lookUps.ReadAsync(ticket, Refuses, third.RunAsync, CancellationToken.None);
        // Free when the first read looked, so what it says is for its own buyer only, and the next read waits for it.
        Assert.Null(second.AsOf);
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        first.Answer(new Look(Held: false));
        Assert.False((await Soon(firstBuyer)).Look!.Held);

        await Soon(second.Started);
        Assert.Equal(_clock.GetUtcNow(), second.AsOf); // judged as of its start: after both buyers arrived

        // A buyer arriving once that read has been sent is not answered by it, but by the one after it.
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        var fourth = new Read();
        var fourthBuyer = lookUps.ReadAsync(ticket, Refuses, fourth.RunAsync, CancellationToken.None);
        second.Answer(new Look(Held: true));

        var (secondLook, secondAsOf) = await Soon(secondBuyer);
        var (thirdLook, thirdAsOf) = await Soon(thirdBuyer);
        Assert.True(secondLook!.Held);
        Assert.Same(secondLook, thirdLook);
        Assert.Equal(secondAsOf, thirdAsOf);
        Assert.Null(third.AsOf); // the third buyer sent no read of their own

        await Soon(fourth.Started);
        Assert.Equal(_clock.GetUtcNow(), fourth.AsOf);
        Assert.False(fourthBuyer.IsCompleted);
        fourth.Answer(new Look(Held: false)); // released since: the fourth buyer may win
        Assert.False((await Soon(fourthBuyer)).Look!.Held);
    }

    [Fact]
    public async Task A_buyer_whose_shared_answer_would_let_them_win_reads_for_themself()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var ticket = Guid.CreateVersion7();
        var first = new Read();
        var second = new Read();
        _ = lookUps.ReadAsync(ticket, Refuses, first.RunAsync, CancellationToken.None);
        var secondBuyer = lookUps.ReadAsync(ticket, Refuses, second.RunAsync, CancellationToken.None);
        var thirdBuyer = lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: true)), CancellationToken.None);
        first.Answer(new Look(Held: true));

        await Soon(second.Started);
        second.Answer(new Look(Held: false)); // released meanwhile: the second buyer may win, the third must look again

        Assert.False((await Soon(secondBuyer)).Look!.Held);
        Assert.True((await Soon(thirdBuyer)).Look!.Held); // its own read (taken since)
    }

    [Fact]
    public async Task When_the_buyer_leading_a_read_hangs_up_the_others_read_for_themselves()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var ticket = Guid.CreateVersion7();
        var first = new Read();
        _ = lookUps.ReadAsync(ticket, Refuses, first.RunAsync, CancellationToken.None);
        using var hangsUp = new CancellationTokenSource();
        var leader = lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: true)), hangsUp.Token);
        var waiting = lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: false)), CancellationToken.None);

        await hangsUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Soon(leader));
        Assert.False((await Soon(waiting)).Look!.Held);
        first.Answer(new Look(Held: true));
    }

    [Fact]
    public async Task A_failed_read_fails_only_its_own_buyer()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var ticket = Guid.CreateVersion7();
        var first = new Read();
        var second = new Read();
        var firstBuyer = lookUps.ReadAsync(ticket, Refuses, first.RunAsync, CancellationToken.None);
        var secondBuyer = lookUps.ReadAsync(ticket, Refuses, second.RunAsync, CancellationToken.None);
        var thirdBuyer = lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: false)), CancellationToken.None);

        first.Fail(); // the database went away under the first buyer: the next read goes ahead all the same
        await Soon(second.Started);
        second.Fail();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Soon(firstBuyer));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Soon(secondBuyer));
        Assert.False((await Soon(thirdBuyer)).Look!.Held);
    }

    [Fact]
    public async Task A_waiting_buyer_who_hangs_up_stops_waiting()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var ticket = Guid.CreateVersion7();
        var first = new Read();
        _ = lookUps.ReadAsync(ticket, Refuses, first.RunAsync, CancellationToken.None);
        _ = lookUps.ReadAsync(ticket, Refuses, new Read().RunAsync, CancellationToken.None);
        using var hangsUp = new CancellationTokenSource();
        var waiting = lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: true)), hangsUp.Token);

        await hangsUp.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Soon(waiting));
        first.Answer(new Look(Held: true));
    }

    [Fact]
    public async Task Nothing_is_remembered_once_a_read_has_answered()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var ticket = Guid.CreateVersion7();
        Assert.True((await Soon(lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: true)), CancellationToken.None))).Look!.Held);

        // Released since (a cancellation): the next buyer's own read says so.
        Assert.False((await Soon(lookUps.ReadAsync(ticket, Refuses, Answering(new Look(Held: false)), CancellationToken.None))).Look!.Held);
    }

    [Fact]
    public async Task Reads_of_different_tickets_are_not_shared()
    {
        var lookUps = new SharedLookUps<Look>(_clock);
        var first = new Read();
        _ = lookUps.ReadAsync(Guid.CreateVersion7(), Refuses, first.RunAsync, CancellationToken.None);

        var other = await Soon(lookUps.ReadAsync(Guid.CreateVersion7(), Refuses, Answering(new Look(Held: false)), CancellationToken.None));

        Assert.False(other.Look!.Held);
        first.Answer(null);
    }
}
