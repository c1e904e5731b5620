using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;
using SwapSeats.Payments.Providers;

namespace SwapSeats.Payments.Events;

/// <summary>
/// Carries out queued refunds with the provider (idempotency key = refund id), then marks the payment refunded and
/// announces <c>payment.refunded</c>. A provider outage only postpones a refund, with backoff; replicas share the
/// queue through <c>FOR UPDATE SKIP LOCKED</c>.
/// </summary>
public sealed partial class RefundProcessor(
    IServiceScopeFactory scopes, IPaymentProvider provider, CommitSignal<Refund> newRefunds, TimeProvider time,
    ILogger<RefundProcessor> logger) : Worker(logger, time)
{
    private static readonly TimeSpan IdleSleep = TimeSpan.FromSeconds(30);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        while (await RefundDueAsync(cancellationToken))
        {
        }

        return IdleSleep;
    }

    /// <summary>Woken by a committed refund; the idle sleep catches refunds whose next attempt has come round.</summary>
    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) => newRefunds.WaitAsync(wait, cancellationToken, Time);

    /// <returns>true when a refund was attempted (there may be more).</returns>
    public async Task<bool> RefundDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PaymentsDbContext>();
        var now = Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var refund = (await db.Refunds.FromSql(
                $"SELECT * FROM refunds WHERE NOT done AND next_attempt_at <= {now} ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken)).SingleOrDefault();
        if (refund is null)
        {
            return false;
        }

        using var activity = MessagingTelemetry.Continue("refund", refund.TraceParent);
        var payment = await db.Payments.SingleAsync(p => p.Id == refund.PaymentId, cancellationToken);
        try
        {
            // A key per attempt: a provider that stored a 5xx under the previous key would replay it forever.
            var reference = await provider.RefundAsync(payment.ProviderReference, payment.Amount, $"swapseats-refund-{refund.Id:N}-{refund.Attempts}", cancellationToken);
            refund.Succeeded(reference);
            payment.MarkRefunded();
            db.Publish(new PaymentRefunded(payment.Id, payment.OrderId, payment.Amount, payment.Currency));
            LogRefunded(logger, payment.Id, payment.OrderId, payment.Amount, payment.Currency);
        }
        catch (Exception ex) when (ex is PaymentProviderUnavailableException or PaymentProviderMisconfiguredException or PaymentRefusedException)
        {
            // Postponed with backoff, never dropped: an outage passes, a configuration gets fixed, a refusal gets looked at.
            refund.Failed(now);
            LogRetry(logger, ex, payment.Id, refund.NextAttemptAt);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refunded payment {PaymentId} of cancelled order {OrderId}: {Amount} {Currency}")]
    private static partial void LogRefunded(ILogger logger, Guid paymentId, Guid orderId, long amount, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refund of payment {PaymentId} failed; next attempt at {NextAttemptAt}")]
    private static partial void LogRetry(ILogger logger, Exception exception, Guid paymentId, DateTimeOffset nextAttemptAt);

}
