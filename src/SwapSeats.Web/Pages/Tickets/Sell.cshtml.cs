using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using SwapSeats.Web.Api;

namespace SwapSeats.Web.Pages.Tickets;

/// <summary>Selling: pick the event (or create it), then the seat, its face value and the asking price (at most the face value).</summary>
[RequestSizeLimit(TicketFileUpload.PageBodyLimit)]
[RequestFormLimits(MultipartBodyLengthLimit = TicketFileUpload.PageBodyLimit)]
public sealed class SellModel(SwapSeatsApi api) : AppPage(api)
{
    /// <summary>An existing event; empty when the seller creates one below.</summary>
    [BindProperty(SupportsGet = true)] public string? EventId { get; set; }

    [BindProperty, Display(Name = "Event name")] public string? EventName { get; set; }

    [BindProperty, Display(Name = "Venue")] public string? Venue { get; set; }

    [BindProperty, Display(Name = "City")] public string? City { get; set; }

    [BindProperty, Display(Name = "Starts at (UTC)")] public string? StartsAt { get; set; }

    [BindProperty, Display(Name = "Seat")] public string? Title { get; set; }

    [BindProperty, Display(Name = "Face value (USD)")] public string? FaceValue { get; set; }

    [BindProperty, Display(Name = "Price (USD)")] public string? Price { get; set; }

    /// <summary>The ticket itself, optional at listing time.</summary>
    [BindProperty, Display(Name = "Ticket file")] public IFormFile? TicketFile { get; set; }

    public List<EventView> Events { get; private set; } = [];

    public async Task<IActionResult> OnGetAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        await LoadEventsAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostAsync()
    {
        if (!SignedIn)
        {
            return SignInFirst();
        }

        var fileProblem = TicketFile is { } chosen ? TicketFileUpload.Problem(chosen) : null;
        if (fileProblem is not null)
        {
            ModelState.AddModelError(nameof(TicketFile), fileProblem);
        }

        if (!TryReadMoney(Price, FaceValue, out var price, out var faceValue) || fileProblem is not null)
        {
            await LoadEventsAsync();
            return Page();
        }

        var eventId = EventId;
        if (string.IsNullOrWhiteSpace(eventId))
        {
            DateTimeOffset? startsAt = DateTime.TryParse(StartsAt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
                ? new DateTimeOffset(parsed, TimeSpan.Zero)
                : null;
            var created = await Api.CreateEventAsync(EventName, Venue, City, startsAt);
            if (created.Problem is { } eventProblem)
            {
                Show(eventProblem, fieldPrefix: "", rename: new() { ["Name"] = nameof(EventName) });
                await LoadEventsAsync();
                return Page();
            }

            eventId = created.Value!.Id.ToString();
        }

        var result = await Api.SellAsync(eventId, Title, price, faceValue);
        if (result.Problem is { } problem)
        {
            EventId = eventId;
            Show(problem);
            await LoadEventsAsync();
            return Page();
        }

        var ticketId = result.Value!.Id.ToString();
        if (TicketFile is { } file)
        {
            await using var stream = file.OpenReadStream();
            var attached = await Api.AttachFileAsync(ticketId, stream, file.ContentType, file.Length);
            if (attached.Problem is { } fileRefused)
            {
                // The listing stands; the seller attaches a right file from My listings.
                Notice = $"Your ticket is listed, but its file was not attached: {fileRefused.Detail} Attach it from My listings.";
                return Redirect("/tickets/mine");
            }
        }

        Notice = TicketFile is null ? "Your ticket is listed. Attach its file from My listings before the event." : "Your ticket is listed, with its file.";
        return Redirect($"/tickets/{ticketId}");
    }

    private async Task LoadEventsAsync() => Events = (await Api.EventsAsync("?limit=200")).Value ?? [];
}
