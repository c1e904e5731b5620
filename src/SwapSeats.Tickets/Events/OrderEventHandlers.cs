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
        // order.cancelled can still be applied first: order.created may have been sent back to wait, and replicas can
        // handle the two at the same moment. The ticket's row lock orders them: a cancellation that got there first has
        // committed its tombstone by the time this reads it.
        // (The tombstone is looked for in a statement of its own, after the lock: one statement reads as of its start.)
        var ticket = await TicketChange.LockedAsync(db, @event.Ticket.Id, cancellationToken);
        if (await TicketsDbContext.OrderCancelledAsync(db, @event.Id, cancellationToken))
        {
            return HandleResult.Ignored;
        }

        return TicketChange.Apply(db, ticket, ticket => ticket.Reserve(@event.Id, @event.UserId));
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
        var ticket = await TicketChange.LockedAsync(db, @event.Ticket.Id, cancellationToken);
        if (!await TicketsDbContext.OrderCancelledAsync(db, @event.Id, cancellationToken))
        {
            db.CancelledOrders.Add(new CancelledOrder(@event.Id, @event.Ticket.Id, time.GetUtcNow()));
        }

        // Ignored still commits (with the inbox record), so the tombstone is kept even when the ticket did not change.
        return TicketChange.Apply(db, ticket, ticket => ticket.Release(@event.Id));
    }
}

/// <summary>A completed (paid) order sells its ticket.</summary>
public sealed class OrderCompletedHandler(TicketsDbContext db, TimeProvider time) : IEventHandler<OrderCompleted>
{
    public async Task<HandleResult> HandleAsync(OrderCompleted @event, CancellationToken cancellationToken) =>
        TicketChange.Apply(db, await TicketsDbContext.TicketWithEventAsync(db, @event.Ticket.Id, cancellationToken),
            ticket => ticket.MarkSold(@event.Id, @event.UserId, time.GetUtcNow()));
}

internal static class TicketChange
{
    /// <summary>
    /// The ticket with its event, its row locked until the consumer's transaction commits, in one statement (a ticket
    /// never seen locks nothing and comes back null).
    /// </summary>
    public static async Task<Ticket?> LockedAsync(TicketsDbContext db, Guid ticketId, CancellationToken cancellationToken) =>
        (await db.Tickets.FromSql($"SELECT * FROM tickets WHERE id = {ticketId} FOR UPDATE").Include(t => t.Event).ToListAsync(cancellationToken))
        .SingleOrDefault();

    /// <summary>Applies a reservation change and announces the new version; the consumer commits both.</summary>
    public static HandleResult Apply(TicketsDbContext db, Ticket? ticket, Func<Ticket, ReservationChange> change)
    {
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
