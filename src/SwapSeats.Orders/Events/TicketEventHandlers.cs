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
            db.Tickets.Add(Ticket.Replicate(@event.Id, @event.Title, @event.Price, @event.UserId, @event.Version));
        }

        return result;
    }
}

/// <summary>Title and price changes, applied strictly in version order.</summary>
public sealed class TicketUpdatedHandler(OrdersDbContext db) : IEventHandler<TicketUpdated>
{
    public async Task<HandleResult> HandleAsync(TicketUpdated @event, CancellationToken cancellationToken)
    {
        var current = await db.Tickets.FindAsync([@event.Id], cancellationToken);
        var result = Versioned.Check(current?.Version, @event.Version);
        if (result == HandleResult.Applied)
        {
            current!.Update(@event.Title, @event.Price, @event.Version);
        }

        return result;
    }
}
