using Microsoft.EntityFrameworkCore;
using SwapSeats.Messaging;
using SwapSeats.Contracts;
using SwapSeats.Messaging.Consumers;
using SwapSeats.Orders.Data;
using SwapSeats.Orders.Domain;

namespace SwapSeats.Orders.Events;

/// <summary>A new listing becomes purchasable here.</summary>
public sealed class TicketCreatedHandler(OrdersDbContext db) : IEventHandler<TicketCreated>
{
    public async Task<HandleResult> HandleAsync(TicketCreated @event, CancellationToken cancellationToken)
    {
        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        var result = Versioned.Check(current?.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            db.Tickets.Add(Ticket.Replicate(@event.Id, @event.Title, @event.Price, @event.UserId, @event.Version, @event.Status, @event.Event));
        }

        return result;
    }
}

/// <summary>
/// Changes, applied strictly in version order. A withdrawal also cancels an open order that was placed for the ticket
/// while the withdrawal was on its way (the seller took it off sale; the buyer is told why, and a payment is refunded).
/// </summary>
public sealed class TicketUpdatedHandler(OrdersDbContext db) : IEventHandler<TicketUpdated>
{
    public async Task<HandleResult> HandleAsync(TicketUpdated @event, CancellationToken cancellationToken)
    {
        // The common case in one statement: the next version of a ticket the replica has in the database (a sale's two
        // updates). The rest takes the read below: a withdrawal (it also closes orders), a ticket this batch has
        // loaded (updated behind its back, it would go stale for the rest of the batch), one not there yet, an event
        // out of order.
        if (@event.Status != TicketStatuses.Withdrawn
            && await Versioned.TryInOneStatementAsync<Ticket>(db, @event.Id, () => UpdateNextAsync(@event, cancellationToken)))
        {
            return HandleResult.Applied;
        }

        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        var result = Versioned.Check(current?.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            current!.Update(@event.Title, @event.Price, @event.Version, @event.Status, @event.Event);
            if (@event.Status == TicketStatuses.Withdrawn)
            {
                var open = await db.Orders.FromSql($"SELECT * FROM orders WHERE ticket_id = {@event.Id} AND status IN ('created', 'awaitingPayment') FOR UPDATE")
                    .ToListAsync(cancellationToken);
                foreach (var order in open.Where(o => o.Close(CancelReasons.Cancelled)))
                {
                    db.Publish(order.ToCancelledEvent());
                }
            }
        }

        return result;
    }

    /// <summary>What <see cref="Ticket.Update"/> does, as one statement, only where the row is at the previous version.</summary>
    private Task<int> UpdateNextAsync(TicketUpdated @event, CancellationToken cancellationToken) => @event.Event is { } e
        ? db.Database.ExecuteSqlAsync($"""
            UPDATE tickets SET title = {@event.Title}, price = {@event.Price}, status = {@event.Status}, version = {@event.Version},
                event_id = {e.Id}, event_name = {e.Name}, event_venue = {e.Venue}, event_city = {e.City}, event_starts_at = {e.StartsAt.ToUniversalTime()}
            WHERE id = {@event.Id} AND version = {@event.Version - 1}
            """, cancellationToken)
        : db.Database.ExecuteSqlAsync($"""
            UPDATE tickets SET title = {@event.Title}, price = {@event.Price}, status = {@event.Status}, version = {@event.Version}
            WHERE id = {@event.Id} AND version = {@event.Version - 1}
            """, cancellationToken);
}
