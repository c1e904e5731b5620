using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SwapSeats.Auth.Data;
using SwapSeats.Testing;

namespace SwapSeats.Auth.Tests;

/// <summary>The auth service in memory, against its own fresh database on the test run's PostgreSQL.</summary>
public sealed class AuthApp : IAsyncLifetime
{
    public ServiceFactory<Program> Factory { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    /// <summary>Where the revoked sessions live (the test run's shared nats-server).</summary>
    public NatsServer Nats { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var postgres = await PostgresServer.SharedAsync();
        var connectionString = ConnectionString = await postgres.CreateDatabaseAsync("auth");
        Nats = await NatsServer.SharedAsync();
        Factory = new ServiceFactory<Program>(new Dictionary<string, string?>
        {
            ["ConnectionStrings:auth"] = connectionString,
            ["ConnectionStrings:nats"] = Nats.Url,
        });
        await Factory.StartAsync();
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();

    public HttpClient Client(bool https = false) => Factory.CreateBrowserClient(https);

    public T WithDb<T>(Func<AuthDbContext, T> query)
    {
        using var scope = Factory.Services.CreateScope();
        return query(scope.ServiceProvider.GetRequiredService<AuthDbContext>());
    }

    public async Task<T> WithDbAsync<T>(Func<AuthDbContext, Task<T>> query)
    {
        await using var scope = Factory.Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<AuthDbContext>());
    }

    public static string NewEmail() => $"user-{Guid.NewGuid():N}@example.com";

    public static Task<HttpResponseMessage> SignUp(HttpClient client, string email, string password = "password123") =>
        client.PostAsJsonAsync("/api/users/signup", new { email, password });

    public static Task<HttpResponseMessage> SignIn(HttpClient client, string email, string password = "password123") =>
        client.PostAsJsonAsync("/api/users/signin", new { email, password });

    public static async Task<JsonElement> Json(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
}
