using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;

namespace SwapSeats.Payments.Events;

public sealed class OrderCreatedHandler(PaymentsDbContext db) : IEventHandler<OrderCreated>
{
    public async Task<HandleResult> HandleAsync(OrderCreated @event, CancellationToken cancellationToken)
    {
        var result = Versioned.Check(await PaymentsDbContext.OrderVersionAsync(db, @event.Id, cancellationToken), @event.Version);
        if (result == HandleResult.Applied)
        {
            db.Orders.Add(Order.Replicate(@event));
        }

        return result;
    }
}

/// <summary>
/// The order is cancelled. If it had been paid meanwhile (the expiry or another buyer raced the payment, and orders
/// refused the late payment), the money goes back: a refund is queued for the refund processor.
/// </summary>
public sealed class OrderCancelledHandler(PaymentsDbContext db, TimeProvider time) : IEventHandler<OrderCancelled>
{
    public async Task<HandleResult> HandleAsync(OrderCancelled @event, CancellationToken cancellationToken)
    {
        // Locked like a payment in flight locks it: either the payment commits first and is refunded here, or the
        // payment sees the cancellation and never charges.
        var order = await db.LockOrderAsync(@event.Id, cancellationToken);
        var result = Versioned.Check(order?.Version, @event.Version);
        if (result != HandleResult.Applied)
        {
            return result;
        }

        order!.Cancelled(@event.Version);
        var paid = await db.Payments.SingleOrDefaultAsync(p => p.OrderId == @event.Id && p.Status == PaymentStatuses.Succeeded, cancellationToken);
        if (paid is not null && !await db.Refunds.AnyAsync(r => r.PaymentId == paid.Id, cancellationToken))
        {
            db.Refunds.Add(Refund.For(paid, time.GetUtcNow()));
            // The money goes back to the buyer, so none of it goes to the seller.
            // Locked: the payout processor may hold it this moment (then this waits, and finds it paid or held).
            (await db.Payouts.FromSql($"SELECT * FROM payouts WHERE payment_id = {paid.Id} FOR UPDATE").SingleOrDefaultAsync(cancellationToken))?.Cancel();
        }
        else if (paid is null && order.ChargeReference is not null && !await db.Payments.AnyAsync(p => p.OrderId == @event.Id, cancellationToken))
        {
            // A charge was opened and no outcome recorded: an attempt's answer may have been lost with the money taken.
            order.CheckChargeAt(time.GetUtcNow());
        }

        return HandleResult.Applied;
    }
}

public sealed class OrderCompletedHandler(PaymentsDbContext db) : IEventHandler<OrderCompleted>
{
    public async Task<HandleResult> HandleAsync(OrderCompleted @event, CancellationToken cancellationToken)
    {
        // The common case in one statement: the next version of an order the replica has. The update locks the row as
        // the read below does, so a payment in flight is waited for either way.
        if (await Versioned.TryInOneStatementAsync<Order>(db, @event.Id, () => db.Database.ExecuteSqlAsync($"""
                UPDATE orders SET status = {OrderStatuses.Complete}, version = {@event.Version}
                WHERE id = {@event.Id} AND version = {@event.Version - 1}
                """, cancellationToken)))
        {
            return HandleResult.Applied;
        }

        var order = await db.LockOrderAsync(@event.Id, cancellationToken);
        var result = Versioned.Check(order?.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            order!.Completed(@event.Version);
        }

        return result;
    }
}
