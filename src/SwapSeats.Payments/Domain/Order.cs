using SwapSeats.Contracts;

namespace SwapSeats.Payments.Domain;

/// <summary>Payments' replica of an order, fed by orders' events in version order: what may be paid, by whom, until when.</summary>
public sealed class Order
{
    private Order()
    {
    }

    public Guid Id { get; private set; }

    /// <summary>The buyer: the only one who may pay.</summary>
    public Guid UserId { get; private set; }

    public string Status { get; private set; } = OrderStatuses.Created;

    public DateTimeOffset ExpiresAt { get; private set; }

    /// <summary>The ticket's price when the order was placed, in the currency's major unit.</summary>
    public decimal Price { get; private set; }

    public int Version { get; private set; }

    /// <summary>The ticket bought (null for orders replicated before payouts): whose seller is paid.</summary>
    public Guid? TicketId { get; private set; }

    /// <summary>The order's one charge at the payment provider, opened (without taking money) by the first attempt to pay.</summary>
    public string? ChargeReference { get; private set; }

    public void ChargeOpened(string reference) => ChargeReference = reference;

    /// <summary>
    /// Set when a cancelled order has a charge but no recorded outcome (an attempt's answer was lost, or it was still
    /// processing): the refund processor asks the provider then, records and refunds money that was taken.
    /// </summary>
    public DateTimeOffset? ChargeCheckDueAt { get; private set; }

    public int ChargeChecks { get; private set; }

    public void CheckChargeAt(DateTimeOffset at) => ChargeCheckDueAt = at;

    public void ChargeChecked(DateTimeOffset? again)
    {
        ChargeChecks++;
        ChargeCheckDueAt = again;
    }

    public static Order Replicate(OrderCreated created) => new()
    {
        Id = created.Id,
        UserId = created.UserId,
        Status = created.Status,
        ExpiresAt = created.ExpiresAt,
        Price = created.Ticket.Price,
        Version = created.Version,
        TicketId = created.Ticket.Id,
    };

    public void Cancelled(int version)
    {
        Status = OrderStatuses.Cancelled;
        Version = version;
    }

    public void Completed(int version)
    {
        Status = OrderStatuses.Complete;
        Version = version;
    }

    /// <summary>The amount to charge in minor units: exact, from decimal (19.99 → 1999).</summary>
    public long AmountInMinorUnits()
    {
        var minor = Price * 100m;
        return minor == decimal.Truncate(minor)
            ? (long)minor
            : throw new InvalidOperationException($"Order {Id} has a price with more than 2 decimals: {Price}");
    }
}
