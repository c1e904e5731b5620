namespace SwapSeats.Payments.Domain;

public static class PaymentStatuses
{
    public const string Succeeded = "succeeded";
    public const string Declined = "declined";
    public const string Refunded = "refunded";
}

/// <summary>One charge attempt that reached a verdict: succeeded (possibly refunded later) or declined.</summary>
public sealed class Payment
{
    private Payment()
    {
    }

    public Guid Id { get; private set; }

    public Guid OrderId { get; private set; }

    public Guid UserId { get; private set; }

    /// <summary>Minor units (cents).</summary>
    public long Amount { get; private set; }

    public string Currency { get; private set; } = "";

    public string Status { get; private set; } = PaymentStatuses.Succeeded;

    /// <summary>The provider's id of the charge (a PaymentIntent id for Stripe), or the decline reason.</summary>
    public string ProviderReference { get; private set; } = "";

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Why the money went back (<see cref="RefundReasons"/>), once refunded.</summary>
    public string? RefundReason { get; private set; }

    public static Payment Succeeded(Order order, long amount, string currency, string reference, DateTimeOffset now) =>
        New(order, amount, currency, PaymentStatuses.Succeeded, reference, now);

    public static Payment Declined(Order order, long amount, string currency, string reason, DateTimeOffset now) =>
        New(order, amount, currency, PaymentStatuses.Declined, reason, now);

    private static Payment New(Order order, long amount, string currency, string status, string reference, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        OrderId = order.Id,
        UserId = order.UserId,
        Amount = amount,
        Currency = currency,
        Status = status,
        ProviderReference = reference,
        CreatedAt = now,
    };

    public void MarkRefunded(string reason)
    {
        if (Status != PaymentStatuses.Succeeded)
        {
            throw new InvalidOperationException($"Payment {Id} is {Status}; only a succeeded payment can be refunded.");
        }

        Status = PaymentStatuses.Refunded;
        RefundReason = reason;
    }
}
