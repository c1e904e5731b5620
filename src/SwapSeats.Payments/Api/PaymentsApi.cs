using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
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

public sealed record PaymentDto(Guid Id, Guid OrderId, long Amount, string Currency, string Status)
{
    public static PaymentDto From(Payment p) => new(p.Id, p.OrderId, p.Amount, p.Currency, p.Status);
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
    /// attempts for one order queue up behind it and find it paid; the provider's idempotency key covers a crash mid-way.
    /// </summary>
    public static async Task<Created<PaymentDto>> Pay(
        PaymentRequest request, ClaimsPrincipal user, PaymentsDbContext db, IPaymentProvider provider, TimeProvider time,
        IOptions<PaymentsOptions> options, CancellationToken cancellationToken)
    {
        var (orderId, token) = Validate(request);
        var payerId = user.RequiredUserId();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var order = await db.LockOrderAsync(orderId, cancellationToken);
        if (order is null || order.UserId != payerId)
        {
            throw new NotFoundException("Order");
        }

        var earlier = await db.Payments.Where(p => p.OrderId == orderId).Select(p => p.Status).ToListAsync(cancellationToken);
        if (order.Status == OrderStatuses.Cancelled || earlier.Contains(PaymentStatuses.Declined))
        {
            // A decline cancels the order; until orders says so, the replica may still read "created".
            throw new DomainException("Cannot pay for a cancelled order");
        }

        if (order.Status == OrderStatuses.Complete || earlier.Contains(PaymentStatuses.Succeeded) || earlier.Contains(PaymentStatuses.Refunded))
        {
            throw new DomainException("Order is already paid");
        }

        var now = time.GetUtcNow();
        if (now >= order.ExpiresAt)
        {
            throw new DomainException("Order has expired");
        }

        var currency = options.Value.Currency;
        var amount = order.AmountInMinorUnits();
        ChargeResult result;
        try
        {
            result = await provider.ChargeAsync(new ChargeRequest(orderId, amount, currency, token, IdempotencyKey(orderId, token)), cancellationToken);
        }
        catch (PaymentProviderUnavailableException)
        {
            throw new DomainException("The payment provider is unavailable; nothing was charged. Try again in a moment",
                StatusCodes.Status503ServiceUnavailable);
        }

        switch (result.Outcome)
        {
            case ChargeOutcome.Succeeded:
                var payment = Payment.Succeeded(order, amount, currency, result.Reference, now);
                db.Payments.Add(payment);
                db.Publish(new PaymentCreated(payment.Id, orderId, amount, currency));
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return TypedResults.Created($"/api/payments/{payment.Id}", PaymentDto.From(payment));
            case ChargeOutcome.Declined:
                db.Payments.Add(Payment.Declined(order, amount, currency, result.Reference, now));
                db.Publish(new PaymentFailed(orderId, result.Reference));
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                throw new DomainException("Your card was declined; the order has been cancelled", StatusCodes.Status402PaymentRequired);
            default:
                throw new DomainException("Invalid payment token");
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

    // One key per order and card token: a retry after a timeout or crash is answered with the first attempt's outcome.
    private static string IdempotencyKey(Guid orderId, string token) =>
        "swapseats-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{orderId:N}:{token}")))[..40];

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
