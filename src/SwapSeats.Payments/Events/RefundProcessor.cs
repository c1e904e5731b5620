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
        while (await CheckChargeDueAsync(cancellationToken))
        {
        }

        while (await RefundDueAsync(cancellationToken))
        {
        }

        return IdleSleep;
    }

    /// <summary>Woken by a committed refund; the idle sleep catches refunds whose next attempt has come round.</summary>
    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) => newRefunds.WaitAsync(wait, cancellationToken, Time);

    /// <summary>
    /// A cancelled order with a charge but no recorded outcome: asks the provider. Money taken is recorded as a payment
    /// and queued for refund (the buyer never got the ticket); a processing charge is asked about again later; a charge
    /// that took nothing is closed.
    /// </summary>
    /// <returns>true when an order was checked (there may be more).</returns>
    public async Task<bool> CheckChargeDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PaymentsDbContext>();
        var now = Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var order = (await db.Orders.FromSql(
                $"SELECT * FROM orders WHERE charge_check_due_at <= {now} ORDER BY charge_check_due_at LIMIT 1 FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken)).SingleOrDefault();
        if (order is null)
        {
            return false;
        }

        var currency = scope.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<PaymentsOptions>>().Value.Currency;
        try
        {
            var result = await provider.CheckAsync(order.ChargeReference!, cancellationToken);
            switch (result.Outcome)
            {
                case ChargeOutcome.Succeeded when !await db.Payments.AnyAsync(p => p.OrderId == order.Id, cancellationToken):
                    var payment = Payment.Succeeded(order, order.AmountInMinorUnits(), currency, result.Reference, now);
                    db.Payments.Add(payment);
                    db.Refunds.Add(Refund.For(payment, now));
                    order.ChargeChecked(again: null);
                    LogFoundCharge(logger, order.Id, result.Reference);
                    break;
                case ChargeOutcome.Pending:
                    order.ChargeChecked(again: now + Backoff.Delay(order.ChargeChecks + 1, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1)));
                    break;
                default:
                    order.ChargeChecked(again: null);
                    break;
            }
        }
        catch (Exception ex) when (ex is PaymentProviderUnavailableException or PaymentProviderMisconfiguredException or PaymentRefusedException)
        {
            order.ChargeChecked(again: now + Backoff.Delay(order.ChargeChecks + 1, TimeSpan.FromSeconds(30), TimeSpan.FromHours(1)));
            LogCheckRetry(logger, ex, order.Id, order.ChargeCheckDueAt!.Value);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

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
            payment.MarkRefunded(refund.Reason);
            db.Publish(new PaymentRefunded(payment.Id, payment.OrderId, payment.Amount, payment.Currency) { Reason = refund.Reason });
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancelled order {OrderId} had been charged ({Reference}) although no answer said so; refunding it")]
    private static partial void LogFoundCharge(ILogger logger, Guid orderId, string reference);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking the charge of cancelled order {OrderId} failed; next check at {NextCheckAt}")]
    private static partial void LogCheckRetry(ILogger logger, Exception exception, Guid orderId, DateTimeOffset nextCheckAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refunded payment {PaymentId} of cancelled order {OrderId}: {Amount} {Currency}")]
    private static partial void LogRefunded(ILogger logger, Guid paymentId, Guid orderId, long amount, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refund of payment {PaymentId} failed; next attempt at {NextAttemptAt}")]
    private static partial void LogRetry(ILogger logger, Exception exception, Guid paymentId, DateTimeOffset nextAttemptAt);

}
