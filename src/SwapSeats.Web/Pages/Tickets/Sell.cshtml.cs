using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

public sealed class SellModel(SwapSeatsApi api) : AppPage(api)
{
    [BindProperty, Display(Name = "Title")] public string? Title { get; set; }

    [BindProperty, Display(Name = "Price (USD)")] public string? Price { get; set; }

    public IActionResult OnGet() => SignedIn ? Page() : SignInFirst();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        if (!PriceInput.TryParse(Price, out var price, out var priceError))
        {
            // A price that is not plainly a number never reaches the API, and is never guessed at.
            ModelState.AddModelError(nameof(Price), priceError!);
            return Page();
        }

        var result = await Api.SellAsync(Title, price);
        if (result.Problem is { } problem)
        {
            Show(problem);
            return Page();
        }

        Notice = "Your ticket is listed.";
        return Redirect($"/tickets/{result.Value!.Id}");
    }
}
