using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

public sealed class SellModel(SwapSeatsApi api) : AppPage(api)
{
    [BindProperty, Display(Name = "Title")] public string? Title { get; set; }

    [BindProperty, Display(Name = "Price (USD)")] public decimal? Price { get; set; }

    public IActionResult OnGet() => SignedIn ? Page() : SignInFirst();

    public async Task<IActionResult> OnPostAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        if (!ModelState.IsValid)
        {
            // A price that is not a number never reaches the API: say so in the same words it would.
            return Page();
        }

        var result = await Api.SellAsync(Title, Price);
        if (result.Problem is { } problem)
        {
            Show(problem);
            return Page();
        }

        Notice = "Your ticket is listed.";
        return Redirect($"/tickets/{result.Value!.Id}");
    }
}
