using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Orders.Domain;

/// <summary>
/// A buyer's claim on a ticket: created → (awaitingPayment) → complete, or cancelled while open. Complete and
/// cancelled are final. Every change bumps the version that travels with the order's events.
/// </summary>
public sealed class Order
{
    private Order()
    {
    }

    public Guid Id { get; private set; }

    /// <summary>The buyer.</summary>
    public Guid UserId { get; private set; }

    public Guid TicketId { get; private set; }

    /// <summary>The ticket's title and price when the order was placed: what the buyer agreed to pay.</summary>
    public string TicketTitle { get; private set; } = "";

    public decimal TicketPrice { get; private set; }

    /// <summary>The event the ticket is for, when the order was placed (null for tickets from before events).</summary>
    public EventInfo? TicketEvent { get; private set; }

    /// <summary>Why a cancelled order was cancelled (<see cref="CancelReasons"/>).</summary>
    public string? CancelReason { get; private set; }

    public string Status { get; private set; } = OrderStatuses.Created;

    public DateTimeOffset ExpiresAt { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public int Version { get; private set; }

    /// <summary>Awaiting the buyer's payment (created or awaitingPayment): it holds the ticket until it expires.</summary>
    public bool IsOpen => Status is OrderStatuses.Created or OrderStatuses.AwaitingPayment;

    public static Order Place(Guid buyerId, Ticket ticket, DateTimeOffset now, TimeSpan reservationWindow)
    {
        if (ticket.UserId == buyerId)
        {
            throw new DomainException("You cannot buy your own ticket");
        }

        if (ticket.Status == TicketStatuses.Withdrawn)
        {
            throw new DomainException("Ticket is no longer for sale");
        }

        if (ticket.Event is { } @event && @event.StartsAt <= now)
        {
            throw new DomainException("Event has already started");
        }

        // Whole milliseconds in UTC: what PostgreSQL stores and every later read shows, so the first response agrees with them.
        now = new DateTimeOffset(now.UtcTicks - now.UtcTicks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
        return new Order
        {
            Id = Guid.CreateVersion7(now),
            UserId = buyerId,
            TicketId = ticket.Id,
            TicketTitle = ticket.Title,
            TicketPrice = ticket.Price,
            TicketEvent = ticket.Event,
            CreatedAt = now,
            ExpiresAt = now + reservationWindow,
        };
    }

    /// <summary>An open order past its window no longer holds its ticket, whether or not the timer has fired yet.</summary>
    public bool HasExpired(DateTimeOffset now) => IsOpen && now >= ExpiresAt;

    /// <summary>The buyer cancels. A completed order cannot be; a cancelled one stays cancelled.</summary>
    /// <returns>true when the order changed.</returns>
    public bool Cancel()
    {
        if (Status == OrderStatuses.Complete)
        {
            throw new DomainException("Cannot cancel a completed order");
        }

        return Close(CancelReasons.Cancelled);
    }

    /// <summary>The window ran out, the payment failed or the ticket was withdrawn: cancels an open order, and leaves a finished one alone.</summary>
    /// <param name="reason">One of <see cref="CancelReasons"/>.</param>
    /// <returns>true when the order changed.</returns>
    public bool Close(string reason)
    {
        if (!IsOpen)
        {
            return false;
        }

        Status = OrderStatuses.Cancelled;
        CancelReason = reason;
        Version++;
        return true;
    }

    /// <summary>The payment succeeded: an open order is complete. A cancelled one stays cancelled (payments refunds it).</summary>
    /// <returns>true when the order changed.</returns>
    public bool Complete()
    {
        if (!IsOpen)
        {
            return false;
        }

        Status = OrderStatuses.Complete;
        Version++;
        return true;
    }

    public OrderCreated ToCreatedEvent() => new(Id, UserId, Status, ExpiresAt, Version, new OrderTicket(TicketId, TicketPrice));

    public OrderCancelled ToCancelledEvent() => new(Id, Version, new TicketRef(TicketId)) { Reason = CancelReason };

    public OrderCompleted ToCompletedEvent() => new(Id, Version, new TicketRef(TicketId)) { UserId = UserId };
}
