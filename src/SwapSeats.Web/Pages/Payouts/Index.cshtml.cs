using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Payouts;

/// <summary>"My payouts": each sale's money, held in escrow until after the event, then paid.</summary>
public sealed class IndexModel(SwapSeatsApi api) : AppPage(api)
{
    public List<PayoutView> Payouts { get; private set; } = [];

    /// <summary>The seller's listings by id: each payout's seat and event.</summary>
    public Dictionary<Guid, TicketView> Tickets { get; private set; } = [];

    public decimal Held => Payouts.Where(p => p.Status == "held").Sum(p => p.Amount);

    public decimal Paid => Payouts.Where(p => p.Status == "paid").Sum(p => p.Amount);

    public async Task<IActionResult> OnGetAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var payouts = Api.PayoutsAsync();
        var tickets = Api.MyTicketsAsync();
        foreach (var problem in new[] { (await payouts).Problem, (await tickets).Problem })
        {
            if (problem is not null)
            {
                Show(problem);
            }
        }

        Payouts = (await payouts).Value ?? [];
        Tickets = ((await tickets).Value ?? []).ToDictionary(t => t.Id);
        return Page();
    }

    public static string StatusLabel(PayoutView payout) => payout.Status switch
    {
        "held" => "Held",
        "paid" => "Paid",
        "cancelled" => "Cancelled: the buyer was refunded",
        _ => payout.Status,
    };
}
