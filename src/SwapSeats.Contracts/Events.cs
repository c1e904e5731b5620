namespace SwapSeats.Contracts;

/// <summary>What a ticket is for: the concert, match or show, where and when.</summary>
public sealed record EventInfo(Guid Id, string Name, string Venue, string City, DateTimeOffset StartsAt);

/// <param name="Title">Which seat, e.g. "Block 112, row C, seat 14".</param>
public sealed record TicketCreated(Guid Id, string Title, decimal Price, Guid UserId, int Version)
    : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.TicketCreated;

    /// <summary>Null only in events published before listings belonged to events.</summary>
    public EventInfo? Event { get; init; }

    /// <summary>The price printed on the ticket (null in events from before face values).</summary>
    public decimal? FaceValue { get; init; }

    public string Status { get; init; } = TicketStatuses.Available;

    public bool HasFile { get; init; }
}

public sealed record TicketUpdated(Guid Id, string Title, decimal Price, Guid UserId, Guid? OrderId, string Status, int Version)
    : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.TicketUpdated;

    public EventInfo? Event { get; init; }

    public decimal? FaceValue { get; init; }

    public bool HasFile { get; init; }
}

public sealed record OrderTicket(Guid Id, decimal Price);

public sealed record TicketRef(Guid Id);

public sealed record OrderCreated(Guid Id, Guid UserId, string Status, DateTimeOffset ExpiresAt, int Version, OrderTicket Ticket)
    : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.OrderCreated;
}

public sealed record OrderCancelled(Guid Id, int Version, TicketRef Ticket) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.OrderCancelled;

    /// <summary>Why: <see cref="CancelReasons"/> (null in events from before reasons were carried).</summary>
    public string? Reason { get; init; }
}

public sealed record OrderCompleted(Guid Id, int Version, TicketRef Ticket) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.OrderCompleted;

    /// <summary>The buyer (null in events from before ticket delivery): who may download the ticket once it is sold.</summary>
    public Guid? UserId { get; init; }
}

public sealed record ExpirationComplete(Guid OrderId) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.ExpirationComplete;
}

/// <param name="Amount">Minor units of <paramref name="Currency"/> (1999 for 19.99 usd).</param>
public sealed record PaymentCreated(Guid Id, Guid OrderId, long Amount, string Currency) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PaymentCreated;

    /// <summary>The seller's payout held for this payment (null in events from before payouts): what the seller is told.</summary>
    public PayoutTerms? Payout { get; init; }
}

/// <param name="Fee">Minor units kept by the marketplace.</param>
/// <param name="Amount">Minor units the seller receives.</param>
/// <param name="ReleaseAt">When it is paid (null while the listing's event is not known yet).</param>
public sealed record PayoutTerms(long Fee, long Amount, DateTimeOffset? ReleaseAt);

/// <summary>A new account, with the address every email to that user goes to.</summary>
public sealed record UserCreated(Guid Id, string Email) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.UserCreated;
}

public sealed record PaymentFailed(Guid OrderId, string Reason) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PaymentFailed;
}

/// <param name="Amount">Minor units of <paramref name="Currency"/>.</param>
public sealed record PaymentRefunded(Guid Id, Guid OrderId, long Amount, string Currency) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PaymentRefunded;

    /// <summary><c>orderCancelled</c> or <c>notDelivered</c> (null in events from before reasons were carried).</summary>
    public string? Reason { get; init; }
}

/// <summary>The seller's money for a sale left escrow. Amount in minor units, like every amount on the bus.</summary>
public sealed record PayoutPaid(Guid Id, Guid SellerId, Guid OrderId, long Amount, string Currency) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PayoutPaid;
}
