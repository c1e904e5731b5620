namespace SwapSeats.Contracts;

public sealed record TicketCreated(Guid Id, string Title, decimal Price, Guid UserId, int Version)
    : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.TicketCreated;
}

public sealed record TicketUpdated(Guid Id, string Title, decimal Price, Guid UserId, Guid? OrderId, string Status, int Version)
    : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.TicketUpdated;
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
}

public sealed record OrderCompleted(Guid Id, int Version, TicketRef Ticket) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.OrderCompleted;
}

public sealed record ExpirationComplete(Guid OrderId) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.ExpirationComplete;
}

/// <param name="Amount">Minor units of <paramref name="Currency"/> (1999 for 19.99 usd).</param>
public sealed record PaymentCreated(Guid Id, Guid OrderId, long Amount, string Currency) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PaymentCreated;
}

public sealed record PaymentFailed(Guid OrderId, string Reason) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PaymentFailed;
}

/// <param name="Amount">Minor units of <paramref name="Currency"/>.</param>
public sealed record PaymentRefunded(Guid Id, Guid OrderId, long Amount, string Currency) : IntegrationEvent, IIntegrationEvent
{
    public static string Subject => Subjects.PaymentRefunded;
}
