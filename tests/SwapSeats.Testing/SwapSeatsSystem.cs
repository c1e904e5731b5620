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
    public PostgresServer Postgres { get; private set; } = null!;

    public NatsServer Nats { get; private set; } = null!;

    public ServiceProcess Gateway { get; private set; } = null!;

    /// <summary>Settings every service gets, as environment variables given to ./run.sh would reach them.</summary>
    protected virtual Dictionary<string, string?> Settings() => [];

    /// <summary>The PostgreSQL server the services' databases live on (a private one for tests that restart it).</summary>
    protected virtual Task<PostgresServer> StartPostgresAsync() => PostgresServer.SharedAsync();

    /// <summary>
    /// Every process by name: auth, tickets, orders, expiration, payments, notifications, web, gateway; with replicas
    /// the second and later ones are tickets-2, tickets-3, …
    /// </summary>
    public Dictionary<string, ServiceProcess> Services { get; } = [];

    /// <summary>How many processes of each service but the gateway run (SWAPSEATS_REPLICAS in the AppHost).</summary>
    public virtual int Replicas => 1;

    /// <summary>The processes of one service, the first one first.</summary>
    public IReadOnlyList<ServiceProcess> ReplicasOf(string name) =>
        Enumerable.Range(1, Replicas).Select(i => Services[i == 1 ? name : $"{name}-{i}"]).ToList();

    /// <summary>What the gateway and the web UI are told of a service: the address of each replica, separated by ';'.</summary>
    private string Addresses(string name) => string.Join(';', ReplicasOf(name).Select(p => p.BaseAddress.ToString().TrimEnd('/')));

    /// <summary>Each service's database connection string by service name.</summary>
    public Dictionary<string, string> Databases { get; } = [];

    public static readonly TimeSpan PayoutDelay = TimeSpan.FromSeconds(2);

    /// <summary>The SMTP server the notifications service sends to.</summary>
    public SmtpSink Smtp { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Postgres = await StartPostgresAsync();
        Nats = await NatsServer.StartNewAsync();

        var common = new Dictionary<string, string?>(Settings())
        {
            ["Jwt:PublicKeyPem"] = SessionKeys.PublicPem,
            ["ConnectionStrings:nats"] = Nats.Url,
        };
        Smtp = await SmtpSink.StartNewAsync();
        string[] withDatabase = ["auth", "tickets", "orders", "expiration", "payments", "notifications", "web"];
        foreach (var name in withDatabase)
        {
            Databases[name] = await Postgres.CreateDatabaseAsync(name);
        }

        // Ports are chosen up front, so every process can be told where the others are and all start at once.
        var own = withDatabase.ToDictionary(name => name, name => new Dictionary<string, string?> { [$"ConnectionStrings:{name}"] = Databases[name] });
        own["auth"]["Auth:SigningKeyPem"] = SessionKeys.PrivatePem;
        // Escrow in seconds, not a day: a sale for an event that starts moments ahead is paid out within the test.
        own["payments"]["Payments:PayoutDelay"] = PayoutDelay.ToString();
        own["notifications"]["Notifications:Smtp:Host"] = "127.0.0.1";
        own["notifications"]["Notifications:Smtp:Port"] = Smtp.Port.ToString();
        own["notifications"]["Notifications:Smtp:Security"] = "None";
        string[] apis = ["auth", "tickets", "orders", "payments"];
        foreach (var name in withDatabase.Where(n => n != "web"))
        {
            AddReplicas(name, common.Concat(own[name]).ToDictionary());
        }

        AddReplicas("web", common.Concat(own["web"])
            .Concat(apis.Select(api => KeyValuePair.Create($"Web:Services:{api}", (string?)Addresses(api)))).ToDictionary());
        _common = common;
        // The tests sign up far more users per minute from one address than a person would: no per-IP limit here
        // (GatewayTests start their own gateway to test it).
        Services["gateway"] = NewGateway(new() { ["Gateway:AuthRequestsPerMinute"] = "0" });
        Gateway = Services["gateway"];
        try
        {
            await Task.WhenAll(Services.Values.Select(service => service.StartAsync()));
        }
        catch
        {
            // One process that cannot start (not built, a bad setting) must not leave the others running behind a
            // caller that gives up (the benchmark exits; a fixture that failed to initialise is never disposed).
            await DisposeAsync();
            throw;
        }
    }

    private Dictionary<string, string?> _common = [];

    private void AddReplicas(string name, Dictionary<string, string?> settings)
    {
        for (var i = 1; i <= Replicas; i++)
        {
            Services[i == 1 ? name : $"{name}-{i}"] = new ServiceProcess($"SwapSeats.{char.ToUpperInvariant(name[0])}{name[1..]}", settings);
        }
    }

    /// <summary>
    /// A gateway process (not started) in front of this system's services, with settings of its own. Its settings win
    /// over the system's: a <c>Gateway:Services:{name}</c> of its own sends that service's requests elsewhere.
    /// </summary>
    public ServiceProcess NewGateway(Dictionary<string, string?> settings) => new("SwapSeats.Gateway",
        _common.Concat(new[] { "auth", "tickets", "orders", "payments", "web" }
                .Select(name => KeyValuePair.Create($"Gateway:Services:{name}", (string?)Addresses(name))))
            .Where(setting => !settings.ContainsKey(setting.Key))
            .Concat(settings).ToDictionary());

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

    /// <summary>Creates (or finds) an upcoming event and returns its id.</summary>
    public static async Task<string> EventAsync(HttpClient client, string? name = null, string venue = "Test Arena", string city = "Testville",
        DateTimeOffset? startsAt = null)
    {
        var created = await client.PostAsJsonAsync("/api/events", new
        {
            name = name ?? $"Test event {Guid.NewGuid():N}",
            venue,
            city,
            startsAt = startsAt ?? DateTimeOffset.UtcNow.AddDays(30),
        });
        Assert.True(created.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"POST /api/events → {(int)created.StatusCode}");
        return (await Json(created)).GetProperty("id").GetString()!;
    }

    /// <summary>Lists a seat as the seller, at face value, for <paramref name="eventId"/> or a new event of its own.</summary>
    public static async Task<HttpResponseMessage> ListAsync(HttpClient seller, string title, decimal price, decimal? faceValue = null, string? eventId = null)
    {
        eventId ??= await EventAsync(seller);
        return await seller.PostAsJsonAsync("/api/tickets", new { eventId, title, price, faceValue = faceValue ?? price });
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

    public static Task<JsonElement> Json(HttpResponseMessage response) => HttpAssertions.Json(response);

    public virtual async Task DisposeAsync()
    {
        foreach (var service in Services.Values.Reverse())
        {
            await service.DisposeAsync();
        }

        await Nats.DisposeAsync();
        if (Smtp is not null)
        {
            await Smtp.DisposeAsync();
        }
    }
}

/// <summary>The system with a reservation window of seconds, to watch orders run out.</summary>
public sealed class ShortWindowSystem : SwapSeatsSystem
{
    public static readonly TimeSpan ReservationWindow = TimeSpan.FromSeconds(3);

    protected override Dictionary<string, string?> Settings() => new() { ["Orders:ReservationWindow"] = ReservationWindow.ToString() };
}
