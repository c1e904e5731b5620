using SwapSeats.Expiration.Events;
using SwapSeats.Expiration.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SwapSeats.Contracts;
using SwapSeats.Expiration.Domain;
using SwapSeats.Expiration.Scheduling;
using SwapSeats.Testing;

namespace SwapSeats.Expiration.Tests;

/// <summary>When timers fire, on a fake clock: no test here waits for real minutes.</summary>
public sealed class SchedulingTests(FakeClockExpirationApp app) : IClassFixture<FakeClockExpirationApp>
{
    private ExpirationScheduler Scheduler => app.Factory.Services.GetRequiredService<ExpirationScheduler>();

    [Fact]
    public async Task A_timer_dropped_in_one_statement_is_the_row_the_read_path_leaves()
    {
        var expiresAt = app.Clock.GetUtcNow().AddMinutes(15);
        await ReplicaUpdatePaths.AssertBothWaysAgreeAsync<ExpirationDbContext, ReservationTimer, OrderCreated, OrderCreatedHandler, OrderCompleted, OrderCompletedHandler>(
            app.Factory.Services,
            id => new OrderCreated(id, Guid.CreateVersion7(), OrderStatuses.Created, expiresAt, 0, new OrderTicket(Guid.CreateVersion7(), 10m)),
            id => new OrderCompleted(id, 1, new TicketRef(Guid.CreateVersion7())),
            between: () => app.Clock.Advance(TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task A_timer_fires_when_its_order_expires_and_not_before()
    {
        var order = await app.ScheduledAsync(app.Clock.GetUtcNow().AddMinutes(15));

        app.Clock.Advance(TimeSpan.FromMinutes(15) - TimeSpan.FromSeconds(1));
        Assert.Equal(0, await Scheduler.FireDueBatchAsync(default));
        Assert.Equal(TimerStatus.Pending, await app.StatusAsync(order.Id));

        app.Clock.Advance(TimeSpan.FromSeconds(1));
        await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == order.Id);
        Assert.Equal(TimerStatus.Fired, await app.StatusAsync(order.Id));
    }

    [Fact]
    public async Task An_expiry_continues_the_trace_of_the_purchase_that_started_the_reservation()
    {
        // The purchase's trace, as orders would have sent it with order.created.
        using var purchase = new System.Diagnostics.Activity("purchase").SetIdFormat(System.Diagnostics.ActivityIdFormat.W3C).Start();
        var order = await app.ScheduledAsync(app.Clock.GetUtcNow().AddMinutes(15));
        purchase.Stop();

        app.Clock.Advance(TimeSpan.FromMinutes(16));
        await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == order.Id);

        var traceParents = await app.WithDbAsync(db => db.Set<SwapSeats.Messaging.Outbox.OutboxMessage>()
            .Where(m => m.Subject == Subjects.ExpirationComplete && m.Payload.Contains(order.Id.ToString()))
            .Select(m => m.TraceParent).ToListAsync());
        var timerTrace = await app.WithDbAsync(db => db.Timers.Where(t => t.OrderId == order.Id).Select(t => t.TraceParent).SingleAsync());
        var traceParent = Assert.Single(traceParents);
        Assert.NotNull(traceParent);
        Assert.Equal(purchase.TraceId.ToHexString(), System.Diagnostics.ActivityContext.Parse(timerTrace!, null).TraceId.ToHexString());
        Assert.Equal(purchase.TraceId.ToHexString(), System.Diagnostics.ActivityContext.Parse(traceParent, null).TraceId.ToHexString());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_cancelled_or_completed_orders_timer_never_fires(bool completed)
    {
        var ended = await app.ScheduledAsync(app.Clock.GetUtcNow().AddMinutes(5));
        if (completed)
        {
            await app.Bus.PublishAsync(new OrderCompleted(ended.Id, 1, new TicketRef(ended.Ticket.Id)));
        }
        else
        {
            await app.Bus.PublishAsync(new OrderCancelled(ended.Id, 1, new TicketRef(ended.Ticket.Id)));
        }

        await Eventually.Until(() => app.StatusAsync(ended.Id), status => status == TimerStatus.Dropped);
        var marker = await app.ScheduledAsync(app.Clock.GetUtcNow().AddMinutes(5));
        app.Clock.Advance(TimeSpan.FromMinutes(6));

        // Both were due in the same instant; the marker firing shows the scheduler has passed that instant.
        await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == marker.Id);
        Assert.Empty(await app.Bus.PublishedAsync<ExpirationComplete>(e => e.OrderId == ended.Id));
    }

    [Fact]
    public async Task A_cancellation_that_overtakes_its_order_keeps_the_timer_from_ever_being_set()
    {
        var order = ExpirationApp.Order(app.Clock.GetUtcNow().AddMinutes(5));
        await app.Bus.PublishAsync(new OrderCancelled(order.Id, 1, new TicketRef(order.Ticket.Id)));
        await Eventually.Until(() => app.StatusAsync(order.Id), status => status == TimerStatus.Dropped);

        using var ignored = new OutcomeCounter("expiration-order", "Ignored");
        await app.Bus.PublishAsync(order);
        var marker = await app.ScheduledAsync(app.Clock.GetUtcNow().AddMinutes(5));
        app.Clock.Advance(TimeSpan.FromMinutes(6));

        await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == marker.Id);
        Assert.Equal(TimerStatus.Dropped, await app.StatusAsync(order.Id));
        Assert.Empty(await app.Bus.PublishedAsync<ExpirationComplete>(e => e.OrderId == order.Id));
        // The late order.created was seen to be late and acknowledged, not left to fail on the tombstone's key.
        Assert.True(ignored.Count >= 1, "order.created after its cancellation should be ignored");
    }

    [Fact]
    public async Task An_order_that_arrives_already_expired_fires_at_once()
    {
        var order = ExpirationApp.Order(app.Clock.GetUtcNow().AddMinutes(-1));

        await app.Bus.PublishAsync(order);

        await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == order.Id);
    }

    [Fact]
    public async Task A_timer_that_fell_due_while_the_service_was_down_fires_when_it_is_back()
    {
        var order = await app.ScheduledAsync(app.Clock.GetUtcNow().AddMinutes(15));

        await app.RestartAsync(whileDown: () =>
        {
            app.Clock.Advance(TimeSpan.FromMinutes(20));
            return Task.CompletedTask;
        });

        await app.Bus.WaitForAsync<ExpirationComplete>(e => e.OrderId == order.Id);
        Assert.Single(await app.Bus.PublishedAsync<ExpirationComplete>(e => e.OrderId == order.Id));
    }

    [Fact]
    public async Task A_thousand_timers_due_in_the_same_second_all_fire_each_once_even_with_two_schedulers_racing()
    {
        var due = app.Clock.GetUtcNow().AddMinutes(30);
        var orders = new List<Guid>();
        for (var i = 0; i < 1000; i++)
        {
            var order = ExpirationApp.Order(due.AddMilliseconds(i));
            orders.Add(order.Id);
            await app.Bus.PublishAsync(order);
        }

        await Eventually.Until(
            () => app.WithDbAsync(db => db.Timers.CountAsync(t => orders.Contains(t.OrderId))), stored => stored == 1000,
            TimeSpan.FromSeconds(60));

        // Two more replicas' schedulers claim batches concurrently with the service's own.
        var rivals = Enumerable.Range(0, 2).Select(_ => ActivatorUtilities.CreateInstance<ExpirationScheduler>(app.Factory.Services)).ToList();
        app.Clock.Advance(TimeSpan.FromMinutes(31));
        await Task.WhenAll(rivals.Select(async rival =>
        {
            var total = 0;
            while (await rival.FireDueBatchAsync(default) is var fired and > 0)
            {
                total += fired;
            }

            return total;
        }));

        await Eventually.Until(
            () => app.WithDbAsync(db => db.Timers.CountAsync(t => orders.Contains(t.OrderId) && t.Status == TimerStatus.Fired)),
            firedCount => firedCount == 1000, TimeSpan.FromSeconds(60));
        var events = await Eventually.Until(
            () => app.Bus.PublishedAsync<ExpirationComplete>(e => orders.Contains(e.OrderId)), found => found.Count >= 1000,
            TimeSpan.FromSeconds(60));
        Assert.Equal(1000, events.Select(e => e.OrderId).Distinct().Count());
        Assert.Equal(1000, events.Count);
        // JetStream's de-duplication would hide a timer fired twice from the stream: the outbox shows every firing.
        var firings = (await app.WithDbAsync(db => db.Set<SwapSeats.Messaging.Outbox.OutboxMessage>()
                .Where(m => m.Subject == Subjects.ExpirationComplete).Select(m => m.Payload).ToListAsync()))
            .Select(p => EventJson.Deserialize<ExpirationComplete>(System.Text.Encoding.UTF8.GetBytes(p)).OrderId)
            .Where(orders.Contains).ToList();
        Assert.Equal(1000, firings.Count);
        Assert.Equal(1000, firings.Distinct().Count());
    }
}
