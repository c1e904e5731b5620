using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.ServiceDefaults;
using SwapSeats.Tickets.Data;
using SwapSeats.Tickets.Domain;

namespace SwapSeats.Tickets.Api;

public sealed record TicketRequest(string? EventId, string? Title, decimal? Price, decimal? FaceValue);

public sealed record TicketEventDto(Guid Id, string Name, string Venue, string City, DateTimeOffset StartsAt);

public sealed record TicketDto(
    Guid Id, Guid EventId, TicketEventDto Event, string Title, decimal Price, decimal FaceValue, Guid UserId, Guid? OrderId,
    string Status, int Version, bool HasFile)
{
    public static TicketDto From(Ticket t) => new(t.Id, t.EventId,
        new TicketEventDto(t.Event.Id, t.Event.Name, t.Event.Venue, t.Event.City, t.Event.StartsAt),
        t.Title, t.Price, t.FaceValue, t.UserId, t.OrderId, t.Status, t.Version, t.HasFile);
}

public static class TicketsApi
{
    public const int MaxTitleLength = 120;
    public const decimal MaxPrice = 1_000_000m;
    public const int DefaultLimit = Paging.DefaultLimit;
    public const int MaxLimit = Paging.MaxLimit;

    public static IEndpointRouteBuilder MapTicketsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/tickets").WithTags("Tickets").CheckSessionBeforeBody();
        api.MapPost("/", Create).RequireAuthorization().Accepts<TicketRequest>("application/json");
        api.MapGet("/", List);
        api.MapGet("/mine", Mine).RequireAuthorization();
        api.MapGet("/purchased", Purchased).RequireAuthorization();
        api.MapGet("/{id}", Show);
        api.MapPut("/{id}", Update).RequireAuthorization().Accepts<TicketRequest>("application/json");
        api.MapDelete("/{id}", Withdraw).RequireAuthorization();
        api.MapPut("/{id}/file", AttachFile).RequireAuthorization()
            .Accepts<byte[]>("application/pdf", "image/png", "image/jpeg").ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        api.MapGet("/{id}/file", Download).RequireAuthorization()
            .Produces<byte[]>(contentType: "application/pdf", additionalContentTypes: ["image/png", "image/jpeg"]);
        return app;
    }

    public static async Task<Created<TicketDto>> Create(
        TicketRequest request, ClaimsPrincipal user, TicketsDbContext db, TimeProvider time, IOptions<TicketsOptions> options,
        CancellationToken cancellationToken)
    {
        var (title, price, faceValue) = Validate(request, options.Value.PriceCap, requireEvent: true);
        var @event = await db.Events.FindAsync([Guid.Parse(request.EventId!)], cancellationToken) ?? throw new NotFoundException("Event");
        var ticket = Ticket.List(@event, title, price, faceValue, user.RequiredUserId(), time.GetUtcNow());
        db.Tickets.Add(ticket);
        db.Publish(ticket.ToCreatedEvent());
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/tickets/{ticket.Id}", TicketDto.From(ticket));
    }

    public static async Task<Ok<List<TicketDto>>> List(
        HttpContext context, TicketsDbContext db, TimeProvider time, CancellationToken cancellationToken,
        string? q = null, string? minPrice = null, string? maxPrice = null, string? limit = null, string? cursor = null, string? eventId = null)
    {
        var query = ListQuery.Parse(q, minPrice, maxPrice, limit, cursor, eventId);
        var now = time.GetUtcNow();
        // For sale: available, and its event still ahead.
        var tickets = db.Tickets.AsNoTracking().Include(t => t.Event).Where(t => t.Status == TicketStatuses.Available && t.Event.StartsAt > now);
        if (query.EventId is { } eventFilter)
        {
            tickets = tickets.Where(t => t.EventId == eventFilter);
        }

        // Every word, in any order, somewhere in the seat, the event's name or its venue (a trigram index serves LIKE).
        foreach (var word in query.Search is { } search ? SwapSeats.Tickets.Api.Search.Words(search) : [])
        {
            var pattern = Search.Contains(word);
            tickets = tickets.Where(t => EF.Functions.Like(t.SearchText, pattern, Search.Escape));
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
            Paging.Next(context, page[^1].Id.ToString("N"));
        }

        return TypedResults.Ok(page.Select(TicketDto.From).ToList());
    }

    public static async Task<Ok<List<TicketDto>>> Mine(ClaimsPrincipal user, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var sellerId = user.RequiredUserId();
        var tickets = await db.Tickets.AsNoTracking().Include(t => t.Event).Where(t => t.UserId == sellerId).OrderByDescending(t => t.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(tickets.Select(TicketDto.From).ToList());
    }

    /// <summary>"My tickets": what the caller bought, newest purchase first.</summary>
    public static async Task<Ok<List<TicketDto>>> Purchased(ClaimsPrincipal user, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var buyerId = user.RequiredUserId();
        var tickets = await db.Tickets.AsNoTracking().Include(t => t.Event)
            .Where(t => t.BuyerId == buyerId && t.Status == TicketStatuses.Sold)
            .OrderByDescending(t => t.SoldAt).ThenByDescending(t => t.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(tickets.Select(TicketDto.From).ToList());
    }

    /// <summary>
    /// The seller attaches the ticket itself. SPEC order: 401 → 404 → 403 → 415 → 413 → 400; the body is not read
    /// before the caller is known to be the seller, and a refused body leaves nothing behind.
    /// </summary>
    public static async Task<NoContent> AttachFile(
        string id, HttpContext context, ClaimsPrincipal user, TicketsDbContext db, TimeProvider time, CancellationToken cancellationToken)
    {
        var ticket = await FindAsync(db, id, cancellationToken);
        if (ticket.UserId != user.RequiredUserId())
        {
            throw new ForbiddenException("Only the seller can attach the ticket's file");
        }

        var type = TicketFile.TypeOf(context.Request.ContentType) ?? throw new DomainException(
            "The ticket file must be sent as application/pdf, image/png or image/jpeg.", StatusCodes.Status415UnsupportedMediaType);
        var bytes = await RequestLimits.ReadBoundedAsync(context, TicketFile.MaxBytes);
        var upload = TicketFile.Of(ticket.Id, type, bytes, time.GetUtcNow());
        ticket.AttachFile();
        if (await db.TicketFiles.FindAsync([ticket.Id], cancellationToken) is { } existing)
        {
            existing.Replace(upload);
        }
        else
        {
            db.TicketFiles.Add(upload);
        }

        db.Publish(ticket.ToUpdatedEvent());
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <summary>The file, to the seller and to the ticket's buyer once sold; anyone else learns nothing (404).</summary>
    public static async Task<FileContentHttpResult> Download(
        string id, HttpContext context, ClaimsPrincipal user, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var ticket = await FindAsync(db, id, cancellationToken);
        if (!ticket.MayDownload(user.RequiredUserId())
            || await db.TicketFiles.AsNoTracking().SingleOrDefaultAsync(f => f.TicketId == ticket.Id, cancellationToken) is not { } file)
        {
            throw new NotFoundException("Ticket file");
        }

        // Never shown inline: an uploaded file can never run script in the marketplace's origin.
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{file.FileName}\"";
        context.Response.Headers.CacheControl = "private, no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.File(file.Content, file.ContentType);
    }

    public static async Task<Ok<TicketDto>> Show(string id, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var ticket = await FindAsync(db, id, cancellationToken);
        return TypedResults.Ok(TicketDto.From(ticket));
    }

    public static async Task<Ok<TicketDto>> Update(
        string id, TicketRequest request, ClaimsPrincipal user, TicketsDbContext db, TimeProvider time, IOptions<TicketsOptions> options,
        CancellationToken cancellationToken)
    {
        var (title, price, faceValue) = Validate(request, options.Value.PriceCap, requireEvent: false);
        var ticket = await FindAsync(db, id, cancellationToken);
        if (ticket.UserId != user.RequiredUserId())
        {
            throw new ForbiddenException("Only the seller can edit this ticket");
        }

        ticket.Edit(title, price, faceValue, time.GetUtcNow());
        db.Publish(ticket.ToUpdatedEvent());
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Ok(TicketDto.From(ticket));
    }

    /// <summary>Takes the listing off sale: no longer listed or purchasable (orders hears of it on <c>ticket.updated</c>).</summary>
    public static async Task<NoContent> Withdraw(string id, ClaimsPrincipal user, TicketsDbContext db, CancellationToken cancellationToken)
    {
        var ticket = await FindAsync(db, id, cancellationToken);
        if (ticket.UserId != user.RequiredUserId())
        {
            throw new ForbiddenException("Only the seller can withdraw this ticket");
        }

        if (ticket.Withdraw())
        {
            db.Publish(ticket.ToUpdatedEvent());
            await db.SaveChangesAsync(cancellationToken);
        }

        return TypedResults.NoContent();
    }

    private static async Task<Ticket> FindAsync(TicketsDbContext db, string id, CancellationToken cancellationToken) =>
        Guid.TryParse(id, out var ticketId) && await db.Tickets.Include(t => t.Event).SingleOrDefaultAsync(t => t.Id == ticketId, cancellationToken) is { } ticket
            ? ticket
            : throw new NotFoundException("Ticket");

    private static decimal? Money(decimal? value, string field, string label, ValidationErrors errors)
    {
        if (value is not { } amount)
        {
            errors.Add(field, $"{label} is required.");
        }
        else if (amount <= 0)
        {
            errors.Add(field, $"{label} must be greater than 0.");
        }
        else if (amount > MaxPrice)
        {
            errors.Add(field, $"{label} must be at most {MaxPrice.ToString("N0", CultureInfo.InvariantCulture)}.");
        }
        else if (decimal.Round(amount, 2) != amount)
        {
            errors.Add(field, $"{label} must have at most 2 decimals.");
        }
        else
        {
            return amount;
        }

        return null;
    }

    private static (string Title, decimal Price, decimal FaceValue) Validate(TicketRequest request, decimal priceCap, bool requireEvent)
    {
        var errors = new ValidationErrors();
        if (requireEvent && (string.IsNullOrWhiteSpace(request.EventId) || !Guid.TryParse(request.EventId, out _)))
        {
            errors.Add("eventId", string.IsNullOrWhiteSpace(request.EventId) ? "eventId is required." : "eventId must be a UUID.");
        }

        var title = request.Title?.Trim() ?? "";
        if (title.Length == 0)
        {
            errors.Add("title", "Title is required.");
        }
        else if (title.Length > MaxTitleLength)
        {
            errors.Add("title", $"Title must be at most {MaxTitleLength} characters.");
        }

        var price = Money(request.Price, "price", "Price", errors);
        var faceValue = Money(request.FaceValue, "faceValue", "Face value", errors);
        if (price is { } p && faceValue is { } face && p > face * priceCap)
        {
            errors.Add("price", priceCap == 1m ? "Price cannot exceed the face value" : $"Price cannot exceed {priceCap:0.##} × the face value");
        }

        errors.ThrowIfAny();
        return (title, price!.Value, faceValue!.Value);
    }
}

/// <summary>The public list's query string, checked: every bad value is a 400 naming the parameter.</summary>
public sealed record ListQuery(string? Search, decimal? MinPrice, decimal? MaxPrice, int Limit, Guid? After, Guid? EventId)
{
    public static ListQuery Parse(string? q, string? minPrice, string? maxPrice, string? limit, string? cursor, string? eventId = null)
    {
        var errors = new ValidationErrors();
        var min = ParsePrice(minPrice, "minPrice", errors);
        var max = ParsePrice(maxPrice, "maxPrice", errors);
        if (min is not null && max is not null && min > max)
        {
            errors.Add("minPrice", "minPrice must not be greater than maxPrice.");
        }

        var pageSize = Paging.Limit(limit, errors);
        if (q is not null && SwapSeats.Tickets.Api.Search.Words(q).Length > SwapSeats.Tickets.Api.Search.MaxWords)
        {
            errors.Add("q", $"q may have at most {SwapSeats.Tickets.Api.Search.MaxWords} words; every one of them must match.");
        }

        Guid? eventFilter = null;
        if (eventId is not null)
        {
            if (Guid.TryParse(eventId, out var parsedEvent))
            {
                eventFilter = parsedEvent;
            }
            else
            {
                errors.Add("eventId", "eventId must be a UUID.");
            }
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
        return new ListQuery(string.IsNullOrWhiteSpace(q) ? null : q.Trim(), min, max, pageSize, after, eventFilter);
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
