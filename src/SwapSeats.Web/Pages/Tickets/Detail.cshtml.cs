using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

public sealed class DetailModel(SwapSeatsApi api) : AppPage(api)
{
    public TicketView? Ticket { get; private set; }

    /// <summary>One key per rendering of the form: a double submit or a retry returns the same order, not an error.</summary>
    [BindProperty] public string PurchaseKey { get; set; } = Guid.NewGuid().ToString();

    /// <summary>What orders answers when someone else holds the ticket (SPEC: 400 "Ticket is already reserved").</summary>
    public const string ReservedRefusal = "Ticket is already reserved";

    public bool IsSeller => Ticket is not null && Ticket.UserId == UserId;

    public async Task<IActionResult> OnGetAsync(string id)
    {
        var result = await Api.TicketAsync(id);
        if (result.Problem is { } problem)
        {
            return problem.Status == System.Net.HttpStatusCode.NotFound ? NotFound() : ShowAndStay(problem);
        }

        Ticket = result.Value;
        return Page();
    }

    public async Task<IActionResult> OnPostPurchaseAsync(string id)
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var order = await Api.PurchaseAsync(id, PurchaseKey);
        if (order.Problem is { } problem)
        {
            Show(problem);
            if (await OnGetAsync(id) is NotFoundResult)
            {
                return NotFound();
            }

            // Orders decides who holds a ticket; the listing learns of it an event later. Its word wins on this page, so
            // the loser sees "reserved" and no Purchase button, not a green "available" next to the refusal.
            if (problem.Detail == ReservedRefusal && Ticket is { Status: "available" } stale)
            {
                Ticket = stale with { Status = "reserved" };
            }

            return Page();
        }

        Notice = "Reserved for you. Pay before the time runs out.";
        return Redirect($"/orders/{order.Value!.Id}");
    }

    private PageResult ShowAndStay(ApiProblem problem)
    {
        Show(problem);
        return Page();
    }
}
