using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages;

public sealed class SignOutModel(SwapSeatsApi api) : AppPage(api)
{
    public IActionResult OnGet() => RedirectToPage("/Tickets/Index");

    public async Task<IActionResult> OnPostAsync()
    {
        await Api.SignOutAsync();
        Notice = "Signed out.";
        return RedirectToPage("/Tickets/Index");
    }
}
