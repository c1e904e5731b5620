namespace SwapSeats.Payments.Providers;

/// <param name="Charge">The order's one charge at the provider, from <see cref="IPaymentProvider.PrepareAsync"/>: every
/// attempt to pay the order (a retry after a timeout, another card) works on it, so the order is charged at most once
/// however often the buyer tries and whatever the provider answered before.</param>
/// <param name="Attempt">Counts the attempts for this payout (0 first); each gets its own idempotency key.</param>
public sealed record PayoutRequest(Guid PayoutId, Guid OrderId, long Amount, string Currency, string? Account, int Attempt);

public sealed record ChargeRequest(Guid OrderId, long Amount, string Currency, string Token, string Charge);

public enum ChargeOutcome
{
    Succeeded,
    Declined,
    InvalidToken,

    /// <summary>The card network has not decided yet (Stripe's <c>processing</c>): neither paid nor declined.</summary>
    Pending,
}

/// <param name="Reference">The provider's charge id when it succeeded; the decline reason when declined.</param>
public sealed record ChargeResult(ChargeOutcome Outcome, string Reference);

/// <summary>The provider could not be reached or answered with a server error: the outcome is unknown, nothing is recorded.</summary>
public sealed class PaymentProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The provider refuses this payment for good (e.g. an amount below its minimum): retrying cannot help.</summary>
public sealed class PaymentRefusedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The provider refuses this service's credentials: no payment can succeed until an operator fixes them.</summary>
public sealed class PaymentProviderMisconfiguredException(string message, Exception? inner = null) : Exception(message, inner);

public interface IPaymentProvider
{
    /// <summary>
    /// Opens the order's charge without taking money (Stripe: an unconfirmed PaymentIntent). Its reference is stored
    /// before any attempt to take money, so an attempt whose answer was lost can be looked up instead of repeated.
    /// </summary>
    Task<string> PrepareAsync(Guid orderId, long amount, string currency, CancellationToken cancellationToken);

    /// <summary>
    /// Whether a prepared charge exists at the provider and must be committed before money is taken (Stripe). A provider
    /// whose references follow from the order alone (the local one) saves that commit and its round trips.
    /// </summary>
    bool PreparedChargesAreRemote { get; }

    /// <summary>Takes the money with the card token, or reports what an earlier attempt on the same charge did.</summary>
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// What became of the order's charge, without trying to take money (for a cancelled order whose last attempt's answer
    /// was lost): <see cref="ChargeOutcome.Succeeded"/> (money taken), <see cref="ChargeOutcome.Pending"/>, or
    /// <see cref="ChargeOutcome.Declined"/> for "no money taken" (and none will be).
    /// </summary>
    Task<ChargeResult> CheckAsync(string charge, CancellationToken cancellationToken);

    /// <returns>The provider's refund id.</returns>
    Task<string> RefundAsync(string chargeReference, long amount, string idempotencyKey, CancellationToken cancellationToken);

    /// <summary>Whether a payout needs the seller's connected account (Stripe) or is paid without one (local).</summary>
    bool PayoutsNeedAccount { get; }

    /// <summary>
    /// Pays the seller, once per payout however often it is called: an attempt whose answer was lost is found by the next
    /// one instead of being repeated.
    /// </summary>
    /// <returns>The provider's transfer id.</returns>
    Task<string> PayoutAsync(PayoutRequest request, CancellationToken cancellationToken);
}
