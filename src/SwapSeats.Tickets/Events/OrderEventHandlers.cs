using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Tickets.Data;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Events;

/// <summary>A new order reserves its ticket, unless that order has already been cancelled.</summary>
public sealed class OrderCreatedHandler(TicketsDbContext db) : IEventHandler<OrderCreated>
{
    public async Task<HandleResult> HandleAsync(OrderCreated @event, CancellationToken cancellationToken)
    {
        // order.created and order.cancelled travel on separate consumers, so a quick cancel can overtake its order; on
        // replicas the two can even be handled at the same moment. The ticket's row lock orders them: a cancellation
        // that got there first has committed its tombstone by the time this reads it.
        await TicketChange.LockAsync(db, @event.Ticket.Id, cancellationToken);
        if (await db.CancelledOrders.AnyAsync(o => o.OrderId == @event.Id, cancellationToken))
        {
            return HandleResult.Ignored;
        }

        return await TicketChange.ApplyAsync(db, @event.Ticket.Id, ticket => ticket.Reserve(@event.Id, @event.UserId), cancellationToken);
    }
}

/// <summary>
/// A cancelled order releases its ticket, but only if that order is the one holding it. The cancellation is remembered
/// so the order's own <c>order.created</c>, if it arrives later, does not reserve the ticket for a dead order.
/// </summary>
public sealed class OrderCancelledHandler(TicketsDbContext db, TimeProvider time) : IEventHandler<OrderCancelled>
{
    public async Task<HandleResult> HandleAsync(OrderCancelled @event, CancellationToken cancellationToken)
    {
        await TicketChange.LockAsync(db, @event.Ticket.Id, cancellationToken);
        if (!await db.CancelledOrders.AnyAsync(o => o.OrderId == @event.Id, cancellationToken))
        {
            db.CancelledOrders.Add(new CancelledOrder(@event.Id, @event.Ticket.Id, time.GetUtcNow()));
        }

        // Ignored still commits (with the inbox record), so the tombstone is kept even when the ticket did not change.
        return await TicketChange.ApplyAsync(db, @event.Ticket.Id, ticket => ticket.Release(@event.Id), cancellationToken);
    }
}

/// <summary>A completed (paid) order sells its ticket.</summary>
public sealed class OrderCompletedHandler(TicketsDbContext db, TimeProvider time) : IEventHandler<OrderCompleted>
{
    public Task<HandleResult> HandleAsync(OrderCompleted @event, CancellationToken cancellationToken) =>
        TicketChange.ApplyAsync(db, @event.Ticket.Id, ticket => ticket.MarkSold(@event.Id, @event.UserId, time.GetUtcNow()), cancellationToken);
}

internal static class TicketChange
{
    /// <summary>Locks the ticket's row until the consumer's transaction commits (a ticket never seen locks nothing).</summary>
    public static Task LockAsync(TicketsDbContext db, Guid ticketId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT 1 FROM tickets WHERE id = {ticketId} FOR UPDATE", cancellationToken);

    /// <summary>Applies a reservation change and announces the new version; the consumer commits both.</summary>
    public static async Task<HandleResult> ApplyAsync(
        TicketsDbContext db, Guid ticketId, Func<Ticket, ReservationChange> change, CancellationToken cancellationToken)
    {
        var ticket = await db.Tickets.Include(t => t.Event).SingleOrDefaultAsync(t => t.Id == ticketId, cancellationToken);
        if (ticket is null)
        {
            // Orders only knows tickets that tickets announced, so this is an event for a ticket we never had.
            return HandleResult.Ignored;
        }

        switch (change(ticket))
        {
            case ReservationChange.Changed:
                db.Publish(ticket.ToUpdatedEvent());
                return HandleResult.Applied;
            case ReservationChange.NotYet:
                return HandleResult.RetryLater;
            default:
                return HandleResult.Ignored;
        }
    }
}
