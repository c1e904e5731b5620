using SwapSeats.Orders.Events;
using SwapSeats.Orders.Domain;
using SwapSeats.Orders.Data;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Testing;

namespace SwapSeats.Orders.Tests;

/// <summary>The events orders consumes: the ticket replica in version order, and the outcomes of expiry and payment.</summary>
public sealed class EventsTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    private async Task<(Guid Buyer, Guid Order, Guid Ticket)> OpenOrderAsync()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var order = await app.OrderedAsync(buyer, ticket.Id);
        return (buyer, Guid.Parse(order.GetProperty("id").GetString()!), ticket.Id);
    }

    private Task<JsonElement> WaitForStatusAsync(Guid buyer, Guid order, string status) =>
        Eventually.Until(() => app.ShowAsync(buyer, order), o => o.GetProperty("status").GetString() == status);

    private async Task<(string Title, decimal Price, int Version)?> ReplicaAsync(Guid ticket) =>
        await app.WithDbAsync(db => db.Tickets.AsNoTracking().SingleOrDefaultAsync(t => t.Id == ticket)) is { } replica
            ? (replica.Title, replica.Price, replica.Version)
            : null;

    [Fact]
    public async Task Ticket_updates_apply_in_version_order_whatever_order_they_arrive_in()
    {
        var ticket = new TicketCreated(Guid.CreateVersion7(), "Draft", 10m, Guid.CreateVersion7(), 0);
        TicketUpdated Update(string title, int version) =>
            new(ticket.Id, title, 10m + version, ticket.UserId, null, TicketStatuses.Available, version);

        await app.Bus.PublishAsync(Update("Second edit", 2));
        await app.Bus.PublishAsync(Update("First edit", 1));
        await app.Bus.PublishAsync(ticket);

        await Eventually.Until(() => ReplicaAsync(ticket.Id), r => r?.Version == 2);
        Assert.Equal(("Second edit", 12m, 2), await ReplicaAsync(ticket.Id));

        // A stale update (an old version redelivered under a new event id) changes nothing.
        await app.Bus.PublishAsync(Update("First edit again", 1));
        await app.Bus.PublishAsync(Update("Third edit", 3));
        await Eventually.Until(() => ReplicaAsync(ticket.Id), r => r?.Version == 3);
        Assert.Equal(("Third edit", 13m, 3), await ReplicaAsync(ticket.Id));
    }

    [Fact]
    public Task A_ticket_update_in_one_statement_leaves_the_row_the_read_path_leaves() =>
        ReplicaUpdatePaths.AssertTicketUpdateBothWaysAgreeAsync<OrdersDbContext, Ticket, TicketCreatedHandler, TicketUpdatedHandler>(app.Factory.Services);

    [Fact]
    public async Task A_ticket_update_replaces_what_the_replica_keeps_and_one_without_an_event_keeps_the_event()
    {
        var concert = new EventInfo(Guid.CreateVersion7(), "Spring Gala", "Hall A", "Leeds", new DateTimeOffset(2027, 4, 1, 19, 0, 0, TimeSpan.Zero));
        var ticket = new TicketCreated(Guid.CreateVersion7(), "Row 1", 10m, Guid.CreateVersion7(), 0) { Event = concert };
        await app.Bus.PublishAsync(ticket);
        await Eventually.Until(() => ReplicaAsync(ticket.Id), r => r?.Version == 0);

        // Each arrives on its own, with the row in the database at the version before it.
        var moved = concert with { Name = "Spring Gala (moved)", Venue = "Hall B", City = "York", StartsAt = concert.StartsAt.AddDays(7) };
        await app.Bus.PublishAsync(new TicketUpdated(ticket.Id, "Row 2", 12m, ticket.UserId, null, TicketStatuses.Reserved, 1) { Event = moved });
        await Eventually.Until(() => ReplicaAsync(ticket.Id), r => r?.Version == 1);
        await app.Bus.PublishAsync(new TicketUpdated(ticket.Id, "Row 3", 13m, ticket.UserId, null, TicketStatuses.Sold, 2));
        await Eventually.Until(() => ReplicaAsync(ticket.Id), r => r?.Version == 2);

        var replica = await app.WithDbAsync(db => db.Tickets.AsNoTracking().SingleAsync(t => t.Id == ticket.Id));
        Assert.Equal(("Row 3", 13m, TicketStatuses.Sold), (replica.Title, replica.Price, replica.Status));
        Assert.Equal(moved, replica.Event);
    }

    [Fact]
    public async Task An_order_snapshots_the_price_the_buyer_agreed_to()
    {
        var (buyer, order, ticket) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new TicketUpdated(ticket, "Renamed", 99m, Guid.CreateVersion7(), order, TicketStatuses.Reserved, 1));
        await Eventually.Until(() => ReplicaAsync(ticket), r => r?.Version == 1);

        var shown = await app.ShowAsync(buyer, order);

        Assert.Equal(25m, shown.GetProperty("ticket").GetProperty("price").GetDecimal());
    }

    [Fact]
    public async Task Expiry_cancels_an_open_order_and_announces_it()
    {
        var (buyer, order, ticket) = await OpenOrderAsync();

        await app.Bus.PublishAsync(new ExpirationComplete(order));

        var cancelled = await WaitForStatusAsync(buyer, order, "cancelled");
        Assert.Equal(1, cancelled.GetProperty("version").GetInt32());
        var announced = await app.Bus.WaitForAsync<OrderCancelled>(e => e.Id == order);
        Assert.Equal((1, ticket), (announced.Version, announced.Ticket.Id));
    }

    [Fact]
    public async Task A_payment_completes_the_order_and_a_later_expiry_or_failure_leaves_it_complete()
    {
        var (buyer, order, ticket) = await OpenOrderAsync();

        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), order, 2500, "usd"));

        var complete = await WaitForStatusAsync(buyer, order, "complete");
        Assert.Equal(1, complete.GetProperty("version").GetInt32());
        var announced = await app.Bus.WaitForAsync<OrderCompleted>(e => e.Id == order);
        Assert.Equal((1, ticket), (announced.Version, announced.Ticket.Id));

        await app.Bus.PublishAsync(new ExpirationComplete(order));
        await app.Bus.PublishAsync(new PaymentFailed(order, "card_declined"));
        // Expiry and payment events ride two consumers: a marker behind each shows that both have got past this order.
        var (expiryMarkerBuyer, expiryMarker, _) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new ExpirationComplete(expiryMarker));
        var (markerBuyer, marker, _) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new PaymentFailed(marker, "card_declined"));
        await WaitForStatusAsync(expiryMarkerBuyer, expiryMarker, "cancelled");
        await WaitForStatusAsync(markerBuyer, marker, "cancelled");

        var after = await app.ShowAsync(buyer, order);
        Assert.Equal(("complete", 1), (after.GetProperty("status").GetString(), after.GetProperty("version").GetInt32()));
        await app.OutboxDrainedAsync();
        Assert.Empty(await app.Bus.PublishedAsync<OrderCancelled>(e => e.Id == order));
    }

    [Fact]
    public async Task A_failed_payment_cancels_the_order_and_a_late_success_does_not_revive_it()
    {
        var (buyer, order, _) = await OpenOrderAsync();

        await app.Bus.PublishAsync(new PaymentFailed(order, "card_declined"));
        await WaitForStatusAsync(buyer, order, "cancelled");
        await app.Bus.WaitForAsync<OrderCancelled>(e => e.Id == order);

        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), order, 2500, "usd"));
        var (markerBuyer, marker, _) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), marker, 2500, "usd"));
        await WaitForStatusAsync(markerBuyer, marker, "complete");

        Assert.Equal("cancelled", (await app.ShowAsync(buyer, order)).GetProperty("status").GetString());
        await app.OutboxDrainedAsync();
        Assert.Empty(await app.Bus.PublishedAsync<OrderCompleted>(e => e.Id == order));
    }

    [Fact]
    public async Task A_duplicate_payment_event_completes_the_order_once()
    {
        var (buyer, order, _) = await OpenOrderAsync();
        var payment = new PaymentCreated(Guid.CreateVersion7(), order, 2500, "usd");

        await app.Bus.PublishAsync(payment);
        await WaitForStatusAsync(buyer, order, "complete");
        await app.Bus.RedeliverAsync(payment);
        var (markerBuyer, marker, _) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), marker, 2500, "usd"));
        await WaitForStatusAsync(markerBuyer, marker, "complete");

        await app.OutboxDrainedAsync();
        Assert.Single(await app.Bus.PublishedAsync<OrderCompleted>(e => e.Id == order));
        Assert.Equal(1, await app.WithDbAsync(db => db.Set<SwapSeats.Messaging.Inbox.InboxMessage>().CountAsync(m => m.EventId == payment.EventId)));
    }

    [Fact]
    public async Task Events_for_orders_this_service_never_had_are_acknowledged_and_ignored()
    {
        var unknown = Guid.CreateVersion7();
        await app.Bus.PublishAsync(new ExpirationComplete(unknown));
        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), unknown, 100, "usd"));
        await app.Bus.PublishAsync(new PaymentFailed(unknown, "card_declined"));

        // Each consumer (expiry, payment) moves on to the next message: real orders' events behind them still apply.
        var (buyer, order, _) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new PaymentCreated(Guid.CreateVersion7(), order, 2500, "usd"));
        var (expiringBuyer, expiring, _) = await OpenOrderAsync();
        await app.Bus.PublishAsync(new ExpirationComplete(expiring));
        await WaitForStatusAsync(buyer, order, "complete");
        await WaitForStatusAsync(expiringBuyer, expiring, "cancelled");
        await app.OutboxDrainedAsync();
        Assert.Empty(await app.Bus.PublishedAsync<OrderCancelled>(e => e.Id == unknown));
        Assert.Empty(await app.Bus.PublishedAsync<OrderCompleted>(e => e.Id == unknown));
    }
}
