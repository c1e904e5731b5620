using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;
using SwapSeats.Tickets.Data;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Api;

public sealed record TicketRequest(string? Title, decimal? Price);

public sealed record TicketDto(Guid Id, string Title, decimal Price, Guid UserId, Guid? OrderId, string Status, int Version)
{
    public static TicketDto From(Ticket t) => new(t.Id, t.Title, t.Price, t.UserId, t.OrderId, t.Status, t.Version);
}

public static class TicketsApi
{
    public const int MaxTitleLength = 120;
    public const decimal MaxPrice = 1_000_000m;
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static IEndpointRouteBuilder MapTicketsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/tickets").WithTags("Tickets").CheckSessionBeforeBody();
        api.MapPost("/", Create).RequireAuthorization().Accepts<TicketRequest>("application/json");
        api.MapGet("/", List);
        api.MapGet("/mine", Mine).RequireAuthorization();
        api.MapGet("/{id}", Show);
        api.MapPut("/{id}", Update).RequireAuthorization().Accepts<TicketRequest>("application/json");
        return app;
    }

    public static async Task<Created<TicketDto>> Create(
        TicketRequest request, ClaimsPrincipal user, TicketsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var (title, price) = Validate(request);
        var ticket = Ticket.List(title, price, user.RequiredUserId(), time.GetUtcNow());
        db.Tickets.Add(ticket);
        db.Publish(ticket.ToCreatedEvent());
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/tickets/{ticket.Id}", TicketDto.From(ticket));
    }

    public static async Task<Ok<List<TicketDto>>> List(
        HttpContext context, TicketsDbContext db, CancellationToken cancellationToken,
        string? q = null, string? minPrice = null, string? maxPrice = null, string? limit = null, string? cursor = null)
    {
        var query = ListQuery.Parse(q, minPrice, maxPrice, limit, cursor);
        var tickets = db.Tickets.AsNoTracking().Where(t => t.Status == TicketStatuses.Available);
        if (query.Search is { } search)
        {
            var pattern = "%" + search.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_") + "%";
            tickets = tickets.Where(t => EF.Functions.ILike(t.Title, pattern, @"\"));
        }

        if (query.MinPrice is { } min)
        {
            tickets = tickets.Where(t => t.Price >= min);
        }

        if (query.MaxPrice is { } max)
        {
            tickets = tickets.Where(t => t.Price <= max);
        }

        if (query.After is { } after)
        {
            tickets = tickets.Where(t => t.Id.CompareTo(after) < 0);
        }

        // One extra row tells whether another page exists.
        var page = await tickets.OrderByDescending(t => t.Id).Take(query.Limit + 1).ToListAsync(cancellationToken);
        if (page.Count > query.Limit)
        {
            page.RemoveAt(page.Count - 1);
            context.Response.Headers.Link = $"<{NextPageUrl(context.Request, page[^1].Id)}>; rel=\"next\"";
        }

        return TypedResults.Ok(page.Select(TicketDto.From).ToList());
    }

    public static async Task<Ok<List<TicketDto>>> Mine(ClaimsPrincipal user, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var sellerId = user.RequiredUserId();
        var tickets = await db.Tickets.AsNoTracking().Where(t => t.UserId == sellerId).OrderByDescending(t => t.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(tickets.Select(TicketDto.From).ToList());
    }

    public static async Task<Ok<TicketDto>> Show(string id, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var ticket = await FindAsync(db, id, cancellationToken);
        return TypedResults.Ok(TicketDto.From(ticket));
    }

    public static async Task<Ok<TicketDto>> Update(
        string id, TicketRequest request, ClaimsPrincipal user, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var (title, price) = Validate(request);
        var ticket = await FindAsync(db, id, cancellationToken);
        if (ticket.UserId != user.RequiredUserId())
        {
            throw new ForbiddenException("Only the seller can edit this ticket");
        }

        ticket.Edit(title, price);
        db.Publish(ticket.ToUpdatedEvent());
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(TicketDto.From(ticket));
    }

    private static async Task<Ticket> FindAsync(TicketsDbContext db, string id, CancellationToken cancellationToken) =>
        Guid.TryParse(id, out var ticketId) && await db.Tickets.FindAsync([ticketId], cancellationToken) is { } ticket
            ? ticket
            : throw new NotFoundException("Ticket");

    private static (string Title, decimal Price) Validate(TicketRequest request)
    {
        var errors = new ValidationErrors();
        var title = request.Title?.Trim() ?? "";
        if (title.Length == 0)
        {
            errors.Add("title", "Title is required.");
        }
        else if (title.Length > MaxTitleLength)
        {
            errors.Add("title", $"Title must be at most {MaxTitleLength} characters.");
        }

        if (request.Price is not { } price)
        {
            errors.Add("price", "Price is required.");
        }
        else if (price <= 0)
        {
            errors.Add("price", "Price must be greater than 0.");
        }
        else if (price > MaxPrice)
        {
            errors.Add("price", $"Price must be at most {MaxPrice.ToString("N0", CultureInfo.InvariantCulture)}.");
        }
        else if (decimal.Round(price, 2) != price)
        {
            errors.Add("price", "Price must have at most 2 decimals.");
        }

        errors.ThrowIfAny();
        return (title, request.Price!.Value);
    }

    // Relative, so an internal host name never leaks through the gateway.
    private static string NextPageUrl(HttpRequest request, Guid lastId)
    {
        var query = new QueryBuilder(request.Query.Where(p => p.Key != "cursor")) { { "cursor", lastId.ToString("N") } };
        return request.PathBase + request.Path + query.ToQueryString();
    }
}

/// <summary>The public list's query string, checked: every bad value is a 400 naming the parameter.</summary>
public sealed record ListQuery(string? Search, decimal? MinPrice, decimal? MaxPrice, int Limit, Guid? After)
{
    public static ListQuery Parse(string? q, string? minPrice, string? maxPrice, string? limit, string? cursor)
    {
        var errors = new ValidationErrors();
        var min = ParsePrice(minPrice, "minPrice", errors);
        var max = ParsePrice(maxPrice, "maxPrice", errors);
        if (min is not null && max is not null && min > max)
        {
            errors.Add("minPrice", "minPrice must not be greater than maxPrice.");
        }

        var pageSize = TicketsApi.DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > TicketsApi.MaxLimit))
        {
            errors.Add("limit", $"limit must be a whole number from 1 to {TicketsApi.MaxLimit}.");
        }

        Guid? after = null;
        if (cursor is not null)
        {
            if (Guid.TryParseExact(cursor, "N", out var id))
            {
                after = id;
            }
            else
            {
                errors.Add("cursor", "cursor is not valid; use the URL from the Link header.");
            }
        }

        errors.ThrowIfAny();
        return new ListQuery(string.IsNullOrWhiteSpace(q) ? null : q.Trim(), min, max, pageSize, after);
    }

    private static decimal? ParsePrice(string? value, string name, ValidationErrors errors)
    {
        if (value is null)
        {
            return null;
        }

        if (!decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var price) || price < 0)
        {
            errors.Add(name, $"{name} must be a non-negative number.");
            return null;
        }

        return price;
    }
}
