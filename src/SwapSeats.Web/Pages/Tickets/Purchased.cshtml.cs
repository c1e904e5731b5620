using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

/// <summary>"My tickets": what the user bought, each with its file to download once the seller has attached it.</summary>
public sealed class PurchasedModel(SwapSeatsApi api) : AppPage(api)
{
    public List<TicketView> Tickets { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.PurchasedAsync();
        if (result.Problem is { } problem)
        {
            Show(problem);
        }

        Tickets = result.Value ?? [];
        return Page();
    }
}
