using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace SwapSeats.Testing;

/// <summary>
/// One service in memory for a test class: its own database on the shared PostgreSQL, its own nats-server (so its
/// durable consumers see only this class's events), and clients signed in as any user.
/// </summary>
public class ServiceApp<TProgram> : IAsyncLifetime where TProgram : class
{
    private readonly string _database;
    private Dictionary<string, string?> _settings = [];

    protected ServiceApp(string database) => _database = database;

    public ServiceFactory<TProgram> Factory { get; private set; } = null!;

    public NatsServer Nats { get; private set; } = null!;

    public TestBus Bus { get; private set; } = null!;

    protected virtual Dictionary<string, string?> Settings() => [];

    /// <summary>Replaces services for the whole class, e.g. a fake clock.</summary>
    protected virtual void ConfigureServices(IServiceCollection services)
    {
    }

    public async Task InitializeAsync()
    {
        var postgres = await PostgresServer.SharedAsync();
        Nats = await NatsServer.StartNewAsync();
        Bus = new TestBus(Nats);
        var settings = new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{_database}"] = await postgres.CreateDatabaseAsync(_database),
            ["ConnectionStrings:nats"] = Nats.Url,
            ["Messaging:RetryBaseDelay"] = "00:00:00.050",
            ["Messaging:MaxRetryDelay"] = "00:00:01",
        };
        foreach (var (key, value) in Settings())
        {
            settings[key] = value;
        }

        _settings = settings;
        Factory = new ServiceFactory<TProgram>(settings, ConfigureServices);
        await Factory.StartAsync();
    }

    /// <summary>Stops the service, runs <paramref name="whileDown"/>, and starts it again on the same database and NATS.</summary>
    public async Task RestartAsync(Func<Task>? whileDown = null)
    {
        await Factory.DisposeAsync();
        if (whileDown is not null)
        {
            await whileDown();
        }

        Factory = new ServiceFactory<TProgram>(_settings, ConfigureServices);
        await Factory.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Bus.DisposeAsync();
        await Nats.DisposeAsync();
    }

    public static Task<System.Text.Json.JsonElement> Json(HttpResponseMessage response) => HttpAssertions.Json(response);

    public HttpClient Anonymous() => Factory.CreateBrowserClient();

    /// <summary>A client with a valid session for the user, as the auth service would have issued it.</summary>
    public HttpClient SignedIn(Guid userId)
    {
        var client = Factory.CreateBrowserClient();
        client.DefaultRequestHeaders.Add("Cookie", $"session={SessionKeys.MintToken(userId, $"{userId:N}@example.com", DateTimeOffset.UtcNow.AddHours(1))}");
        return client;
    }

    /// <summary>
    /// Waits until the service's outbox relay has published every committed event, so "exactly one" and "none" checks
    /// on the bus look at everything the service decided to say.
    /// </summary>
    public Task OutboxDrainedAsync<TContext>() where TContext : Microsoft.EntityFrameworkCore.DbContext =>
        Eventually.Until(
            () => WithDbAsync<TContext, bool>(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.AnyAsync(
                db.Set<SwapSeats.Messaging.Outbox.OutboxMessage>(), m => m.SentAt == null)),
            pending => !pending, what: "the outbox to drain");

    public async Task<T> WithDbAsync<TContext, T>(Func<TContext, Task<T>> work) where TContext : notnull
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TContext>());
    }
}
