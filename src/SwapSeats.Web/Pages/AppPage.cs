using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SwapSeats.ServiceDefaults;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages;

/// <summary>What every page needs: who is signed in, a way to ask for sign-in, and API refusals shown in plain words.</summary>
public abstract class AppPage(SwapSeatsApi api) : PageModel
{
    protected SwapSeatsApi Api { get; } = api;

    /// <summary>A message from the previous page (after a redirect), shown once.</summary>
    [TempData]
    public string? Notice { get; set; }

    public Guid? UserId => User.UserId();

    public bool SignedIn => UserId is not null;

    /// <summary>The sign-in page, coming back here afterwards.</summary>
    protected IActionResult SignInFirst() =>
        RedirectToPage("/SignIn", new { returnUrl = Request.Path + Request.QueryString });

    /// <summary>Puts an API's refusal on the page: field errors next to their fields, the rest on top.</summary>
    protected void Show(ApiProblem problem, string fieldPrefix = "", Dictionary<string, string>? rename = null)
    {
        if (problem.Errors.Count == 0)
        {
            ModelState.AddModelError("", problem.Detail);
            return;
        }

        foreach (var (field, messages) in problem.Errors)
        {
            foreach (var message in messages)
            {
                var name = char.ToUpperInvariant(field[0]) + field[1..];
                ModelState.AddModelError(fieldPrefix + (rename?.GetValueOrDefault(name) ?? name), message);
            }
        }
    }

    /// <summary>
    /// Reads a listing's price and face value as typed; each one that is not plainly a number gets its message next to
    /// its field. False when either was refused (the API is then not called: nothing is guessed).
    /// </summary>
    protected bool TryReadMoney(string? priceText, string? faceValueText, out decimal price, out decimal faceValue)
    {
        var priceOk = PriceInput.TryParse(priceText, out price, out var priceError);
        var faceOk = PriceInput.TryParse(faceValueText, out faceValue, out var faceError, "Face value");
        if (!priceOk)
        {
            ModelState.AddModelError("Price", priceError!);
        }

        if (!faceOk)
        {
            ModelState.AddModelError("FaceValue", faceError!);
        }

        return priceOk && faceOk;
    }

    /// <summary>A price to read: thousands separated, two decimals, the same in every culture (1,250.00).</summary>
    public static string Money(decimal amount) => amount.ToString("#,##0.00", CultureInfo.InvariantCulture);

    /// <summary>When an event starts, for people: "Sat 5 Jun 2027, 19:30 UTC" (always UTC, and it says so).</summary>
    public static string When(DateTimeOffset at) => at.UtcDateTime.ToString("ddd d MMM yyyy, HH:mm", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>An order's status in words a buyer understands.</summary>
    public static string StatusLabel(string status, string? cancelReason = null) => status switch
    {
        "created" or "awaitingPayment" => "Awaiting payment",
        "confirming" => "Paid, confirming",
        "complete" => "Paid",
        "cancelled" => cancelReason switch
        {
            "expired" => "Expired",
            "paymentFailed" => "Payment declined",
            _ => "Cancelled",
        },
        _ => status,
    };

    /// <summary>A listing's status in words.</summary>
    public static string TicketStatusLabel(string status) => status switch
    {
        "available" => "For sale",
        "reserved" => "Reserved",
        "sold" => "Sold",
        "withdrawn" => "Withdrawn",
        _ => status,
    };
}
