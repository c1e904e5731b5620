using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;
using SwapSeats.Payments.Providers;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Payments.Events;

/// <summary>
/// Escrow's two timers, durable in the payouts table like expiration's: at the event's start a payout whose ticket has
/// no file is cancelled and its buyer refunded (<c>notDelivered</c>); at <c>releaseAt</c> the seller is paid through the
/// provider and <c>payout.paid</c> announced. Due rows are claimed with <c>FOR UPDATE SKIP LOCKED</c>, so replicas
/// share the work and each timer fires once; what fell due while the service was down fires when it is back. Sleeps
/// until the next due payout, woken by a new one due sooner (a payout due in days wakes nobody).
/// </summary>
public sealed partial class PayoutProcessor(
    IServiceScopeFactory scopes, IPaymentProvider provider, CommitSignal<Payout> newPayouts, TimeProvider time,
    ILogger<PayoutProcessor> logger) : Worker(logger, time)
{
    public const int BatchSize = 20;

    /// <summary>The longest sleep: a look now and then even when nothing is due (a changed clock, a missed signal).</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    protected override TimeSpan LongestRetry => TimeSpan.FromSeconds(5);

    /// <summary>The shortest wait after a round that claimed nothing: rows due but locked by another replica are not ours to spin on.</summary>
    private static readonly TimeSpan LockedBackOff = TimeSpan.FromMilliseconds(500);

    protected override async Task<TimeSpan> RunOnceAsync(CancellationToken cancellationToken)
    {
        await DescribeWaitingAsync(cancellationToken);
        int processed;
        while ((processed = await ProcessDueAsync(cancellationToken)) == BatchSize)
        {
        }

        var (now, wait) = await TimeUntilNextDueAsync(cancellationToken);
        return SleepUntil(now, processed == 0 && wait < LockedBackOff ? LockedBackOff : wait);
    }

    /// <summary>
    /// Payouts recorded while their listing was on its way and described by nobody (the payment and the listing's event
    /// committed at the same moment, each unseen by the other): the listing is here now.
    /// </summary>
    public async Task DescribeWaitingAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PaymentsDbContext>();
        var waiting = await db.Payouts.Where(p => p.SellerId == null && p.Status == PayoutStatuses.Held && db.Listings.Any(l => l.Id == p.TicketId))
            .ToListAsync(cancellationToken);
        if (waiting.Count == 0)
        {
            return;
        }

        var delay = scope.ServiceProvider.GetRequiredService<IOptions<PaymentsOptions>>().Value.PayoutDelay;
        var ids = waiting.Select(p => p.TicketId!.Value).ToList();
        var listings = await db.Listings.Where(l => ids.Contains(l.Id)).ToDictionaryAsync(l => l.Id, cancellationToken);
        waiting.ForEach(p => p.Describe(listings[p.TicketId!.Value], delay));
        await db.SaveChangesAsync(cancellationToken);
    }

    protected override Task IdleAsync(TimeSpan wait, CancellationToken cancellationToken) =>
        newPayouts.WaitUntilAsync(WakeAt(wait), Time, cancellationToken);

    /// <summary>Looks at up to one batch of due payouts, in one transaction with what they cause.</summary>
    /// <returns>How many were looked at.</returns>
    public async Task<int> ProcessDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PaymentsDbContext>();
        var now = Time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var due = await db.Payouts.FromSql(
                $"SELECT * FROM payouts WHERE status = 'held' AND due_at <= {now} ORDER BY due_at LIMIT {BatchSize} FOR UPDATE SKIP LOCKED")
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return 0;
        }

        var tickets = due.Select(p => p.TicketId).OfType<Guid>().ToList();
        var listings = await db.Listings.Where(l => tickets.Contains(l.Id)).ToDictionaryAsync(l => l.Id, cancellationToken);
        var sellers = due.Select(p => p.SellerId).OfType<Guid>().ToList();
        var accounts = await db.SellerAccounts.Where(a => sellers.Contains(a.SellerId)).ToDictionaryAsync(a => a.SellerId, a => a.StripeAccountId, cancellationToken);
        foreach (var payout in due)
        {
            using var activity = MessagingTelemetry.Continue("payout", payout.TraceParent);
            if (!payout.Delivered)
            {
                await CheckDeliveryAsync(db, payout, payout.TicketId is { } id ? listings.GetValueOrDefault(id) : null, now, cancellationToken);
            }
            else if (payout.ReleaseAt is null || now >= payout.ReleaseAt)
            {
                await ReleaseAsync(db, payout, payout.SellerId is { } seller ? accounts.GetValueOrDefault(seller) : null, now, cancellationToken);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return due.Count;
    }

    /// <summary>The event has started: the ticket's file must be there, or the buyer gets the money back.</summary>
    private async Task CheckDeliveryAsync(PaymentsDbContext db, Payout payout, Listing? listing, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (listing?.HasFile == true)
        {
            payout.DeliveryConfirmed();
            return;
        }

        payout.Cancel();
        var payment = await db.Payments.SingleAsync(p => p.Id == payout.PaymentId, cancellationToken);
        if (payment.Status == PaymentStatuses.Succeeded && !await db.Refunds.AnyAsync(r => r.PaymentId == payment.Id, cancellationToken))
        {
            db.Refunds.Add(Refund.For(payment, now, RefundReasons.NotDelivered));
        }

        LogNotDelivered(logger, payout.OrderId, payout.TicketId);
    }

    private async Task ReleaseAsync(PaymentsDbContext db, Payout payout, string? account, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Never for money that goes, or went, back to the buyer (a cancellation that reached payments late).
        var payment = await db.Payments.SingleAsync(p => p.Id == payout.PaymentId, cancellationToken);
        var order = await db.Orders.SingleAsync(o => o.Id == payout.OrderId, cancellationToken);
        if (payment.Status != PaymentStatuses.Succeeded || order.Status != SwapSeats.Contracts.OrderStatuses.Complete
            || await db.Refunds.AnyAsync(r => r.PaymentId == payment.Id, cancellationToken))
        {
            if (payment.Status != PaymentStatuses.Succeeded || await db.Refunds.AnyAsync(r => r.PaymentId == payment.Id, cancellationToken))
            {
                payout.Cancel();
            }
            else
            {
                // Orders has not said "complete" yet (or is about to say "cancelled"): look again shortly.
                payout.Failed("Waiting for the order to be confirmed", now);
            }

            return;
        }

        if (provider.PayoutsNeedAccount && account is null)
        {
            // Visible to the seller (status held, with the reason); connecting an account makes it due again.
            payout.WaitForAccount();
            return;
        }

        try
        {
            var reference = await provider.PayoutAsync(
                new PayoutRequest(payout.Id, payout.OrderId, payout.AmountInMinorUnits(), payout.Currency, account, payout.Attempts), cancellationToken);
            payout.MarkPaid(reference, now);
            db.Publish(new PayoutPaid(payout.Id, payout.SellerId!.Value, payout.OrderId, payout.AmountInMinorUnits(), payout.Currency));
            LogPaid(logger, payout.Id, payout.OrderId, payout.Amount, payout.Currency);
        }
        catch (Exception ex) when (ex is PaymentProviderUnavailableException or PaymentProviderMisconfiguredException or PaymentRefusedException)
        {
            payout.Failed(ex is PaymentRefusedException ? $"The payment provider refused the payout: {ex.Message}" : "Retrying: the payment provider is unavailable", now);
            LogRetry(logger, ex, payout.Id, payout.DueAt!.Value);
        }
    }

    /// <returns>The clock reading it went by, and the wait from then.</returns>
    private async Task<(DateTimeOffset Now, TimeSpan Wait)> TimeUntilNextDueAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<PaymentsDbContext>();
        var next = await db.Payouts.Where(p => p.Status == PayoutStatuses.Held && p.DueAt != null).MinAsync(p => p.DueAt, cancellationToken);
        var now = Time.GetUtcNow();
        return (now, MessagingTelemetry.SleepUntilDue("payouts", next, now, MaxSleep));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The event of order {OrderId} started and ticket {TicketId} has no file: the buyer is refunded, the payout cancelled")]
    private static partial void LogNotDelivered(ILogger logger, Guid orderId, Guid? ticketId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Paid out {PayoutId} for order {OrderId}: {Amount} {Currency}")]
    private static partial void LogPaid(ILogger logger, Guid payoutId, Guid orderId, decimal amount, string currency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Payout {PayoutId} failed; next attempt at {NextAttemptAt}")]
    private static partial void LogRetry(ILogger logger, Exception exception, Guid payoutId, DateTimeOffset nextAttemptAt);
}
