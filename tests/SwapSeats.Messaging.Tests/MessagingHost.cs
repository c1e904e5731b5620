using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using NATS.Client.JetStream;
using SwapSeats.Contracts;
using SwapSeats.ServiceDefaults;
using SwapSeats.Testing;

namespace SwapSeats.Messaging.Tests;

/// <summary>A service process in miniature: its own database, the outbox relay and, optionally, consumers.</summary>
public sealed class MessagingHost : IAsyncDisposable
{
    private MessagingHost(IHost host) => Host = host;

    public IHost Host { get; }

    public NatsBus Bus => Host.Services.GetRequiredService<NatsBus>();

    public HandlerProbe Probe => Host.Services.GetRequiredService<HandlerProbe>();

    public static async Task<string> CreateDatabaseAsync(PostgresServer? server = null)
    {
        var postgres = server ?? await PostgresServer.SharedAsync();
        var connectionString = await postgres.CreateDatabaseAsync("messaging");
        await using var db = new TestDb(new DbContextOptionsBuilder<TestDb>().UseNpgsql(connectionString).Options);
        await db.Database.EnsureCreatedAsync();
        return connectionString;
    }

    public static async Task<MessagingHost> StartAsync(string service, string connectionString, NatsServer nats,
        bool consumers = false, HandlerProbe? probe = null, Dictionary<string, string?>? settings = null)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = connectionString,
            ["ConnectionStrings:nats"] = nats.Url,
            ["Messaging:RetryBaseDelay"] = "00:00:00.050",
            ["Messaging:MaxRetryDelay"] = "00:00:00.500",
            ["Messaging:MaxDeliver"] = "3",
            ["Messaging:AckWait"] = "00:00:12",
        };
        foreach (var (key, value) in settings ?? [])
        {
            configuration[key] = value; // a test's own setting wins over these
        }

        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(probe ?? new HandlerProbe { Instance = service });
        builder.AddServiceDatabase<TestDb>("messaging");
        var messaging = builder.AddMessaging<TestDb>(service);
        if (consumers)
        {
            messaging.AddConsumer<TicketCreated, TicketCreatedHandler>().AddConsumer<TicketUpdated, TicketUpdatedHandler>();
        }

        var host = builder.Build();
        await host.StartAsync();
        return new MessagingHost(host);
    }

    public async Task<T> WithDbAsync<T>(Func<TestDb, Task<T>> work)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        return await work(scope.ServiceProvider.GetRequiredService<TestDb>());
    }

    /// <summary>Waits until the durable consumer has nothing pending or unacknowledged.</summary>
    public async Task WaitForConsumerIdleAsync(string durable, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            string state;
            try
            {
                var consumer = await Bus.JetStream.GetConsumerAsync(Subjects.EventStream, durable);
                if (consumer.Info is { NumPending: 0, NumAckPending: 0 })
                {
                    return;
                }

                state = $"{consumer.Info.NumPending} pending, {consumer.Info.NumAckPending} unacked";
            }
            catch (NatsJSApiException ex) when (ex.Error.Code == 404)
            {
                state = "not created yet"; // the host creates it in the background as it starts
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Consumer {durable}: {state}.");
            }

            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }
}
