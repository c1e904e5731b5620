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

    public async Task<IActionResult> OnPostWithdrawAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.WithdrawAsync(id);
        if (result.Problem is { } problem)
        {
            Show(problem);
            return await OnGetAsync();
        }

        Notice = "Withdrawn: the ticket is no longer for sale.";
        return RedirectToPage();
    }
}
