using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

/// <summary>The landing page: tickets for sale, newest first, with search, a price range and paging.</summary>
public sealed class IndexModel(SwapSeatsApi api) : AppPage(api)
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }

    [BindProperty(SupportsGet = true)] public string? MinPrice { get; set; }

    [BindProperty(SupportsGet = true)] public string? MaxPrice { get; set; }

    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }

    public List<TicketView> Tickets { get; private set; } = [];

    public string? NextPage { get; private set; }

    public async Task OnGetAsync()
    {
        var query = new QueryBuilder();
        foreach (var (name, value) in new[] { ("q", Q), ("minPrice", MinPrice), ("maxPrice", MaxPrice), ("cursor", Cursor) })
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Add(name, value.Trim());
            }
        }

        query.Add("limit", "20");
        var result = await Api.TicketsAsync(query.ToQueryString().Value ?? "");
        if (result.Problem is { } problem)
        {
            Show(problem);
            return;
        }

        Tickets = result.Value ?? [];
        NextPage = result.NextPage;
    }
}
