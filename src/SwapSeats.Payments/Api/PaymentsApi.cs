using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;
using SwapSeats.Payments.Providers;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Payments.Api;

public sealed record PaymentRequest(string? OrderId, string? Token);

public sealed record PaymentDto(Guid Id, Guid OrderId, long Amount, string Currency, string Status, string? RefundReason)
{
    public static PaymentDto From(Payment p) => new(p.Id, p.OrderId, p.Amount, p.Currency, p.Status, p.RefundReason);
}

public static class PaymentsApi
{
    public const int MaxTokenLength = 255;

    public static IEndpointRouteBuilder MapPaymentsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/payments").WithTags("Payments").RequireAuthorization().CheckSessionBeforeBody();
        api.MapPost("/", Pay).Accepts<PaymentRequest>("application/json");
        api.MapGet("/", List);
        api.MapGet("/{id}", Show);
        return app;
    }

    /// <summary>
    /// Charges the order's price once. The order's replica row stays locked from the checks to the commit, so concurrent
    /// attempts for one order queue up behind it and find it paid. The order's one charge at the provider is opened and
    /// committed first (no money moves), so an attempt whose answer was lost (a timeout, a 5xx) is looked up by the next
    /// attempt instead of being repeated.
    /// </summary>
    public static async Task<Created<PaymentDto>> Pay(
        PaymentRequest request, ClaimsPrincipal user, PaymentsDbContext db, IPaymentProvider provider, TimeProvider time,
        IOptions<PaymentsOptions> options, CancellationToken cancellationToken)
    {
        var (orderId, token) = Validate(request);
        var payerId = user.RequiredUserId();
        var currency = options.Value.Currency;
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            var (order, listing) = await PayableOrderAsync(db, orderId, payerId, time, cancellationToken);
            var amount = order.AmountInMinorUnits();
            if (order.ChargeReference is null)
            {
                order.ChargeOpened(await ProviderAsync(() => provider.PrepareAsync(orderId, amount, currency, cancellationToken)));
            }

            if (provider.PreparedChargesAreRemote && db.Entry(order).Property(o => o.ChargeReference).IsModified)
            {
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                await transaction.DisposeAsync();
                // Locked again, read afresh and checked again: the order may have been paid or cancelled meanwhile.
                db.ChangeTracker.Clear();
                transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                (order, listing) = await PayableOrderAsync(db, orderId, payerId, time, cancellationToken);
            }

            var result = await ProviderAsync(() => provider.ChargeAsync(
                new ChargeRequest(orderId, amount, currency, token, order.ChargeReference!), cancellationToken));
            var now = time.GetUtcNow();
            switch (result.Outcome)
            {
                case ChargeOutcome.Succeeded:
                    var payment = Payment.Succeeded(order, amount, currency, result.Reference, now);
                    db.Payments.Add(payment);
                    // The seller's share, held in escrow from this moment, in the same transaction as the payment.
                    var payout = Payout.For(payment, order, options.Value.SellerFeeRate, listing, options.Value.PayoutDelay, now);
                    db.Payouts.Add(payout);
                    db.Publish(new PaymentCreated(payment.Id, orderId, amount, currency)
                    {
                        Payout = new PayoutTerms((long)(payout.Fee * 100m), payout.AmountInMinorUnits(), payout.ReleaseAt),
                    });
                    await db.SaveChangesAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    return TypedResults.Created($"/api/payments/{payment.Id}", PaymentDto.From(payment));
                case ChargeOutcome.Declined:
                    db.Payments.Add(Payment.Declined(order, amount, currency, result.Reference, now));
                    db.Publish(new PaymentFailed(orderId, result.Reference));
                    await db.SaveChangesAsync(cancellationToken);
                    await transaction.CommitAsync(cancellationToken);
                    throw new DomainException("Your card was declined; the order has been cancelled", StatusCodes.Status402PaymentRequired);
                case ChargeOutcome.Pending:
                    // Neither paid nor declined yet: nothing is recorded, and asking again reports the outcome (never a second charge).
                    throw new DomainException("Your card issuer is still processing the payment; nothing more will be charged. Check again in a moment",
                        StatusCodes.Status503ServiceUnavailable);
                default:
                    throw new DomainException("Invalid payment token");
            }
        }
        finally
        {
            await transaction.DisposeAsync();
        }
    }

    /// <summary>
    /// The caller's order, locked, if it can still be paid (SPEC order: 404 → cancelled → already paid → expired), and the
    /// replica of its listing (null until payments has heard of it).
    /// </summary>
    private static async Task<(Order Order, Listing? Listing)> PayableOrderAsync(PaymentsDbContext db, Guid orderId, Guid payerId, TimeProvider time, CancellationToken cancellationToken)
    {
        var order = await db.LockOrderAsync(orderId, cancellationToken);
        if (order is null || order.UserId != payerId)
        {
            throw new NotFoundException("Order");
        }

        var (earlier, listing) = await PaymentsDbContext.PaymentStatusesAndListingAsync(db, orderId, order.TicketId, cancellationToken);
        if (order.Status == OrderStatuses.Cancelled || earlier.Contains(PaymentStatuses.Declined))
        {
            // A decline cancels the order; until orders says so, the replica may still read "created".
            throw new DomainException("Cannot pay for a cancelled order");
        }

        if (order.Status == OrderStatuses.Complete || earlier.Contains(PaymentStatuses.Succeeded) || earlier.Contains(PaymentStatuses.Refunded))
        {
            throw new DomainException("Order is already paid");
        }

        if (time.GetUtcNow() >= order.ExpiresAt)
        {
            throw new DomainException("Order has expired");
        }

        return (order, listing);
    }

    /// <summary>The provider's failures as the buyer should hear them; nothing was charged in any of them.</summary>
    private static async Task<T> ProviderAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (PaymentProviderUnavailableException)
        {
            throw new DomainException("The payment provider is unavailable; nothing was charged. Try again in a moment",
                StatusCodes.Status503ServiceUnavailable);
        }
        catch (PaymentRefusedException refused)
        {
            throw new DomainException($"The payment provider refused this payment: {refused.Message}");
        }
        catch (PaymentProviderMisconfiguredException)
        {
            throw new DomainException("Card payments are not available: the payment provider refuses this marketplace's credentials. Nothing was charged",
                StatusCodes.Status500InternalServerError);
        }
    }

    public static async Task<Ok<List<PaymentDto>>> List(ClaimsPrincipal user, PaymentsDbContext db, CancellationToken cancellationToken)
    {
        var payerId = user.RequiredUserId();
        var payments = await db.Payments.AsNoTracking().Where(p => p.UserId == payerId).OrderByDescending(p => p.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(payments.Select(PaymentDto.From).ToList());
    }

    public static async Task<Ok<PaymentDto>> Show(string id, ClaimsPrincipal user, PaymentsDbContext db, CancellationToken cancellationToken)
    {
        var payerId = user.RequiredUserId();
        var payment = Guid.TryParse(id, out var paymentId)
            ? await db.Payments.AsNoTracking().SingleOrDefaultAsync(p => p.Id == paymentId && p.UserId == payerId, cancellationToken)
            : null;
        return TypedResults.Ok(PaymentDto.From(payment ?? throw new NotFoundException("Payment")));
    }

    private static (Guid OrderId, string Token) Validate(PaymentRequest request)
    {
        var errors = new ValidationErrors();
        Guid orderId = default;
        if (string.IsNullOrWhiteSpace(request.OrderId))
        {
            errors.Add("orderId", "orderId is required.");
        }
        else if (!Guid.TryParse(request.OrderId, out orderId))
        {
            errors.Add("orderId", "orderId must be a UUID.");
        }

        var token = request.Token?.Trim() ?? "";
        if (token.Length == 0)
        {
            errors.Add("token", "token is required.");
        }
        else if (token.Length > MaxTokenLength)
        {
            errors.Add("token", $"token must be at most {MaxTokenLength} characters.");
        }

        errors.ThrowIfAny();
        return (orderId, token);
    }
}
