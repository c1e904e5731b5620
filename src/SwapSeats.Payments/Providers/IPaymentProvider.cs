namespace SwapSeats.Payments.Providers;

/// <param name="IdempotencyKey">The same for every attempt to pay one order with one token, so a retry after a crash or a
/// timeout returns the first attempt's outcome instead of charging again.</param>
public sealed record ChargeRequest(Guid OrderId, long Amount, string Currency, string Token, string IdempotencyKey);

public enum ChargeOutcome
{
    Succeeded,
    Declined,
    InvalidToken,
}

/// <param name="Reference">The provider's charge id when it succeeded; the decline reason when declined.</param>
public sealed record ChargeResult(ChargeOutcome Outcome, string Reference);

/// <summary>The provider could not be reached or answered with a server error: the outcome is unknown, nothing is recorded.</summary>
public sealed class PaymentProviderUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

public interface IPaymentProvider
{
    Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken);

    /// <returns>The provider's refund id.</returns>
    Task<string> RefundAsync(string chargeReference, long amount, string idempotencyKey, CancellationToken cancellationToken);
}
