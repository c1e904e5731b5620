using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

public sealed class MineModel(SwapSeatsApi api) : AppPage(api)
{
    public List<TicketView> Tickets { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.MyTicketsAsync();
        if (result.Problem is { } problem)
        {
            Show(problem);
        }

        Tickets = result.Value ?? [];
        return Page();
    }
}
