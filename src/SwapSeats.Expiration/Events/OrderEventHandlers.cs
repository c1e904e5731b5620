using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Expiration.Data;
using SwapSeats.Expiration.Domain;
using SwapSeats.Messaging.Consumers;

namespace SwapSeats.Expiration.Events;

/// <summary>A new order gets a timer for its <c>expiresAt</c>, unless the order already ended.</summary>
public sealed class OrderCreatedHandler(ExpirationDbContext db, TimeProvider time) : IEventHandler<OrderCreated>
{
    public async Task<HandleResult> HandleAsync(OrderCreated @event, CancellationToken cancellationToken)
    {
        if (await ExpirationDbContext.HasTimerAsync(db, @event.Id, cancellationToken))
        {
            return HandleResult.Ignored;
        }

        // The scheduler wakes when this commits (a commit signal on new timers), so a nearer timer is never overslept.
        db.Timers.Add(ReservationTimer.Schedule(@event.Id, @event.ExpiresAt, time.GetUtcNow()));
        return HandleResult.Applied;
    }
}

public sealed class OrderCancelledHandler(ExpirationDbContext db, TimeProvider time) : IEventHandler<OrderCancelled>
{
    public Task<HandleResult> HandleAsync(OrderCancelled @event, CancellationToken cancellationToken) =>
        OrderEnded.DropAsync(db, @event.Id, time.GetUtcNow(), cancellationToken);
}

public sealed class OrderCompletedHandler(ExpirationDbContext db, TimeProvider time) : IEventHandler<OrderCompleted>
{
    public Task<HandleResult> HandleAsync(OrderCompleted @event, CancellationToken cancellationToken) =>
        OrderEnded.DropAsync(db, @event.Id, time.GetUtcNow(), cancellationToken);
}

internal static class OrderEnded
{
    /// <summary>A finished order's timer never fires; if the timer is not there yet, a tombstone keeps it from coming.</summary>
    public static async Task<HandleResult> DropAsync(ExpirationDbContext db, Guid orderId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The common case in one statement: the order's timer is pending. Where it is not (fired, dropped, not there yet),
        // the read below decides.
        // (SQL rather than ExecuteUpdate: its expression tree, rebuilt and hashed per event, cost more than the statement.)
        if (await Versioned.TryInOneStatementAsync<ReservationTimer>(db, orderId, () => db.Database.ExecuteSqlAsync($"""
                UPDATE timers SET status = {(int)TimerStatus.Dropped}, updated_at = {now.ToUniversalTime()}
                WHERE order_id = {orderId} AND status = {(int)TimerStatus.Pending}
                """, cancellationToken)))
        {
            return HandleResult.Applied;
        }

        var timer = await db.Timers.FindAsync([orderId], cancellationToken);
        if (timer is null)
        {
            db.Timers.Add(ReservationTimer.Ended(orderId, now));
            return HandleResult.Applied;
        }

        return timer.Drop(now) ? HandleResult.Applied : HandleResult.Ignored;
    }
}
