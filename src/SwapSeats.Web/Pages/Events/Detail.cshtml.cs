using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Events;

/// <summary>An event and its tickets for sale, cheapest first.</summary>
public sealed class DetailModel(SwapSeatsApi api) : AppPage(api)
{
    public EventView? Event { get; private set; }

    public List<TicketView> Tickets { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync(string id)
    {
        var found = await Api.EventAsync(id);
        if (found.Value is null)
        {
            return NotFound();
        }

        Event = found.Value;
        // An event has at most a few hundred listings; the API lists newest first, people want the cheapest first.
        var tickets = await Api.TicketsAsync($"?eventId={Uri.EscapeDataString(id)}&limit=200");
        Tickets = (tickets.Value ?? []).OrderBy(t => t.Price).ThenBy(t => t.Title, StringComparer.OrdinalIgnoreCase).ToList();
        return Page();
    }
}
