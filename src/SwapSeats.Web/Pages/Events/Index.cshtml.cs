using System.Globalization;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Events;

/// <summary>The landing page: upcoming events, soonest first, with search, city and date filters and paging.</summary>
public sealed class IndexModel(SwapSeatsApi api) : AppPage(api)
{
    [BindProperty(SupportsGet = true)] public string? Q { get; set; }

    [BindProperty(SupportsGet = true)] public string? City { get; set; }

    /// <summary>A day (yyyy-MM-dd, UTC): events from its start.</summary>
    [BindProperty(SupportsGet = true)] public string? From { get; set; }

    /// <summary>A day (yyyy-MM-dd, UTC): events until its end.</summary>
    [BindProperty(SupportsGet = true)] public string? To { get; set; }

    [BindProperty(SupportsGet = true)] public string? Cursor { get; set; }

    public List<EventView> Events { get; private set; } = [];

    public string? NextPage { get; private set; }

    public async Task OnGetAsync()
    {
        var query = new QueryBuilder();
        foreach (var (name, value) in new[] { ("q", Q), ("city", City), ("cursor", Cursor) })
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Add(name, value.Trim());
            }
        }

        foreach (var (name, value, endOfDay) in new[] { ("from", From, false), ("to", To, true) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                continue;
            }

            if (DateOnly.TryParseExact(value.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
            {
                var at = day.ToDateTime(endOfDay ? new TimeOnly(23, 59, 59) : TimeOnly.MinValue, DateTimeKind.Utc);
                query.Add(name, at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            }
            else
            {
                ModelState.AddModelError(char.ToUpperInvariant(name[0]) + name[1..], $"Use a date like {DateTime.UtcNow:yyyy-MM-dd}.");
            }
        }

        if (!ModelState.IsValid)
        {
            return;
        }

        query.Add("limit", "20");
        var result = await Api.EventsAsync(query.ToQueryString().Value ?? "");
        if (result.Problem is { } problem)
        {
            Show(problem);
            return;
        }

        Events = result.Value ?? [];
        NextPage = result.NextPage;
    }
}
