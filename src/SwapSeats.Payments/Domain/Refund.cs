namespace SwapSeats.Payments.Domain;

/// <summary>Why a payment went back (<c>refundReason</c>, <c>payment.refunded</c>'s <c>reason</c>).</summary>
public static class RefundReasons
{
    /// <summary>The payment succeeded for an order that was cancelled meanwhile (expired, or the ticket withdrawn).</summary>
    public const string OrderCancelled = "orderCancelled";

    /// <summary>The event started and the seller had not attached the ticket.</summary>
    public const string NotDelivered = "notDelivered";
}

/// <summary>
/// Money to give back: a payment that succeeded for an order that was cancelled meanwhile. Stored first, then carried
/// out by the refund processor with retries, so a provider outage delays a refund but never loses it.
/// </summary>
public sealed class Refund
{
    private Refund()
    {
    }

    public Guid Id { get; private set; }

    public Guid PaymentId { get; private set; }

    public bool Done { get; private set; }

    public int Attempts { get; private set; }

    public DateTimeOffset NextAttemptAt { get; private set; }

    public string? ProviderReference { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>W3C traceparent of the cancellation that asked for the refund: carrying it out continues that trace.</summary>
    public string? TraceParent { get; private set; }

    /// <summary>Why: <see cref="RefundReasons"/>.</summary>
    public string Reason { get; private set; } = RefundReasons.OrderCancelled;

    public static Refund For(Payment payment, DateTimeOffset now, string reason = RefundReasons.OrderCancelled) => new()
    {
        Reason = reason,
        Id = Guid.CreateVersion7(now),
        TraceParent = SwapSeats.Messaging.MessagingTelemetry.CurrentTraceParent,
        PaymentId = payment.Id,
        NextAttemptAt = now,
        CreatedAt = now,
    };

    public void Succeeded(string reference)
    {
        Done = true;
        ProviderReference = reference;
        Attempts++;
    }

    public void Failed(DateTimeOffset now)
    {
        Attempts++;
        // The system's one retry schedule, on a refund's scale: 2 s doubling to 5 minutes.
        NextAttemptAt = now + SwapSeats.ServiceDefaults.Backoff.Delay(Attempts, TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5));
    }
}
