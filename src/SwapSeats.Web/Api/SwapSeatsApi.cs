using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace SwapSeats.Web.Api;

public sealed record EventRef(Guid Id, string Name, string Venue, string City, DateTimeOffset StartsAt);

public sealed record EventView(Guid Id, string Name, string Venue, string City, DateTimeOffset StartsAt, int Listings, decimal? MinPrice);

public sealed record TicketView(Guid Id, Guid EventId, EventRef Event, string Title, decimal Price, decimal FaceValue, Guid UserId, Guid? OrderId,
    string Status, int Version, bool HasFile);

public sealed record OrderTicketView(Guid Id, string Title, decimal Price, EventRef? Event);

public sealed record OrderView(Guid Id, Guid UserId, string Status, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, int Version, OrderTicketView Ticket,
    string? CancelReason = null);

public sealed record PaymentView(Guid Id, Guid OrderId, long Amount, string Currency, string Status, string? RefundReason = null);

public sealed record PayoutView(Guid Id, Guid OrderId, Guid? TicketId, decimal Price, decimal Amount, decimal Fee, string Currency, string Status,
    DateTimeOffset? ReleaseAt, DateTimeOffset? PaidAt, string? HoldReason);

public sealed record CurrentUser(Guid Id, string Email);

/// <summary>What an API said when it refused: its problem details, ready to show next to the fields or on top.</summary>
public sealed record ApiProblem(HttpStatusCode Status, string Detail, IReadOnlyDictionary<string, string[]> Errors);

public sealed record ApiResult<T>(T? Value, ApiProblem? Problem, string? NextPage = null)
{
    public bool Ok => Problem is null;
}

/// <summary>
/// The services' public APIs, called with the browser's session cookie. Answers from auth that set or clear the
/// session are passed on to the browser, so signing in through a page is the same as signing in through the API.
/// </summary>
public sealed class SwapSeatsApi(IHttpClientFactory clients, IHttpContextAccessor context)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public Task<ApiResult<CurrentUser>> SignUpAsync(string email, string password) => AuthAsync("/api/users/signup", new { email, password });

    public Task<ApiResult<CurrentUser>> SignInAsync(string email, string password) => AuthAsync("/api/users/signin", new { email, password });

    public Task<ApiResult<CurrentUser>> SignOutAsync() => AuthAsync("/api/users/signout", null);

    public Task<ApiResult<List<TicketView>>> TicketsAsync(string query) => SendAsync<List<TicketView>>("tickets", HttpMethod.Get, "/api/tickets" + query);

    public Task<ApiResult<List<TicketView>>> MyTicketsAsync() => SendAsync<List<TicketView>>("tickets", HttpMethod.Get, "/api/tickets/mine");

    public Task<ApiResult<List<TicketView>>> PurchasedAsync() => SendAsync<List<TicketView>>("tickets", HttpMethod.Get, "/api/tickets/purchased");

    /// <summary>Sends the ticket file to tickets as it is read from the upload (nothing is copied into memory here).</summary>
    public async Task<ApiResult<object>> AttachFileAsync(string id, Stream file, string contentType, long length)
    {
        using var request = Request(HttpMethod.Put, $"/api/tickets/{Uri.EscapeDataString(id)}/file", null);
        request.Content = new StreamContent(file);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        request.Content.Headers.ContentLength = length;
        using var response = await clients.CreateClient("tickets").SendAsync(request, Aborted);
        return await ReadAsync<object>(response);
    }

    public Task<ApiResult<TicketView>> TicketAsync(string id) => SendAsync<TicketView>("tickets", HttpMethod.Get, $"/api/tickets/{Uri.EscapeDataString(id)}");

    public Task<ApiResult<List<EventView>>> EventsAsync(string query) => SendAsync<List<EventView>>("tickets", HttpMethod.Get, "/api/events" + query);

    public Task<ApiResult<EventView>> EventAsync(string id) => SendAsync<EventView>("tickets", HttpMethod.Get, $"/api/events/{Uri.EscapeDataString(id)}");

    /// <summary>Creates the event, or finds the one that already exists with the same name, venue, city and start.</summary>
    public Task<ApiResult<EventView>> CreateEventAsync(string? name, string? venue, string? city, DateTimeOffset? startsAt) =>
        SendAsync<EventView>("tickets", HttpMethod.Post, "/api/events", new { name, venue, city, startsAt });

    public Task<ApiResult<TicketView>> SellAsync(string? eventId, string? title, decimal? price, decimal? faceValue) =>
        SendAsync<TicketView>("tickets", HttpMethod.Post, "/api/tickets", new { eventId, title, price, faceValue });

    public Task<ApiResult<TicketView>> EditAsync(string id, string? title, decimal? price, decimal? faceValue) =>
        SendAsync<TicketView>("tickets", HttpMethod.Put, $"/api/tickets/{Uri.EscapeDataString(id)}", new { title, price, faceValue });

    public Task<ApiResult<object>> WithdrawAsync(string id) => SendAsync<object>("tickets", HttpMethod.Delete, $"/api/tickets/{Uri.EscapeDataString(id)}");

    /// <summary>The ticket is known to exist (the page showed it): a 404 means orders has not heard of it yet.</summary>
    public Task<ApiResult<OrderView>> PurchaseAsync(string ticketId, string idempotencyKey) => RetryWhileUnknownAsync(() =>
        SendAsync<OrderView>("orders", HttpMethod.Post, "/api/orders", new { ticketId }, ("Idempotency-Key", idempotencyKey)));

    public Task<ApiResult<List<OrderView>>> OrdersAsync() => SendAsync<List<OrderView>>("orders", HttpMethod.Get, "/api/orders");

    public Task<ApiResult<OrderView>> OrderAsync(string id) => SendAsync<OrderView>("orders", HttpMethod.Get, $"/api/orders/{Uri.EscapeDataString(id)}");

    public Task<ApiResult<object>> CancelOrderAsync(string id) => SendAsync<object>("orders", HttpMethod.Delete, $"/api/orders/{Uri.EscapeDataString(id)}");

    /// <summary>The order is known to exist (the page showed it): a 404 means payments has not heard of it yet.</summary>
    public Task<ApiResult<PaymentView>> PayAsync(string orderId, string token) => RetryWhileUnknownAsync(() =>
        SendAsync<PaymentView>("payments", HttpMethod.Post, "/api/payments", new { orderId, token }));

    public Task<ApiResult<List<PayoutView>>> PayoutsAsync() => SendAsync<List<PayoutView>>("payments", HttpMethod.Get, "/api/payouts");

    public Task<ApiResult<List<PaymentView>>> PaymentsAsync() => SendAsync<List<PaymentView>>("payments", HttpMethod.Get, "/api/payments");

    // Services learn of each other's records through events, a few milliseconds late (SPEC: replica lag). A person who
    // acts within those milliseconds of a change should not see "not found" for what the page just showed them.
    private static async Task<ApiResult<T>> RetryWhileUnknownAsync<T>(Func<Task<ApiResult<T>>> call)
    {
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (true)
        {
            var result = await call();
            if (result.Problem?.Status != HttpStatusCode.NotFound || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(100);
        }
    }

    private async Task<ApiResult<CurrentUser>> AuthAsync(string path, object? body)
    {
        using var request = Request(HttpMethod.Post, path, body ?? new { });
        using var response = await clients.CreateClient("auth").SendAsync(request, Aborted);
        var http = context.HttpContext!;
        foreach (var cookie in response.Headers.TryGetValues("Set-Cookie", out var cookies) ? cookies : [])
        {
            http.Response.Headers.Append("Set-Cookie", cookie);
        }

        return await ReadAsync<CurrentUser>(response);
    }

    private async Task<ApiResult<T>> SendAsync<T>(string service, HttpMethod method, string path, object? body = null, (string Name, string Value)? header = null)
    {
        using var request = Request(method, path, body);
        if (header is { } extra)
        {
            request.Headers.TryAddWithoutValidation(extra.Name, extra.Value);
        }

        using var response = await clients.CreateClient(service).SendAsync(request, Aborted);
        return await ReadAsync<T>(response);
    }

    private CancellationToken Aborted => context.HttpContext?.RequestAborted ?? default;

    private HttpRequestMessage Request(HttpMethod method, string path, object? body)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body, options: Json);
        }

        var http = context.HttpContext;
        if (http?.Request.Cookies.TryGetValue("session", out var session) == true)
        {
            request.Headers.TryAddWithoutValidation("Cookie", $"session={session}");
        }

        if (http is not null)
        {
            // Auth marks the cookie Secure when the browser came over https (the gateway or ingress said so).
            request.Headers.TryAddWithoutValidation("X-Forwarded-Proto", http.Request.Scheme);
        }

        return request;
    }

    private static async Task<ApiResult<T>> ReadAsync<T>(HttpResponseMessage response)
    {
        var next = response.Headers.TryGetValues("Link", out var links) ? NextLink(links.First()) : null;
        if (response.IsSuccessStatusCode)
        {
            var value = response.StatusCode == HttpStatusCode.NoContent || response.Content.Headers.ContentLength == 0
                ? default
                : await response.Content.ReadFromJsonAsync<T>(Json);
            return new ApiResult<T>(value, null, next);
        }

        return new ApiResult<T>(default, await ProblemAsync(response));
    }

    private static async Task<ApiProblem> ProblemAsync(HttpResponseMessage response)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        var detail = response.StatusCode switch
        {
            HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway => "That part of SwapSeats is unavailable right now. Try again in a moment.",
            HttpStatusCode.Unauthorized => "Please sign in first.",
            _ => "Something went wrong. Try again.",
        };
        try
        {
            using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (problem.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { Length: > 0 } text)
            {
                detail = text;
            }

            if (problem.RootElement.TryGetProperty("errors", out var e) && e.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in e.EnumerateObject())
                {
                    errors[field.Name] = field.Value.EnumerateArray().Select(m => m.GetString() ?? "").ToArray();
                }
            }
        }
        catch (JsonException)
        {
        }

        return new ApiProblem(response.StatusCode, detail, errors);
    }

    // <"/api/tickets?...&cursor=...">; rel="next" → the query string, so the page links to itself.
    private static string? NextLink(string header)
    {
        var start = header.IndexOf('<');
        var end = header.IndexOf('>');
        if (start < 0 || end <= start || !header.Contains("rel=\"next\"", StringComparison.Ordinal))
        {
            return null;
        }

        var url = header[(start + 1)..end];
        var query = url.IndexOf('?');
        return query < 0 ? null : url[query..];
    }
}
