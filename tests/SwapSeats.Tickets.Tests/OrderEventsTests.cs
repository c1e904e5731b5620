using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Tickets.Events;
using SwapSeats.Contracts;
using SwapSeats.Tickets.Data;
using SwapSeats.Testing;

namespace SwapSeats.Tickets.Tests;

/// <summary>How orders' events move a ticket between available, reserved and sold.</summary>
public sealed class OrderEventsTests(TicketsApp app) : IClassFixture<TicketsApp>
{
    private async Task<(Guid Seller, Guid Ticket)> ListedAsync()
    {
        var seller = Guid.CreateVersion7();
        var ticket = await app.ListAsync(seller, "Event ticket", 40m);
        return (seller, Guid.Parse(ticket.GetProperty("id").GetString()!));
    }

    private static OrderCreated Order(Guid ticket) =>
        new(Guid.CreateVersion7(), Guid.CreateVersion7(), OrderStatuses.Created, DateTimeOffset.UtcNow.AddMinutes(15), 0, new OrderTicket(ticket, 40m));

    private Task<JsonElement> WaitForAsync(Guid ticket, Func<JsonElement, bool> done) =>
        Eventually.Until(() => app.ShowAsync(ticket), done);

    private static (string? Status, string? OrderId, int Version) State(JsonElement t) =>
        (t.GetProperty("status").GetString(), t.GetProperty("orderId").ValueKind == JsonValueKind.Null ? null : t.GetProperty("orderId").GetString(),
            t.GetProperty("version").GetInt32());

    [Fact]
    public async Task An_order_reserves_the_ticket_and_the_seller_can_no_longer_edit_it()
    {
        var (seller, ticket) = await ListedAsync();
        var order = Order(ticket);

        await app.Bus.PublishAsync(order);

        var reserved = await WaitForAsync(ticket, t => t.GetProperty("status").GetString() == "reserved");
        Assert.Equal(("reserved", order.Id.ToString(), 1), State(reserved));
        var updated = await app.Bus.WaitForAsync<TicketUpdated>(e => e.Id == ticket && e.Version == 1);
        Assert.Equal((TicketStatuses.Reserved, order.Id), (updated.Status, updated.OrderId));

        var edit = await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{ticket}", new { title = "x", price = 1m, faceValue = 1m });
        Assert.Equal(HttpStatusCode.BadRequest, edit.StatusCode);
        Assert.Equal("Cannot edit a reserved ticket", (await TicketsApp.Json(edit)).GetProperty("detail").GetString());

        var publicList = await TicketsApp.Json(await app.Anonymous().GetAsync("/api/tickets?q=Event%20ticket&limit=200"));
        Assert.DoesNotContain(publicList.EnumerateArray(), t => t.GetProperty("id").GetString() == ticket.ToString());
    }

    [Fact]
    public async Task Cancelling_the_holding_order_releases_the_ticket_and_a_stale_cancellation_does_not()
    {
        var (seller, ticket) = await ListedAsync();
        var order = Order(ticket);
        await app.Bus.PublishAsync(order);
        await WaitForAsync(ticket, t => t.GetProperty("version").GetInt32() == 1);

        // Another order's cancellation (stale: it never held this ticket) changes nothing.
        await app.Bus.PublishAsync(new OrderCancelled(Guid.CreateVersion7(), 1, new TicketRef(ticket)));
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(ticket)));

        var released = await WaitForAsync(ticket, t => t.GetProperty("status").GetString() == "available");
        Assert.Equal(("available", null, 2), State(released));
        var edit = await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{ticket}", new { title = "Editable again", price = 41m, faceValue = 41m });
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal(3, (await TicketsApp.Json(edit)).GetProperty("version").GetInt32());
    }

    [Fact]
    public async Task A_stale_cancellation_does_not_release_another_orders_reservation()
    {
        var (_, ticket) = await ListedAsync();
        var first = Order(ticket);
        var second = Order(ticket);
        await app.Bus.PublishAsync(first);
        await WaitForAsync(ticket, t => t.GetProperty("version").GetInt32() == 1);
        await app.Bus.PublishAsync(new OrderCancelled(first.Id, 1, new TicketRef(ticket)));
        await app.Bus.PublishAsync(second);
        await WaitForAsync(ticket, t => t.GetProperty("orderId").GetString() == second.Id.ToString());

        // The first order's cancellation again (a late redelivery under a new event id): the second order keeps the ticket.
        await app.Bus.PublishAsync(new OrderCancelled(first.Id, 1, new TicketRef(ticket)));
        await app.Bus.PublishAsync(new OrderCompleted(second.Id, 1, new TicketRef(ticket)));

        var sold = await WaitForAsync(ticket, t => t.GetProperty("status").GetString() == "sold");
        Assert.Equal(("sold", second.Id.ToString(), 4), State(sold)); // listed 0, reserved 1, released 2, reserved 3, sold 4
    }

    [Fact]
    public async Task A_cancellation_that_overtakes_its_own_order_leaves_the_ticket_available()
    {
        var (_, ticket) = await ListedAsync();
        var cancelled = Order(ticket);

        // order.created and order.cancelled ride separate consumers: a buyer's quick cancel may be applied first.
        await app.Bus.PublishAsync(new OrderCancelled(cancelled.Id, 1, new TicketRef(ticket)));
        await Eventually.Until(
            () => app.WithDbAsync(db => db.CancelledOrders.AnyAsync(o => o.OrderId == cancelled.Id)),
            seen => seen);
        await app.Bus.PublishAsync(cancelled);

        // Had the dead order reserved the ticket, the next buyer's order would wait for a release that never comes.
        var next = Order(ticket);
        await app.Bus.PublishAsync(next);
        var reserved = await WaitForAsync(ticket, t => t.GetProperty("orderId").GetString() == next.Id.ToString());
        Assert.Equal(("reserved", next.Id.ToString(), 1), State(reserved));
    }

    /// <summary>
    /// Two replicas: one applies the cancellation (tombstone written, not yet committed) while the other applies the
    /// order's own order.created. The second must wait for the first and then leave the ticket alone; read before the
    /// commit, the tombstone is invisible and the ticket was reserved for a dead order for good.
    /// </summary>
    [Fact]
    public async Task A_cancellation_handled_at_the_same_moment_as_its_order_on_another_replica_leaves_the_ticket_available()
    {
        var (_, ticket) = await ListedAsync();
        var order = Order(ticket);
        await using var cancelScope = app.Factory.Services.CreateAsyncScope();
        var cancelDb = cancelScope.ServiceProvider.GetRequiredService<TicketsDbContext>();
        await using var cancelling = await cancelDb.Database.BeginTransactionAsync();
        await new OrderCancelledHandler(cancelDb, TimeProvider.System).HandleAsync(new OrderCancelled(order.Id, 1, new TicketRef(ticket)), default);
        await cancelDb.SaveChangesAsync();

        await using var createScope = app.Factory.Services.CreateAsyncScope();
        var createDb = createScope.ServiceProvider.GetRequiredService<TicketsDbContext>();
        var creating = Task.Run(async () =>
        {
            await using var transaction = await createDb.Database.BeginTransactionAsync();
            var result = await new OrderCreatedHandler(createDb).HandleAsync(order, default);
            await createDb.SaveChangesAsync();
            await transaction.CommitAsync();
            return result;
        });
        // Until the creation has either finished or is waiting for a lock held by the cancellation.
        await Eventually.Until(async () => creating.IsCompleted || await app.WithDbAsync(db => db.Database
                .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                .SingleAsync()) > 0,
            waiting => waiting, what: "order.created to be handled or to wait");
        await cancelling.CommitAsync();

        Assert.Equal(HandleResult.Ignored, await creating);
        Assert.Equal(("available", null, 0), State(await app.ShowAsync(ticket)));
    }

    [Fact]
    public async Task A_new_order_that_arrives_before_the_previous_release_waits_for_it()
    {
        var (_, ticket) = await ListedAsync();
        var stale = Order(ticket);
        var fresh = Order(ticket);
        await app.Bus.PublishAsync(stale);
        await WaitForAsync(ticket, t => t.GetProperty("version").GetInt32() == 1);

        // Lazy expiry in orders emits the stale order's cancellation and the new order together; they may arrive swapped.
        await app.Bus.PublishAsync(fresh);
        await app.Bus.PublishAsync(new OrderCancelled(stale.Id, 1, new TicketRef(ticket)));

        var reserved = await WaitForAsync(ticket, t => t.GetProperty("orderId").GetString() == fresh.Id.ToString());
        Assert.Equal(("reserved", fresh.Id.ToString(), 3), State(reserved));
    }

    [Fact]
    public async Task A_completed_order_sells_the_ticket_for_good()
    {
        var (seller, ticket) = await ListedAsync();
        var order = Order(ticket);
        await app.Bus.PublishAsync(order);
        await app.Bus.PublishAsync(new OrderCompleted(order.Id, 1, new TicketRef(ticket)));

        var sold = await WaitForAsync(ticket, t => t.GetProperty("status").GetString() == "sold");
        Assert.Equal(("sold", order.Id.ToString(), 2), State(sold));
        var edit = await app.SignedIn(seller).PutAsJsonAsync($"/api/tickets/{ticket}", new { title = "x", price = 1m, faceValue = 1m });
        Assert.Equal("Cannot edit a sold ticket", (await TicketsApp.Json(edit)).GetProperty("detail").GetString());

        // A cancellation arriving after the sale (the order can no longer be cancelled) leaves it sold. The marker behind
        // it on the same consumer leaves a tombstone: once that is there, the cancellation has been applied too.
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 2, new TicketRef(ticket)));
        var marker = Order(ticket);
        await app.Bus.PublishAsync(new OrderCancelled(marker.Id, 1, new TicketRef(ticket)));
        await Eventually.Until(() => app.WithDbAsync(db => db.CancelledOrders.AnyAsync(o => o.OrderId == marker.Id)), seen => seen);
        Assert.Equal(("sold", order.Id.ToString(), 2), State(await app.ShowAsync(ticket)));
        await app.OutboxDrainedAsync();
        Assert.Equal([1, 2], (await app.Bus.PublishedAsync<TicketUpdated>(e => e.Id == ticket)).Select(e => e.Version));
    }

    [Fact]
    public async Task A_duplicate_event_is_applied_once()
    {
        var (_, ticket) = await ListedAsync();
        var order = Order(ticket);

        // The handlers would shrug off a second order.created of the holding order anyway; what is tested here is that the
        // inbox stops it first: the consumer counts it as a duplicate (the only test in this assembly that redelivers).
        using var duplicates = new OutcomeCounter("tickets-order", "Duplicate");
        await app.Bus.PublishAsync(order);
        await WaitForAsync(ticket, t => t.GetProperty("version").GetInt32() == 1);
        Assert.Equal(0, duplicates.Count);
        // The same event (same id) delivered again, past the stream's de-duplication: only the inbox stands in the way.
        await app.Bus.RedeliverAsync(order);
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(ticket)));
        await WaitForAsync(ticket, t => t.GetProperty("status").GetString() == "available");

        Assert.Equal(1, duplicates.Count);
        await app.OutboxDrainedAsync();
        var updates = await app.Bus.PublishedAsync<TicketUpdated>(e => e.Id == ticket);
        Assert.Equal([1, 2], updates.Select(e => e.Version));
    }

    [Fact]
    public async Task A_ticket_withdrawn_while_its_buyer_was_paying_is_sold_to_that_buyer()
    {
        var (seller, ticket) = await ListedAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await app.SignedIn(seller).DeleteAsync($"/api/tickets/{ticket}")).StatusCode);
        var order = Order(ticket);

        // The order was placed (and paid) before orders heard of the withdrawal: its events arrive after it.
        await app.Bus.PublishAsync(order);
        await app.Bus.PublishAsync(new OrderCompleted(order.Id, 1, new TicketRef(ticket)));

        var sold = await WaitForAsync(ticket, t => t.GetProperty("status").GetString() == "sold");
        Assert.Equal(("sold", order.Id.ToString(), 2), State(sold)); // listed 0, withdrawn 1, sold 2
    }
}
