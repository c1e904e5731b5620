using SwapSeats.Orders.Api;

namespace SwapSeats.Orders.Tests;

/// <summary>A rush's refusals share the reads in flight; a buyer who may still win always reads for themself.</summary>
public sealed class SharedLookUpsTests
{
    private sealed record Look(bool Held);

    private static readonly Func<Look, bool> Refuses = look => look.Held;

    [Fact]
    public async Task A_buyer_arriving_while_a_refusing_read_is_in_flight_is_answered_by_it_without_a_read_of_their_own()
    {
        var lookUps = new SharedLookUps<Look>();
        var ticket = Guid.CreateVersion7();
        var inFlight = new TaskCompletionSource<Look?>();
        var first = lookUps.ReadAsync(ticket, Refuses, () => inFlight.Task);
        var ownReads = 0;

        var second = lookUps.ReadAsync(ticket, Refuses, () =>
        {
            ownReads++;
            return Task.FromResult<Look?>(new Look(Held: true));
        });
        Assert.False(second.IsCompleted); // waiting for the read in flight
        var held = new Look(Held: true);
        inFlight.SetResult(held);

        Assert.Same(held, await first);
        Assert.Same(held, await second);
        Assert.Equal(0, ownReads);
    }

    [Fact]
    public async Task A_buyer_who_may_still_win_reads_for_themself_even_while_another_read_is_in_flight()
    {
        var lookUps = new SharedLookUps<Look>();
        var ticket = Guid.CreateVersion7();
        var inFlight = new TaskCompletionSource<Look?>();
        _ = lookUps.ReadAsync(ticket, Refuses, () => inFlight.Task);

        var second = lookUps.ReadAsync(ticket, Refuses, () => Task.FromResult<Look?>(new Look(Held: true)));
        inFlight.SetResult(new Look(Held: false)); // free when the first read looked; taken by the time the second does

        Assert.True((await second)!.Held);
    }

    [Fact]
    public async Task A_shared_read_that_fails_fails_only_its_own_buyer()
    {
        var lookUps = new SharedLookUps<Look>();
        var ticket = Guid.CreateVersion7();
        var inFlight = new TaskCompletionSource<Look?>();
        var first = lookUps.ReadAsync(ticket, Refuses, () => inFlight.Task);

        var second = lookUps.ReadAsync(ticket, Refuses, () => Task.FromResult<Look?>(new Look(Held: false)));
        inFlight.SetCanceled(); // the first buyer hung up

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False((await second)!.Held);
    }

    [Fact]
    public async Task Nothing_is_remembered_once_the_read_has_answered()
    {
        var lookUps = new SharedLookUps<Look>();
        var ticket = Guid.CreateVersion7();
        Assert.True((await lookUps.ReadAsync(ticket, Refuses, () => Task.FromResult<Look?>(new Look(Held: true))))!.Held);

        // Released since (a cancellation): the next buyer's own read says so.
        Assert.False((await lookUps.ReadAsync(ticket, Refuses, () => Task.FromResult<Look?>(new Look(Held: false))))!.Held);
    }

    [Fact]
    public async Task Reads_of_different_tickets_are_not_shared()
    {
        var lookUps = new SharedLookUps<Look>();
        var inFlight = new TaskCompletionSource<Look?>();
        _ = lookUps.ReadAsync(Guid.CreateVersion7(), Refuses, () => inFlight.Task);

        var other = await lookUps.ReadAsync(Guid.CreateVersion7(), Refuses, () => Task.FromResult<Look?>(new Look(Held: false)));

        Assert.False(other!.Held);
        inFlight.SetResult(null);
    }
}
