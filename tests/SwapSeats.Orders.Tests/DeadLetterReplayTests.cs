using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Inbox;
using SwapSeats.Testing;

namespace SwapSeats.Orders.Tests;

/// <summary>
/// docs/operations.md, "Dead letters", done as an operator does it: an event is dead-lettered, listed and replayed with
/// the documented command (tools/SwapSeats.DeadLetters) once its cause is mended, and applied exactly once.
/// </summary>
public sealed class DeadLetterReplayTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    private Task<(int ExitCode, string Output)> DeadLettersAsync(params string[] args) =>
        ExternalProcess.RunForOutputAsync("dotnet", [ServiceProcess.DllPath("SwapSeats.DeadLetters", "tools"), .. args, "--nats", app.Nats.Url]);

    private Task<Domain.Ticket?> ReplicaAsync(Guid id) => app.WithDbAsync(db => db.Tickets.AsNoTracking().SingleOrDefaultAsync(t => t.Id == id));

    [Fact]
    public async Task A_dead_lettered_event_is_listed_then_replayed_with_the_documented_command_and_applied_once()
    {
        var ticket = await app.ListedAsync(title: "Stalls, row A");
        TicketUpdated Change(string title, int version) =>
            new(ticket.Id, title, ticket.Price, ticket.UserId, null, TicketStatuses.Available, version) { Event = ticket.Event, FaceValue = ticket.FaceValue };
        var (first, second) = (Change("Stalls, row B", 1), Change("Stalls, row C", 2));

        // Version 2 arrives and its predecessor does not: after Messaging:EarlyWaitLimit (an hour; the clock is moved
        // past it) the consumer gives up on it and parks it in the dead-letter stream.
        app.Clock.Advance(TimeSpan.FromHours(2));
        await app.Bus.PublishAsync(second);
        var listed = await Eventually.Until(() => DeadLettersAsync("list"), r => r.Output.Contains(second.EventId.ToString()),
            what: "the event in the dead letters");
        Assert.Equal(0, listed.ExitCode);
        var line = listed.Output.Split('\n').Single(l => l.Contains(second.EventId.ToString()));
        Assert.Contains("\tticket.updated\t", line);
        Assert.Contains("waited", line);
        var sequence = line.Split('\t')[0];

        // The cause is mended (the predecessor arrives, as when tickets' relay was stuck); then the replay.
        await app.Bus.PublishAsync(first);
        await Eventually.Until(() => ReplicaAsync(ticket.Id), t => t?.Version == 1);
        var replayed = await DeadLettersAsync("replay", sequence);
        Assert.True(replayed.ExitCode == 0, replayed.Output);
        Assert.Contains($"replayed {sequence}: ticket.updated event {second.EventId}", replayed.Output);
        var applied = await Eventually.Until(() => ReplicaAsync(ticket.Id), t => t?.Version == 2, what: "the replayed event to be applied");
        Assert.Equal("Stalls, row C", applied!.Title);

        // Gone from the dead letters, and a second replay of it finds nothing; applied once (one inbox record).
        Assert.DoesNotContain(second.EventId.ToString(), (await DeadLettersAsync("list")).Output);
        var again = await DeadLettersAsync("replay", sequence);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains($"no dead letter at sequence {sequence}", again.Output);
        await app.Bus.RedeliverAsync(second);
        await app.OutboxDrainedAsync();
        Assert.Equal(1, await app.WithDbAsync(db => db.Set<InboxMessage>().CountAsync(m => m.EventId == second.EventId)));
        Assert.Equal(2, (await ReplicaAsync(ticket.Id))!.Version);
    }
}
