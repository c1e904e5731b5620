using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages;

public sealed class SignOutModel(SwapSeatsApi api) : AppPage(api)
{
    public IActionResult OnGet() => RedirectToPage("/Tickets/Index");

    public async Task<IActionResult> OnPostAsync()
    {
        var result = await Api.SignOutAsync();
        // Not signed out (auth could not record the revocation): say so, rather than a "signed out" that is not true.
        Notice = result.Ok ? "Signed out." : result.Problem!.Detail;
        return RedirectToPage("/Tickets/Index");
    }
}
