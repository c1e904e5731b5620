using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using SwapSeats.Contracts;
using SwapSeats.Messaging;
using SwapSeats.Orders.Data;
using SwapSeats.Orders.Domain;
using SwapSeats.ServiceDefaults;

namespace SwapSeats.Orders.Api;

public sealed record OrderRequest(string? TicketId);

public sealed record OrderTicketDto(Guid Id, string Title, decimal Price, EventInfo? Event);

/// <param name="CancelReason">Only on a cancelled order: <c>cancelled</c>, <c>expired</c> or <c>paymentFailed</c>.</param>
public sealed record OrderDto(
    Guid Id, Guid UserId, string Status, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, int Version, OrderTicketDto Ticket,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? CancelReason)
{
    public static OrderDto From(Order o) =>
        new(o.Id, o.UserId, o.Status, o.ExpiresAt, o.CreatedAt, o.Version, new OrderTicketDto(o.TicketId, o.TicketTitle, o.TicketPrice, o.TicketEvent),
            o.Status == OrderStatuses.Cancelled ? o.CancelReason ?? CancelReasons.Cancelled : null);
}

public static class OrdersApi
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";
    public const int MaxIdempotencyKeyLength = 255;

    private static readonly JsonSerializerOptions ResponseJson = new(JsonSerializerDefaults.Web);

    private const string AlreadyReserved = "Ticket is already reserved";

    /// <summary>The ticket; whether an order holds it now; whether one still counts as holding it (perhaps past its expiry).</summary>
    public sealed record TicketLook(Ticket Ticket, bool Held, bool Holding);

    /// <summary>
    /// One read: the ticket, and whether an order holds it. In a rush, once the winner has committed, every later buyer
    /// learns it here instead of queueing on the unique index, and the buyers arriving while one such read is in flight
    /// share the refusal of the next one (<see cref="SharedLookUps{TLook}"/>). It only ever refuses; the index still decides between
    /// simultaneous arrivals. Compiled once: it is all that a losing buyer costs the database, and building,
    /// funcletizing and looking up its LINQ tree on every request cost orders more than running it.
    /// </summary>
    private static readonly Func<OrdersDbContext, Guid, DateTimeOffset, CancellationToken, Task<TicketLook?>> LookUpAsync =
        EF.CompileAsyncQuery((OrdersDbContext db, Guid ticketId, DateTimeOffset now, CancellationToken _) => db.Tickets.AsNoTracking()
            .Where(t => t.Id == ticketId)
            .Select(t => new TicketLook(
                t,
                db.Orders.Any(o => o.TicketId == ticketId
                    && (o.Status == OrderStatuses.Complete
                        || ((o.Status == OrderStatuses.Created || o.Status == OrderStatuses.AwaitingPayment) && o.ExpiresAt > now))),
                // Also one past its expiry that the timer has not cancelled yet: placing must lock and close it.
                db.Orders.Any(o => o.TicketId == ticketId
                    && (o.Status == OrderStatuses.Complete || o.Status == OrderStatuses.Created || o.Status == OrderStatuses.AwaitingPayment))))
            .SingleOrDefault());

    public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/orders").WithTags("Orders").RequireAuthorization().CheckSessionBeforeBody();
        api.MapPost("/", Create).Accepts<OrderRequest>("application/json");
        api.MapGet("/", List);
        api.MapGet("/{id}", Show);
        api.MapDelete("/{id}", Cancel);
        return app;
    }

    /// <summary>
    /// Reserves the ticket for the buyer. The unique index on holding orders is the lock: of concurrent purchases exactly
    /// one insert commits, the others fail on the index and are told the ticket is taken.
    /// </summary>
    public static async Task<Results<Created<OrderDto>, ProblemHttpResult>> Create(
        OrderRequest request, HttpRequest http, ClaimsPrincipal user, OrdersDbContext db,
        IOptions<OrdersOptions> options, SharedLookUps<TicketLook> lookUps, CancellationToken cancellationToken)
    {
        var ticketId = Validate(request, http.Headers, out var idempotencyKey);
        var buyerId = user.RequiredUserId();
        var fingerprint = Fingerprint(ticketId);
        if (idempotencyKey is not null && await ReplayAsync(db, buyerId, idempotencyKey, fingerprint, cancellationToken) is { } earlier)
        {
            return earlier;
        }

        // The moment the read judged expiry by is the purchase's moment too: a holder it found expired is expired for the placement.
        var (look, now) = await lookUps.ReadAsync(ticketId, answer => answer.Held, asOf => LookUpAsync(db, ticketId, asOf, cancellationToken),
            cancellationToken);
        var found = look ?? throw new NotFoundException("Ticket");
        var order = Order.Place(buyerId, found.Ticket, now, options.Value.ReservationWindow);
        var response = OrderDto.From(order);
        if (found.Held)
        {
            // The holder may be a concurrent retry of this very request that committed since the first look at the key.
            if (idempotencyKey is not null && await ReplayAsync(db, buyerId, idempotencyKey, fingerprint, cancellationToken) is { } retried)
            {
                return retried;
            }

            return Refusal.Of(AlreadyReserved); // answered, not thrown: in a rush this is every buyer but one
        }

        var record = idempotencyKey is null
            ? null
            : new IdempotentRequest(buyerId, idempotencyKey, fingerprint, order.Id, JsonSerializer.Serialize(response, ResponseJson), now);
        if (!await TryPlaceAsync(db, order, record, now, lockHolder: found.Holding, cancellationToken))
        {
            // Taken, by another buyer or by a concurrent retry of this very request: the key tells which.
            if (idempotencyKey is not null && await ReplayAsync(db, buyerId, idempotencyKey, fingerprint, cancellationToken) is { } winner)
            {
                return winner;
            }

            return Refusal.Of(AlreadyReserved);
        }

        return Created(response);
    }

    public static async Task<Ok<List<OrderDto>>> List(ClaimsPrincipal user, OrdersDbContext db, CancellationToken cancellationToken)
    {
        var buyerId = user.RequiredUserId();
        var orders = await db.Orders.AsNoTracking().Where(o => o.UserId == buyerId).OrderByDescending(o => o.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(orders.Select(OrderDto.From).ToList());
    }

    public static async Task<Ok<OrderDto>> Show(string id, ClaimsPrincipal user, OrdersDbContext db, CancellationToken cancellationToken)
    {
        var buyerId = user.RequiredUserId();
        var order = Guid.TryParse(id, out var orderId)
            ? await db.Orders.AsNoTracking().SingleOrDefaultAsync(o => o.Id == orderId && o.UserId == buyerId, cancellationToken)
            : null;
        return TypedResults.Ok(OrderDto.From(order ?? throw new NotFoundException("Order")));
    }

    public static async Task<NoContent> Cancel(string id, ClaimsPrincipal user, OrdersDbContext db, CancellationToken cancellationToken)
    {
        var buyerId = user.RequiredUserId();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Locked, so a cancellation racing the timer or a payment waits for it instead of failing on the version.
        var order = Guid.TryParse(id, out var orderId) ? await db.LockOrderAsync(orderId, cancellationToken) : null;
        if (order is null || order.UserId != buyerId)
        {
            throw new NotFoundException("Order");
        }

        if (order.Cancel())
        {
            db.Publish(order.ToCancelledEvent());
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return TypedResults.NoContent();
    }

    /// <param name="lockHolder">
    /// An order held the ticket when it was read (one past its expiry, since a live one refused the purchase): lock it to
    /// close it. Otherwise there is nothing to lock, and an order placed since then is refused by the unique index.
    /// </param>
    /// <returns>false when another order holds the ticket (or a concurrent request with the same key won).</returns>
    private static async Task<bool> TryPlaceAsync(
        OrdersDbContext db, Order order, IdempotentRequest? record, DateTimeOffset now, bool lockHolder, CancellationToken cancellationToken)
    {
        try
        {
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (lockHolder && await db.LockHoldingOrderAsync(order.TicketId, cancellationToken) is { } holding)
            {
                if (!holding.HasExpired(now))
                {
                    return false;
                }

                // Lazy expiry: the timer has not cancelled it yet, but it no longer holds the ticket.
                holding.Close(CancelReasons.Expired);
                db.Publish(holding.ToCancelledEvent());
            }

            db.Orders.Add(order);
            db.Publish(order.ToCreatedEvent());
            if (record is not null)
            {
                db.IdempotentRequests.Add(record);
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex) when (OrdersDbContext.UniqueViolation(ex) is OrdersDbContext.OneHoldingOrderPerTicket or OrdersDbContext.IdempotencyKeyIndex)
        {
            // Lost the race on one of the unique indexes; the winner has committed by now.
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private static Created<OrderDto> Created(OrderDto order) => TypedResults.Created($"/api/orders/{order.Id}", order);

    private static async Task<Created<OrderDto>?> ReplayAsync(
        OrdersDbContext db, Guid buyerId, string key, string fingerprint, CancellationToken cancellationToken)
    {
        var earlier = await db.IdempotentRequests.AsNoTracking()
            .SingleOrDefaultAsync(r => r.UserId == buyerId && r.Key == key, cancellationToken);
        if (earlier is null)
        {
            return null;
        }

        if (earlier.RequestHash != fingerprint)
        {
            throw new DomainException(
                "This Idempotency-Key was already used with a different request; use a new key for a new purchase",
                StatusCodes.Status422UnprocessableEntity);
        }

        return Created(JsonSerializer.Deserialize<OrderDto>(earlier.ResponseJson, ResponseJson)!);
    }

    private static string Fingerprint(Guid ticketId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"POST /api/orders {ticketId:D}")));

    private static Guid Validate(OrderRequest request, IHeaderDictionary headers, out string? idempotencyKey)
    {
        var errors = new ValidationErrors();
        Guid ticketId = default;
        if (string.IsNullOrWhiteSpace(request.TicketId))
        {
            errors.Add("ticketId", "ticketId is required.");
        }
        else if (!Guid.TryParse(request.TicketId, out ticketId))
        {
            errors.Add("ticketId", "ticketId must be a UUID.");
        }

        idempotencyKey = null;
        if (headers.TryGetValue(IdempotencyKeyHeader, out var values))
        {
            idempotencyKey = values.Count == 1 ? values[0] : null;
            if (string.IsNullOrEmpty(idempotencyKey) || idempotencyKey.Length > MaxIdempotencyKeyLength
                || idempotencyKey.Any(c => c is < '!' or > '~'))
            {
                errors.Add(IdempotencyKeyHeader,
                    $"Idempotency-Key must be one value of 1 to {MaxIdempotencyKeyLength} visible ASCII characters, e.g. a UUID.");
            }
        }

        errors.ThrowIfAny();
        return ticketId;
    }
}
