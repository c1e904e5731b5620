using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace SwapSeats.Testing;

/// <summary>
/// The whole system as real processes: PostgreSQL, nats-server, every service and the gateway, wired as the AppHost
/// wires them. Started once for all system tests; tests talk to it only through the gateway.
/// </summary>
public class SwapSeatsSystem : IAsyncLifetime
{
    private readonly List<ServiceProcess> _services = [];

    public PostgresServer Postgres { get; private set; } = null!;

    public NatsServer Nats { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    /// <summary>Settings every service gets, as environment variables given to ./run.sh would reach them.</summary>
    protected virtual Dictionary<string, string?> Settings() => [];

    public virtual async Task InitializeAsync()
    {
        Postgres = await PostgresServer.SharedAsync();
        Nats = await NatsServer.StartNewAsync();

        var common = new Dictionary<string, string?>(Settings())
        {
            ["Jwt:PublicKeyPem"] = SessionKeys.PublicPem,
            ["ConnectionStrings:nats"] = Nats.Url,
        };
        var routes = new Dictionary<string, string?>();
        async Task ServiceAsync(string name, string project, Dictionary<string, string?>? own = null)
        {
            var settings = new Dictionary<string, string?>(own ?? [])
            {
                [$"ConnectionStrings:{name}"] = await Postgres.CreateDatabaseAsync(name),
            };
            var service = await StartAsync(project, common, settings);
            routes[$"Gateway:Services:{name}"] = service.BaseAddress.ToString();
        }

        await ServiceAsync("auth", "SwapSeats.Auth", new() { ["Auth:SigningKeyPem"] = SessionKeys.PrivatePem });
        await ServiceAsync("tickets", "SwapSeats.Tickets");
        await ServiceAsync("orders", "SwapSeats.Orders");
        await ServiceAsync("expiration", "SwapSeats.Expiration");
        await ServiceAsync("payments", "SwapSeats.Payments");
        var web = await StartAsync("SwapSeats.Web", common, routes.ToDictionary(r => r.Key.Replace("Gateway:", "Web:", StringComparison.Ordinal), r => r.Value));
        routes["Gateway:Services:web"] = web.BaseAddress.ToString();

        Gateway = await StartAsync("SwapSeats.Gateway", common, routes);
    }

    private async Task<ServiceProcess> StartAsync(string project, Dictionary<string, string?> common, Dictionary<string, string?> own)
    {
        var service = new ServiceProcess(project, common.Concat(own).ToDictionary());
        _services.Add(service);
        await service.StartAsync();
        return service;
    }

    /// <summary>A client of the public origin with its own cookie jar, like one browser.</summary>
    public HttpClient Browser() => new(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
    {
        BaseAddress = Gateway.BaseAddress,
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A browser with a fresh account, signed in.</summary>
    public async Task<HttpClient> SignedUpAsync()
    {
        var browser = Browser();
        var signUp = await browser.PostAsJsonAsync("/api/users/signup",
            new { email = $"fan-{Guid.NewGuid():N}@example.com", password = "password123" });
        signUp.EnsureSuccessStatusCode();
        return browser;
    }

    /// <summary>Orders a ticket as the buyer, waiting out the moment until orders has heard of a new listing.</summary>
    public static async Task<JsonElement> OrderAsync(HttpClient buyer, string ticketId)
    {
        var placed = await Eventually.Until(
            () => buyer.PostAsJsonAsync("/api/orders", new { ticketId }), r => r.StatusCode != HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        return await Json(placed);
    }

    /// <summary>Pays as the buyer, waiting out the moment until payments has heard of a new order.</summary>
    public static Task<HttpResponseMessage> PayAsync(HttpClient buyer, string orderId, string token) =>
        Eventually.Until(() => buyer.PostAsJsonAsync("/api/payments", new { orderId, token }), r => r.StatusCode != HttpStatusCode.NotFound);

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    public virtual async Task DisposeAsync()
    {
        foreach (var service in Enumerable.Reverse(_services))
        {
            await service.DisposeAsync();
        }

        await Nats.DisposeAsync();
    }
}

/// <summary>The system with a reservation window of seconds, to watch orders run out.</summary>
public sealed class ShortWindowSystem : SwapSeatsSystem
{
    public static readonly TimeSpan ReservationWindow = TimeSpan.FromSeconds(3);

    protected override Dictionary<string, string?> Settings() => new() { ["Orders:ReservationWindow"] = ReservationWindow.ToString() };
}
