using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Messaging;
using SwapSeats.Payments.Data;
using SwapSeats.Payments.Domain;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Payments.Api;

public sealed record PayoutDto(
    Guid Id, Guid OrderId, Guid? TicketId, decimal Price, decimal Amount, decimal Fee, string Currency, string Status,
    DateTimeOffset? ReleaseAt, DateTimeOffset? PaidAt, string? HoldReason)
{
    public static PayoutDto From(Payout p) =>
        new(p.Id, p.OrderId, p.TicketId, p.Price, p.Amount, p.Fee, p.Currency, p.Status, p.ReleaseAt, p.PaidAt, p.Status == PayoutStatuses.Held ? p.HoldReason : null);
}

public sealed record PayoutAccountRequest(string? StripeAccountId);

/// <summary>The seller's side of a sale: the money held in escrow until after the event, then paid out.</summary>
public static partial class PayoutsApi
{
    public static IEndpointRouteBuilder MapPayoutsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/payouts").WithTags("Payouts").RequireAuthorization().CheckSessionBeforeBody();
        api.MapGet("/", List);
        api.MapPut("/account", Connect).Accepts<PayoutAccountRequest>("application/json");
        return app;
    }

    public static async Task<Ok<List<PayoutDto>>> List(ClaimsPrincipal user, PaymentsDbContext db, CancellationToken cancellationToken)
    {
        var sellerId = user.RequiredUserId();
        var payouts = await db.Payouts.AsNoTracking().Where(p => p.SellerId == sellerId).OrderByDescending(p => p.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(payouts.Select(PayoutDto.From).ToList());
    }

    /// <summary>Where transfers go (stripe provider); payouts that waited for an account are due at once.</summary>
    public static async Task<NoContent> Connect(
        PayoutAccountRequest request, ClaimsPrincipal user, PaymentsDbContext db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var account = request.StripeAccountId?.Trim() ?? "";
        if (!StripeAccount().IsMatch(account))
        {
            var errors = new ValidationErrors();
            errors.Add("stripeAccountId", "stripeAccountId must be a Stripe connected account id (acct_…).");
            errors.ThrowIfAny();
        }

        var sellerId = user.RequiredUserId();
        var now = time.GetUtcNow();
        if (await db.SellerAccounts.FindAsync([sellerId], cancellationToken) is { } existing)
        {
            existing.Change(account, now);
        }
        else
        {
            db.SellerAccounts.Add(SellerAccount.Connect(sellerId, account, now));
        }

        var waiting = await db.Payouts.Where(p => p.SellerId == sellerId && p.Status == PayoutStatuses.Held && p.HoldReason == Payout.NoAccount)
            .ToListAsync(cancellationToken);
        waiting.ForEach(p => p.AccountConnected(now));
        // Committing payouts that became due wakes the payout processor (their due time changed: CommitSignal).
        await db.SaveChangesAsync(cancellationToken);

        return TypedResults.NoContent();
    }

    [GeneratedRegex("^acct_[A-Za-z0-9]{1,64}$")]
    private static partial Regex StripeAccount();
}
