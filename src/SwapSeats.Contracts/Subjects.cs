namespace SwapSeats.Contracts;

/// <summary>Every subject on the bus, spelled once. Streams and consumers are configured from these.</summary>
public static class Subjects
{
    public const string UserCreated = "user.created";
    public const string TicketCreated = "ticket.created";
    public const string TicketUpdated = "ticket.updated";
    public const string OrderCreated = "order.created";
    public const string OrderCancelled = "order.cancelled";
    public const string OrderCompleted = "order.completed";
    public const string ExpirationComplete = "expiration.complete";
    public const string PaymentCreated = "payment.created";
    public const string PaymentFailed = "payment.failed";
    public const string PaymentRefunded = "payment.refunded";
    public const string PayoutPaid = "payout.paid";

    /// <summary>The stream that holds every integration event.</summary>
    public const string EventStream = "SWAPSEATS";

    public static readonly string[] EventStreamSubjects = ["user.>", "ticket.>", "order.>", "expiration.>", "payment.>", "payout.>"];

    /// <summary>Where a consumer parks a message it gave up on: <c>deadletter.{consumer}.{subject}</c>.</summary>
    public const string DeadLetterStream = "SWAPSEATS_DEADLETTER";

    public const string DeadLetterPrefix = "deadletter";

    public static string DeadLetter(string consumer, string subject) => $"{DeadLetterPrefix}.{consumer}.{subject}";
}

/// <summary>Ticket statuses as they travel in events and in the tickets API.</summary>
public static class TicketStatuses
{
    public const string Available = "available";
    public const string Reserved = "reserved";
    public const string Sold = "sold";

    /// <summary>Taken off sale by its seller: no longer listed or purchasable.</summary>
    public const string Withdrawn = "withdrawn";
}

/// <summary>Order statuses as they travel in events and in the orders API.</summary>
public static class OrderStatuses
{
    public const string Created = "created";
    public const string AwaitingPayment = "awaitingPayment";
    public const string Complete = "complete";
    public const string Cancelled = "cancelled";
}

/// <summary>Why an order was cancelled (<c>cancelReason</c> in the API, <c>reason</c> on <c>order.cancelled</c>).</summary>
public static class CancelReasons
{
    /// <summary>By the buyer (or because the seller withdrew the ticket).</summary>
    public const string Cancelled = "cancelled";

    public const string Expired = "expired";

    public const string PaymentFailed = "paymentFailed";
}
