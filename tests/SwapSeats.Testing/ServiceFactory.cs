using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SwapSeats.Testing;

/// <summary>
/// Hosts one service in memory (WebApplicationFactory) against the real PostgreSQL and NATS from the fixtures.
/// </summary>
public class ServiceFactory<TProgram>(IReadOnlyDictionary<string, string?> settings, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<TProgram>
    where TProgram : class
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in SessionKeys.Settings().Concat(settings))
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        if (services is not null)
        {
            builder.ConfigureServices(services);
        }
    }

    /// <summary>
    /// Starts the service (migrations run here, not inside the first test's timing) and waits until it has loaded the
    /// revoked sessions: before that it answers every signed-in request with 503, as it should.
    /// </summary>
    public async Task StartAsync()
    {
        _ = Server;
        if (Services.GetService<SwapSeats.ServiceDefaults.SessionRevocations>() is { } revocations)
        {
            await revocations.Loaded.WaitAsync(TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A client that keeps cookies like a browser, over https so Secure cookies come back.</summary>
    public HttpClient CreateBrowserClient(bool https = false) => CreateClient(new WebApplicationFactoryClientOptions
    {
        AllowAutoRedirect = false,
        HandleCookies = true,
        BaseAddress = new Uri(https ? "https://localhost" : "http://localhost"),
    });
}
