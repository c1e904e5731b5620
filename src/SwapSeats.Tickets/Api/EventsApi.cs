using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;
using SwapSeats.Tickets.Data;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Api;

/// <param name="StartsAt">ISO 8601 with an offset (<c>2027-06-05T19:30:00+01:00</c> or <c>...Z</c>): a time without one is ambiguous.</param>
public sealed record EventRequest(string? Name, string? Venue, string? City, string? StartsAt);

/// <param name="Listings">Tickets for sale for it now (0 once it has started).</param>
/// <param name="MinPrice">The lowest of their prices; null when there are none.</param>
public sealed record EventDto(Guid Id, string Name, string Venue, string City, DateTimeOffset StartsAt, int Listings, decimal? MinPrice);

public static partial class EventsApi
{
    public const int MaxNameLength = 120;
    public const int MaxCityLength = 80;
    public static readonly TimeSpan LatestStart = TimeSpan.FromDays(731);

    public static IEndpointRouteBuilder MapEventsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/events").WithTags("Events").CheckSessionBeforeBody();
        api.MapPost("/", Create).RequireAuthorization().Accepts<EventRequest>("application/json");
        api.MapGet("/", List);
        api.MapGet("/{id}", Show);
        return app;
    }

    /// <summary>201 a new event; 200 the existing one with the same natural key (also for concurrent creators).</summary>
    public static async Task<Results<Created<EventDto>, Ok<EventDto>>> Create(
        EventRequest request, ClaimsPrincipal user, TicketsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var candidate = Validate(request, now, user.RequiredUserId());
        if (await FindSameAsync(db, candidate, cancellationToken) is { } existing)
        {
            return TypedResults.Ok(await DtoAsync(db, existing, now, cancellationToken));
        }

        db.Events.Add(candidate);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException ex) when (ex.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Another request created it between our look and our insert: the unique index decided, and it is theirs.
            db.ChangeTracker.Clear();
            var winner = await FindSameAsync(db, candidate, cancellationToken) ?? throw new InvalidOperationException("The event vanished.");
            return TypedResults.Ok(await DtoAsync(db, winner, now, cancellationToken));
        }

        return TypedResults.Created($"/api/events/{candidate.Id}", new EventDto(candidate.Id, candidate.Name, candidate.Venue, candidate.City, candidate.StartsAt, 0, null));
    }

    public static async Task<Ok<List<EventDto>>> List(
        HttpContext context, TicketsDbContext db, TimeProvider time, CancellationToken cancellationToken,
        string? q = null, string? city = null, string? from = null, string? to = null, string? limit = null, string? cursor = null)
    {
        var errors = new ValidationErrors();
        var pageSize = Paging.Limit(limit, errors);
        var fromTime = ParseTime(from, "from", errors);
        var toTime = ParseTime(to, "to", errors);
        (DateTimeOffset StartsAt, Guid Id)? after = null;
        if (cursor is not null)
        {
            var parts = cursor.Split('_');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks is > 0 and < 3155378975999999999 && Guid.TryParseExact(parts[1], "N", out var id))
            {
                after = (new DateTimeOffset(ticks, TimeSpan.Zero), id);
            }
            else
            {
                errors.Add("cursor", "cursor is not valid; use the URL from the Link header.");
            }
        }

        errors.ThrowIfAny();
        var now = time.GetUtcNow();
        var events = db.Events.AsNoTracking().Where(e => e.StartsAt > now);
        if (!string.IsNullOrWhiteSpace(q))
        {
            var pattern = Search.Contains(q.Trim().ToLowerInvariant());
            events = events.Where(e => EF.Functions.Like(e.NameKey, pattern, Search.Escape) || EF.Functions.Like(e.VenueKey, pattern, Search.Escape));
        }

        if (!string.IsNullOrWhiteSpace(city))
        {
            var cityKey = Event.Key(city);
            events = events.Where(e => e.CityKey == cityKey);
        }

        if (fromTime is { } lower)
        {
            events = events.Where(e => e.StartsAt >= lower);
        }

        if (toTime is { } upper)
        {
            events = events.Where(e => e.StartsAt <= upper);
        }

        if (after is { } position)
        {
            events = events.Where(e => e.StartsAt > position.StartsAt || (e.StartsAt == position.StartsAt && e.Id.CompareTo(position.Id) > 0));
        }

        var page = await WithListings(db, events.OrderBy(e => e.StartsAt).ThenBy(e => e.Id).Take(pageSize + 1)).ToListAsync(cancellationToken);
        if (page.Count > pageSize)
        {
            page.RemoveAt(page.Count - 1);
            Paging.Next(context, $"{page[^1].StartsAt.UtcTicks}_{page[^1].Id:N}");
        }

        return TypedResults.Ok(page);
    }

    public static async Task<Ok<EventDto>> Show(string id, TicketsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var @event = Guid.TryParse(id, out var eventId) ? await db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.Id == eventId, cancellationToken) : null;
        return TypedResults.Ok(await DtoAsync(db, @event ?? throw new NotFoundException("Event"), time.GetUtcNow(), cancellationToken));
    }

    /// <summary>Each event with its live listings count and from-price, in one query (an index on event and price serves both).</summary>
    internal static IQueryable<EventDto> WithListings(TicketsDbContext db, IQueryable<Event> events) =>
        events.Select(e => new EventDto(e.Id, e.Name, e.Venue, e.City, e.StartsAt,
            db.Tickets.Count(t => t.EventId == e.Id && t.Status == TicketStatuses.Available),
            db.Tickets.Where(t => t.EventId == e.Id && t.Status == TicketStatuses.Available).Min(t => (decimal?)t.Price)));

    private static async Task<EventDto> DtoAsync(TicketsDbContext db, Event @event, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (@event.HasStarted(now))
        {
            return new EventDto(@event.Id, @event.Name, @event.Venue, @event.City, @event.StartsAt, 0, null);
        }

        return await WithListings(db, db.Events.Where(e => e.Id == @event.Id)).SingleAsync(cancellationToken);
    }

    private static Task<Event?> FindSameAsync(TicketsDbContext db, Event candidate, CancellationToken cancellationToken) =>
        db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.NameKey == candidate.NameKey && e.VenueKey == candidate.VenueKey
                                                           && e.CityKey == candidate.CityKey && e.StartsAt == candidate.StartsAt, cancellationToken);

    private static Event Validate(EventRequest request, DateTimeOffset now, Guid userId)
    {
        var errors = new ValidationErrors();
        string Text(string? value, string field, int max)
        {
            var text = value?.Trim() ?? "";
            if (text.Length == 0)
            {
                errors.Add(field, $"{char.ToUpperInvariant(field[0])}{field[1..]} is required.");
            }
            else if (text.Length > max)
            {
                errors.Add(field, $"{char.ToUpperInvariant(field[0])}{field[1..]} must be at most {max} characters.");
            }

            return text;
        }

        var name = Text(request.Name, "name", MaxNameLength);
        var venue = Text(request.Venue, "venue", MaxNameLength);
        var city = Text(request.City, "city", MaxCityLength);
        DateTimeOffset startsAt = default;
        if (string.IsNullOrWhiteSpace(request.StartsAt))
        {
            errors.Add("startsAt", "startsAt is required: an ISO 8601 time with an offset, e.g. 2027-06-01T19:30:00+01:00.");
        }
        else if (!WithOffset().IsMatch(request.StartsAt.Trim())
                 || !DateTimeOffset.TryParse(request.StartsAt.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out startsAt))
        {
            errors.Add("startsAt", "startsAt must be an ISO 8601 time with an offset, e.g. 2027-06-01T19:30:00+01:00 or 2027-06-01T18:30:00Z.");
        }
        else if (startsAt <= now)
        {
            errors.Add("startsAt", "startsAt must be in the future.");
        }
        else if (startsAt > now + LatestStart)
        {
            errors.Add("startsAt", "startsAt must be at most 2 years ahead.");
        }

        errors.ThrowIfAny();
        return Event.Create(name, venue, city, startsAt, userId, now);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex WithOffset();

    private static DateTimeOffset? ParseTime(string? value, string name, ValidationErrors errors)
    {
        if (value is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            errors.Add(name, $"{name} must be an ISO 8601 time, e.g. 2027-06-01T00:00:00Z.");
            return null;
        }

        return parsed.ToUniversalTime();
    }
}

/// <summary>Literal LIKE patterns: what a person types, with <c>%</c> and <c>_</c> meaning themselves.</summary>
internal static class Search
{
    public const string Escape = @"\";

    public static string Contains(string text) => "%" + text.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";

    public const int MaxWords = 10;

    /// <summary>The distinct words of a query, lower-cased (at most <see cref="MaxWords"/>: the query is checked for it).</summary>
    public static string[] Words(string q) =>
        q.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToArray();
}

/// <summary>Page size and the <c>Link</c> header, the same for every list.</summary>
internal static class Paging
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static int Limit(string? limit, ValidationErrors errors)
    {
        var pageSize = DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxLimit))
        {
            errors.Add("limit", $"limit must be a whole number from 1 to {MaxLimit}.");
        }

        return pageSize;
    }

    // Relative, so an internal host name never leaks through the gateway.
    public static void Next(HttpContext context, string cursor)
    {
        var query = new Microsoft.AspNetCore.Http.Extensions.QueryBuilder(context.Request.Query.Where(p => p.Key != "cursor")) { { "cursor", cursor } };
        context.Response.Headers.Link = $"<{context.Request.PathBase + context.Request.Path + query.ToQueryString()}>; rel=\"next\"";
    }
}
