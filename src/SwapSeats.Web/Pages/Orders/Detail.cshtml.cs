using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Orders;

/// <summary>An order: the time left to pay, the payment form, the outcome; and cancelling it.</summary>
public sealed class DetailModel(SwapSeatsApi api, IOptions<WebOptions> options) : AppPage(api)
{
    public OrderView? Order { get; private set; }

    public PaymentView? Payment { get; private set; }

    public string? StripePublishableKey => options.Value.StripePublishableKey;

    [BindProperty, Display(Name = "Card number")] public string? CardNumber { get; set; }

    /// <summary>Set by Stripe.js when the Stripe provider is configured.</summary>
    [BindProperty] public string? StripeToken { get; set; }

    /// <summary>The card was just declined: payments has failed the order, and orders is cancelling it as we speak.</summary>
    public bool Declined { get; private set; }

    /// <summary>
    /// The status to show. Payments decides a payment's outcome and orders applies it an event later; in between, the
    /// order still reads "created". The buyer is shown what is already decided: a succeeded payment is "confirming" (the
    /// page refreshes itself until orders says "complete"), a declined one is "cancelled".
    /// </summary>
    public string Status => Order is null ? "" : (Order.Status, Payment?.Status) switch
    {
        ("created" or "awaitingPayment", "succeeded") => Confirming,
        ("created" or "awaitingPayment", "declined") => "cancelled",
        ("created" or "awaitingPayment", _) when Declined => "cancelled",
        var (status, _) => status,
    };

    public const string Confirming = "confirming";

    public bool Payable => Status is "created" or "awaitingPayment" && Order!.ExpiresAt > DateTimeOffset.UtcNow;

    public async Task<IActionResult> OnGetAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var order = await Api.OrderAsync(id);
        if (order.Value is null)
        {
            return NotFound();
        }

        Order = order.Value;
        // Newest first: a succeeded or refunded payment, else the decline, is what the order's page reports.
        var payments = (await Api.PaymentsAsync()).Value?.Where(p => p.OrderId == Order.Id).ToList() ?? [];
        Payment = payments.FirstOrDefault(p => p.Status != "declined") ?? payments.FirstOrDefault();
        if (Status == Confirming)
        {
            // The page refreshes itself every second until orders says complete: the payment's notice stays until then
            // instead of vanishing with the first refresh.
            TempData.Keep(nameof(Notice));
        }

        return Page();
    }

    public async Task<IActionResult> OnPostPayAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var token = StripePublishableKey is null ? TestCards.TokenFor(CardNumber) : StripeToken;
        if (string.IsNullOrWhiteSpace(token))
        {
            ModelState.AddModelError(nameof(CardNumber), StripePublishableKey is null
                ? "Use one of the test cards listed below, e.g. 4242 4242 4242 4242."
                : "Enter your card details.");
            return await OnGetAsync(id);
        }

        var result = await Api.PayAsync(id, token);
        if (result.Problem is { } problem)
        {
            Show(problem);
            Declined = problem.Status == System.Net.HttpStatusCode.PaymentRequired;
            return await OnGetAsync(id);
        }

        Notice = $"Paid ${AppPage.Money(result.Value!.Amount / 100m)}. The ticket is yours.";
        return Redirect($"/orders/{id}");
    }

    public async Task<IActionResult> OnPostCancelAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.CancelOrderAsync(id);
        if (result.Problem is { } problem)
        {
            Show(problem);
            return await OnGetAsync(id);
        }

        Notice = "Order cancelled; the ticket is back on sale.";
        return Redirect($"/orders/{id}");
    }
}
