using System.Security.Cryptography;
using System.Text;

namespace SwapSeats.Payments.Providers;

/// <summary>
/// The default provider: no network, deterministic, and honouring Stripe's test tokens, so the marketplace can be used
/// end to end on one machine. tok_visa / tok_mastercard / tok_amex succeed; tok_chargeDeclined* declines.
/// </summary>
public sealed class LocalPaymentProvider : IPaymentProvider
{
    private static readonly HashSet<string> Succeeding = new(StringComparer.Ordinal) { "tok_visa", "tok_mastercard", "tok_amex" };

    public bool PreparedChargesAreRemote => false;

    public Task<string> PrepareAsync(Guid orderId, long amount, string currency, CancellationToken cancellationToken) =>
        Task.FromResult($"local_pi_{orderId:N}");

    public Task<ChargeResult> ChargeAsync(ChargeRequest request, CancellationToken cancellationToken) =>
        Task.FromResult(request.Token switch
        {
            _ when Succeeding.Contains(request.Token) => new ChargeResult(ChargeOutcome.Succeeded, request.Charge),
            _ when request.Token.StartsWith("tok_chargeDeclined", StringComparison.Ordinal) =>
                new ChargeResult(ChargeOutcome.Declined, DeclineReason(request.Token)),
            _ => new ChargeResult(ChargeOutcome.InvalidToken, "No such token"),
        });

    /// <summary>Nothing leaves this process: a charge whose answer was lost took no money.</summary>
    public Task<ChargeResult> CheckAsync(string charge, CancellationToken cancellationToken) =>
        Task.FromResult(new ChargeResult(ChargeOutcome.Declined, "not_charged"));

    public Task<string> RefundAsync(string chargeReference, long amount, string idempotencyKey, CancellationToken cancellationToken) =>
        Task.FromResult($"local_re_{Stable(idempotencyKey)}");

    public bool PayoutsNeedAccount => false;

    /// <summary>Paid at once; the payout's id gives the same transfer id every time.</summary>
    public Task<string> PayoutAsync(PayoutRequest request, CancellationToken cancellationToken) =>
        Task.FromResult($"local_tr_{request.PayoutId:N}");

    // As Stripe's own test tokens: tok_chargeDeclinedInsufficientFunds → insufficient_funds, and so on.
    private static string DeclineReason(string token)
    {
        var variant = token["tok_chargeDeclined".Length..];
        if (variant.Length == 0)
        {
            return "card_declined";
        }

        var snake = new StringBuilder();
        foreach (var c in variant)
        {
            if (char.IsUpper(c) && snake.Length > 0)
            {
                snake.Append('_');
            }

            snake.Append(char.ToLowerInvariant(c));
        }

        return snake.ToString();
    }

    // The same idempotency key gives the same refund id, as a real provider's idempotency would.
    private static string Stable(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
}
