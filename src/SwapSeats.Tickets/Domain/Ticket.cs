using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Tickets.Domain;

/// <summary>A listing. Its status moves available → reserved → sold (or back to available); every change bumps the version.</summary>
public sealed class Ticket
{
    private Ticket()
    {
    }

    public Guid Id { get; private set; }

    public string Title { get; private set; } = "";

    public decimal Price { get; private set; }

    /// <summary>The seller.</summary>
    public Guid UserId { get; private set; }

    /// <summary>The order holding the ticket while reserved or sold.</summary>
    public Guid? OrderId { get; private set; }

    public string Status { get; private set; } = TicketStatuses.Available;

    public int Version { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static Ticket List(string title, decimal price, Guid sellerId, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        Title = title,
        Price = price,
        UserId = sellerId,
        CreatedAt = now,
    };

    public void Edit(string title, decimal price)
    {
        if (Status == TicketStatuses.Reserved)
        {
            throw new DomainException("Cannot edit a reserved ticket");
        }

        if (Status == TicketStatuses.Sold)
        {
            throw new DomainException("Cannot edit a sold ticket");
        }

        Title = title;
        Price = price;
        Version++;
    }

    public ReservationChange Reserve(Guid orderId)
    {
        if (OrderId == orderId)
        {
            return ReservationChange.AlreadyDone;
        }

        if (Status != TicketStatuses.Available)
        {
            // Orders lets one active order hold a ticket, so the other order's release is on its way.
            return ReservationChange.NotYet;
        }

        OrderId = orderId;
        Status = TicketStatuses.Reserved;
        Version++;
        return ReservationChange.Changed;
    }

    public ReservationChange Release(Guid orderId)
    {
        if (OrderId != orderId || Status != TicketStatuses.Reserved)
        {
            // A stale cancellation: the ticket is free, or held (or sold) by another order.
            return ReservationChange.AlreadyDone;
        }

        OrderId = null;
        Status = TicketStatuses.Available;
        Version++;
        return ReservationChange.Changed;
    }

    public ReservationChange MarkSold(Guid orderId)
    {
        if (OrderId == orderId && Status == TicketStatuses.Sold)
        {
            return ReservationChange.AlreadyDone;
        }

        if (OrderId != orderId || Status != TicketStatuses.Reserved)
        {
            // The reservation for this order has not arrived yet.
            return ReservationChange.NotYet;
        }

        Status = TicketStatuses.Sold;
        Version++;
        return ReservationChange.Changed;
    }

    public TicketCreated ToCreatedEvent() => new(Id, Title, Price, UserId, Version);

    public TicketUpdated ToUpdatedEvent() => new(Id, Title, Price, UserId, OrderId, Status, Version);
}

public enum ReservationChange
{
    Changed,
    AlreadyDone,
    NotYet,
}
