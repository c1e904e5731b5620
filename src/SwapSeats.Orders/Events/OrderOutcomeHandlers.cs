using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Orders.Data;
using SwapSeats.Orders.Domain;

namespace SwapSeats.Orders.Events;

/// <summary>The reservation window ran out: an order still awaiting payment is cancelled; anything else is left alone.</summary>
public sealed class ExpirationCompleteHandler(OrdersDbContext db) : IEventHandler<ExpirationComplete>
{
    public Task<HandleResult> HandleAsync(ExpirationComplete @event, CancellationToken cancellationToken) =>
        OrderChange.ApplyAsync(db, @event.OrderId, order => order.Close(CancelReasons.Expired) ? order.ToCancelledEvent() : null, cancellationToken);
}

/// <summary>The buyer paid: the order is complete (and the ticket sold). A cancelled order stays cancelled; payments refunds it.</summary>
public sealed class PaymentCreatedHandler(OrdersDbContext db) : IEventHandler<PaymentCreated>
{
    public Task<HandleResult> HandleAsync(PaymentCreated @event, CancellationToken cancellationToken) =>
        OrderChange.ApplyAsync(db, @event.OrderId, order => order.Complete() ? order.ToCompletedEvent() : null, cancellationToken);
}

/// <summary>The card was declined: the order is cancelled and its ticket released.</summary>
public sealed class PaymentFailedHandler(OrdersDbContext db) : IEventHandler<PaymentFailed>
{
    public Task<HandleResult> HandleAsync(PaymentFailed @event, CancellationToken cancellationToken) =>
        OrderChange.ApplyAsync(db, @event.OrderId, order => order.Close(CancelReasons.PaymentFailed) ? order.ToCancelledEvent() : null, cancellationToken);
}

internal static class OrderChange
{
    /// <summary>Applies a transition to the (row-locked) order and publishes what it caused; the consumer commits both.</summary>
    public static async Task<HandleResult> ApplyAsync<TEvent>(
        OrdersDbContext db, Guid orderId, Func<Order, TEvent?> transition, CancellationToken cancellationToken)
        where TEvent : class, IIntegrationEvent
    {
        var order = await db.LockOrderAsync(orderId, cancellationToken);
        if (order is null || transition(order) is not { } caused)
        {
            // An order this service never created, or one already past this step: a stale event.
            return HandleResult.Ignored;
        }

        db.Publish(caused);
        return HandleResult.Applied;
    }
}
