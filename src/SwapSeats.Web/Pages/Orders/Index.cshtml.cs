using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Orders;

public sealed class IndexModel(SwapSeatsApi api) : AppPage(api)
{
    public List<OrderView> Orders { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var result = await Api.OrdersAsync();
        if (result.Problem is { } problem)
        {
            Show(problem);
        }

        Orders = result.Value ?? [];
        return Page();
    }
}
