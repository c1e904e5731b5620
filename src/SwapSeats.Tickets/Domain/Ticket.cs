using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Tickets.Domain;

/// <summary>
/// A listing: one seat at an event. Its status moves available → reserved → sold (or back to available), or to withdrawn
/// by its seller; every change bumps the version.
/// </summary>
public sealed class Ticket
{
    private Ticket()
    {
    }

    public Guid Id { get; private set; }

    public Guid EventId { get; private set; }

    public Event Event { get; private set; } = null!;

    /// <summary>Which seat.</summary>
    public string Title { get; private set; } = "";

    public decimal Price { get; private set; }

    /// <summary>The price printed on the ticket; the price may not exceed it times the cap.</summary>
    public decimal FaceValue { get; private set; }

    /// <summary>Lower-cased seat, event name and venue: what the public search matches every word against (trigram index).</summary>
    public string SearchText { get; private set; } = "";

    /// <summary>Whether the seller has attached the ticket itself (the bytes live apart, in <see cref="TicketFile"/>).</summary>
    public bool HasFile { get; private set; }

    /// <summary>Who holds the ticket (reserved) or bought it (sold): the one besides the seller who may download its file.</summary>
    public Guid? BuyerId { get; private set; }

    /// <summary>When it was sold: "My tickets" lists the newest purchase first.</summary>
    public DateTimeOffset? SoldAt { get; private set; }

    /// <summary>The seller.</summary>
    public Guid UserId { get; private set; }

    /// <summary>The order holding the ticket while reserved or sold.</summary>
    public Guid? OrderId { get; private set; }

    public string Status { get; private set; } = TicketStatuses.Available;

    public int Version { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public static Ticket List(Event @event, string title, decimal price, decimal faceValue, Guid sellerId, DateTimeOffset now)
    {
        if (@event.HasStarted(now))
        {
            throw new DomainException("Event has already started");
        }

        return new Ticket
        {
            Id = Guid.CreateVersion7(now),
            EventId = @event.Id,
            Event = @event,
            Title = title,
            Price = price,
            FaceValue = faceValue,
            SearchText = SearchTextOf(title, @event),
            UserId = sellerId,
            CreatedAt = now,
        };
    }

    public static string SearchTextOf(string title, Event @event) => $"{title} {@event.Name} {@event.Venue}".ToLowerInvariant();

    public void Edit(string title, decimal price, decimal faceValue, DateTimeOffset now)
    {
        if (Status == TicketStatuses.Withdrawn)
        {
            throw new DomainException("Cannot edit a withdrawn ticket");
        }

        if (Status == TicketStatuses.Reserved)
        {
            throw new DomainException("Cannot edit a reserved ticket");
        }

        if (Status == TicketStatuses.Sold)
        {
            throw new DomainException("Cannot edit a sold ticket");
        }

        if (Event.HasStarted(now))
        {
            throw new DomainException("Event has already started");
        }

        Title = title;
        Price = price;
        FaceValue = faceValue;
        SearchText = SearchTextOf(title, Event);
        Version++;
    }

    /// <summary>Takes the listing off sale; true when it changed (withdrawing a withdrawn ticket changes nothing).</summary>
    public bool Withdraw()
    {
        switch (Status)
        {
            case TicketStatuses.Withdrawn:
                return false;
            case TicketStatuses.Reserved:
                throw new DomainException("Cannot withdraw a reserved ticket");
            case TicketStatuses.Sold:
                throw new DomainException("Cannot withdraw a sold ticket");
        }

        Status = TicketStatuses.Withdrawn;
        Version++;
        return true;
    }

    /// <summary>
    /// The seller attaches the ticket itself: replaceable until the sale; a sold ticket may still receive its first file
    /// (late delivery), never a replacement the buyer may already have downloaded.
    /// </summary>
    public void AttachFile()
    {
        if (Status == TicketStatuses.Withdrawn)
        {
            throw new DomainException("Cannot attach a file to a withdrawn ticket");
        }

        if (Status == TicketStatuses.Sold && HasFile)
        {
            throw new DomainException("Cannot replace the file of a sold ticket");
        }

        HasFile = true;
        Version++;
    }

    /// <summary>Who may download the file: the seller always, the buyer once the ticket is sold to them.</summary>
    public bool MayDownload(Guid userId) => userId == UserId || (Status == TicketStatuses.Sold && BuyerId == userId);

    public ReservationChange Reserve(Guid orderId, Guid buyerId)
    {
        if (OrderId == orderId)
        {
            return ReservationChange.AlreadyDone;
        }

        if (Status == TicketStatuses.Withdrawn)
        {
            // An order placed while the withdrawal was on its way: orders cancels it once it hears of the withdrawal.
            return ReservationChange.AlreadyDone;
        }

        if (Status != TicketStatuses.Available)
        {
            // Orders lets one active order hold a ticket, so the other order's release is on its way.
            return ReservationChange.NotYet;
        }

        OrderId = orderId;
        BuyerId = buyerId;
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
        BuyerId = null;
        Status = TicketStatuses.Available;
        Version++;
        return ReservationChange.Changed;
    }

    /// <param name="buyerId">The buyer as <c>order.completed</c> names them (null in older events: the reservation's buyer stands).</param>
    public ReservationChange MarkSold(Guid orderId, Guid? buyerId, DateTimeOffset now)
    {
        if (OrderId == orderId && Status == TicketStatuses.Sold)
        {
            return ReservationChange.AlreadyDone;
        }

        if (Status == TicketStatuses.Withdrawn && OrderId is null)
        {
            // Withdrawn while its buyer was already paying (the withdrawal and the order crossed): the paid order wins, the
            // buyer gets the ticket; otherwise the buyer would have paid for nothing and this event would wait for ever.
            OrderId = orderId;
            BuyerId = buyerId;
            Status = TicketStatuses.Sold;
            SoldAt = now;
            Version++;
            return ReservationChange.Changed;
        }

        if (OrderId != orderId || Status != TicketStatuses.Reserved)
        {
            // The reservation for this order has not arrived yet.
            return ReservationChange.NotYet;
        }

        BuyerId = buyerId ?? BuyerId;
        Status = TicketStatuses.Sold;
        SoldAt = now;
        Version++;
        return ReservationChange.Changed;
    }

    public TicketCreated ToCreatedEvent() => new(Id, Title, Price, UserId, Version)
    {
        Event = Event.ToInfo(),
        FaceValue = FaceValue,
        Status = Status,
        HasFile = HasFile,
    };

    public TicketUpdated ToUpdatedEvent() => new(Id, Title, Price, UserId, OrderId, Status, Version)
    {
        Event = Event.ToInfo(),
        FaceValue = FaceValue,
        HasFile = HasFile,
    };
}

public enum ReservationChange
{
    Changed,
    AlreadyDone,
    NotYet,
}
