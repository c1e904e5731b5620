using System.Net;
using SwapSeats.Contracts;

namespace SwapSeats.Orders.Tests;

/// <summary>What the event and the seller decide about buying: not once it has started, not once withdrawn.</summary>
public sealed class EventRulesTests(OrdersApp app) : IClassFixture<OrdersApp>
{
    [Fact]
    public async Task A_purchase_is_refused_once_the_event_has_started_and_not_a_moment_before()
    {
        var startsAt = app.Clock.GetUtcNow().AddMinutes(30);
        var early = await app.ListedAsync(startsAt: startsAt);
        var late = await app.ListedAsync(startsAt: startsAt);
        var buyer = Guid.CreateVersion7();
        Assert.Equal(HttpStatusCode.Created, (await app.OrderAsync(buyer, early.Id)).StatusCode);

        app.Clock.Advance(TimeSpan.FromMinutes(30) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(HttpStatusCode.Created, (await app.OrderAsync(Guid.CreateVersion7(), late.Id)).StatusCode); // a moment before
        late = await app.ListedAsync(startsAt: startsAt);
        app.Clock.Advance(TimeSpan.FromMilliseconds(1)); // the doors open
        var refused = await app.OrderAsync(buyer, late.Id);

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal("Event has already started", (await OrdersApp.Json(refused)).GetProperty("detail").GetString());
        // (This class's clock only moves forward; its other tests list events days ahead of it.)
    }

    [Fact]
    public async Task A_withdrawn_ticket_is_no_longer_for_sale_and_an_order_placed_meanwhile_is_cancelled_with_its_reason()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var order = (await OrdersApp.Json(await app.OrderAsync(buyer, ticket.Id))).GetProperty("id").GetString()!;

        // The seller withdrew it in the same moment: tickets announces the withdrawal (the reservation never arrived there).
        await app.Bus.PublishAsync(new TicketUpdated(ticket.Id, ticket.Title, ticket.Price, ticket.UserId, null, TicketStatuses.Withdrawn, 1)
        {
            Event = ticket.Event,
            FaceValue = ticket.FaceValue,
        });

        var cancelled = await app.Bus.WaitForAsync<OrderCancelled>(e => e.Id == Guid.Parse(order));
        Assert.Equal(CancelReasons.Cancelled, cancelled.Reason);
        var shown = await OrdersApp.Json(await app.SignedIn(buyer).GetAsync($"/api/orders/{order}"));
        Assert.Equal(("cancelled", "cancelled"), (shown.GetProperty("status").GetString(), shown.GetProperty("cancelReason").GetString()));
        var again = await app.OrderAsync(Guid.CreateVersion7(), ticket.Id);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("Ticket is no longer for sale", (await OrdersApp.Json(again)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_order_carries_its_event_and_a_cancelled_one_says_why()
    {
        var ticket = await app.ListedAsync();
        var buyer = Guid.CreateVersion7();
        var order = await OrdersApp.Json(await app.OrderAsync(buyer, ticket.Id));
        Assert.Equal(ticket.Event!.Id.ToString(), order.GetProperty("ticket").GetProperty("event").GetProperty("id").GetString());
        Assert.False(order.TryGetProperty("cancelReason", out _));
        var id = order.GetProperty("id").GetString()!;

        await app.Bus.PublishAsync(new PaymentFailed(Guid.Parse(id), "card_declined"));

        var failed = await app.Bus.WaitForAsync<OrderCancelled>(e => e.Id == Guid.Parse(id));
        Assert.Equal(CancelReasons.PaymentFailed, failed.Reason);
        Assert.Equal("paymentFailed", (await OrdersApp.Json(await app.SignedIn(buyer).GetAsync($"/api/orders/{id}"))).GetProperty("cancelReason").GetString());
    }
}
