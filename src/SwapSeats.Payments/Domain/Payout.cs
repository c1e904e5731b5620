using SwapSeats.Messaging;

namespace SwapSeats.Payments.Domain;

public static class PayoutStatuses
{
    public const string Held = "held";
    public const string Paid = "paid";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// The seller's money for one sale, held in escrow: looked at when the event starts (no ticket file: the buyer is
/// refunded and this is cancelled), then paid at <see cref="ReleaseAt"/>. <see cref="DueAt"/> is when the payout
/// processor must look at it next (null: nothing to do until something changes).
/// </summary>
public sealed class Payout : IDueAt
{
    public const string NoAccount = "The seller has not connected a payout account yet";
    public const string WaitingForListing = "Waiting for the listing's details";

    private Payout()
    {
    }

    public Guid Id { get; private set; }

    public Guid PaymentId { get; private set; }

    public Guid OrderId { get; private set; }

    public Guid? TicketId { get; private set; }

    /// <summary>The seller (from the ticket replica; null until the listing has arrived).</summary>
    public Guid? SellerId { get; private set; }

    /// <summary>What the buyer paid, in the currency's major unit.</summary>
    public decimal Price { get; private set; }

    public decimal Fee { get; private set; }

    /// <summary>What the seller receives: price − fee.</summary>
    public decimal Amount { get; private set; }

    public string Currency { get; private set; } = "";

    public string Status { get; private set; } = PayoutStatuses.Held;

    public DateTimeOffset? EventStartsAt { get; private set; }

    public DateTimeOffset? ReleaseAt { get; private set; }

    /// <summary>Whether the ticket's file was checked at the event's start (and was there).</summary>
    public bool Delivered { get; private set; }

    public DateTimeOffset? DueAt { get; private set; }

    /// <summary>Why a held payout is not moving (shown to the seller), or null.</summary>
    public string? HoldReason { get; private set; }

    public int Attempts { get; private set; }

    public string? ProviderReference { get; private set; }

    public DateTimeOffset? PaidAt { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public string? TraceParent { get; private set; }

    /// <summary>SPEC: round(price × rate, 2), midpoint away from zero, in decimal all the way.</summary>
    public static decimal FeeOf(decimal price, decimal rate) => Math.Round(price * rate, 2, MidpointRounding.AwayFromZero);

    public static Payout For(Payment payment, Order order, decimal feeRate, Listing? listing, TimeSpan delay, DateTimeOffset now)
    {
        var fee = FeeOf(order.Price, feeRate);
        var payout = new Payout
        {
            Id = Guid.CreateVersion7(now),
            PaymentId = payment.Id,
            OrderId = order.Id,
            TicketId = order.TicketId,
            Price = order.Price,
            Fee = fee,
            Amount = order.Price - fee,
            Currency = payment.Currency,
            CreatedAt = now,
            TraceParent = MessagingTelemetry.CurrentTraceParent,
            HoldReason = WaitingForListing,
        };
        if (listing is not null)
        {
            payout.Describe(listing, delay);
        }

        return payout;
    }

    /// <summary>What the listing tells: the seller and the event's start, which set both timers.</summary>
    public void Describe(Listing listing, TimeSpan delay)
    {
        SellerId = listing.SellerId;
        EventStartsAt = listing.EventStartsAt;
        ReleaseAt = listing.EventStartsAt + delay;
        if (Status == PayoutStatuses.Held && HoldReason == WaitingForListing)
        {
            HoldReason = null;
            // A listing from before events had no start: nothing to wait for, checked and released at once.
            DueAt = EventStartsAt ?? CreatedAt;
        }
    }

    /// <summary>The ticket's file was there when the event started: the money waits only for the release.</summary>
    public void DeliveryConfirmed()
    {
        Delivered = true;
        // A listing from before events has no start, so no release time: released at once.
        DueAt = ReleaseAt ?? CreatedAt;
    }

    /// <summary>No ticket, no money (or the payment was refunded for another reason).</summary>
    public bool Cancel()
    {
        if (Status != PayoutStatuses.Held)
        {
            return false;
        }

        Status = PayoutStatuses.Cancelled;
        DueAt = null;
        return true;
    }

    public void WaitForAccount()
    {
        HoldReason = NoAccount;
        DueAt = null;
    }

    /// <summary>The seller connected an account: a payout that waited for one is due now.</summary>
    public void AccountConnected(DateTimeOffset now)
    {
        if (Status == PayoutStatuses.Held && HoldReason == NoAccount)
        {
            HoldReason = null;
            DueAt = now;
        }
    }

    public void MarkPaid(string reference, DateTimeOffset now)
    {
        Attempts++;
        Status = PayoutStatuses.Paid;
        ProviderReference = reference;
        PaidAt = now;
        DueAt = null;
        HoldReason = null;
    }

    public void Failed(string reason, DateTimeOffset now)
    {
        Attempts++;
        HoldReason = reason.Length > 200 ? reason[..197] + "..." : reason;
        // The system's one retry schedule, on a payout's scale: 5 s doubling to an hour.
        DueAt = now + SwapSeats.ServiceDefaults.Backoff.Delay(Attempts, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));
    }

    public override string ToString() =>
        $"payout {Id} {Status} due {DueAt:O} release {ReleaseAt:O} delivered {Delivered} attempts {Attempts} hold '{HoldReason}'";

    /// <summary>The amount in minor units, as providers want it (exact: prices have at most 2 decimals).</summary>
    public long AmountInMinorUnits() => (long)(Amount * 100m);
}

/// <summary>Payments' replica of a listing, fed by tickets' events in version order: who sells it, when its event starts, whether its file is there.</summary>
public sealed class Listing
{
    private Listing()
    {
    }

    public Guid Id { get; private set; }

    public Guid SellerId { get; private set; }

    /// <summary>Null only for listings announced before listings belonged to events.</summary>
    public DateTimeOffset? EventStartsAt { get; private set; }

    public bool HasFile { get; private set; }

    public int Version { get; private set; }

    public static Listing Replicate(Guid id, Guid sellerId, DateTimeOffset? eventStartsAt, bool hasFile, int version) =>
        new() { Id = id, SellerId = sellerId, EventStartsAt = eventStartsAt, HasFile = hasFile, Version = version };

    public void Update(DateTimeOffset? eventStartsAt, bool hasFile, int version)
    {
        EventStartsAt = eventStartsAt ?? EventStartsAt;
        HasFile = hasFile;
        Version = version;
    }
}

/// <summary>A seller's Stripe connected account, where transfers go.</summary>
public sealed class SellerAccount
{
    private SellerAccount()
    {
    }

    public Guid SellerId { get; private set; }

    public string StripeAccountId { get; private set; } = "";

    public DateTimeOffset UpdatedAt { get; private set; }

    public static SellerAccount Connect(Guid sellerId, string accountId, DateTimeOffset now) =>
        new() { SellerId = sellerId, StripeAccountId = accountId, UpdatedAt = now };

    public void Change(string accountId, DateTimeOffset now)
    {
        StripeAccountId = accountId;
        UpdatedAt = now;
    }
}
