using SwapSeats.Contracts;

namespace SwapSeats.Orders.Domain;

/// <summary>
/// Orders' replica of a listing, fed by <c>ticket.created</c> / <c>ticket.updated</c> in version order. Whether the
/// ticket is held is decided here, by the orders table, not by the replica's copy of the tickets service's status.
/// </summary>
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

    public int Version { get; private set; }

    /// <summary>The tickets service's status: a withdrawn ticket is no longer for sale.</summary>
    public string Status { get; private set; } = TicketStatuses.Available;

    /// <summary>The event, as tickets announced it (null only for tickets announced before events existed).</summary>
    public EventInfo? Event { get; private set; }

    public static Ticket Replicate(Guid id, string title, decimal price, Guid sellerId, int version, string status, EventInfo? @event) => new()
    {
        Id = id,
        Title = title,
        Price = price,
        UserId = sellerId,
        Version = version,
        Status = status,
        Event = @event,
    };

    public void Update(string title, decimal price, int version, string status, EventInfo? @event)
    {
        Title = title;
        Price = price;
        Version = version;
        Status = status;
        Event = @event ?? Event;
    }
}
