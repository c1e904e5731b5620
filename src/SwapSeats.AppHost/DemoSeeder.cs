using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SwapSeats.AppHost;

/// <summary>
/// On a first local run (no demo seller yet) creates a demo seller and a handful of listings through the public API,
/// so the marketplace is not empty. SWAPSEATS_SEED=false turns it off. Later runs find the seller and leave data alone.
/// </summary>
internal sealed partial class DemoSeeder(LocalTopology topology, ILogger<DemoSeeder> logger) : BackgroundService
{
    public static bool Enabled => !string.Equals(Environment.GetEnvironmentVariable("SWAPSEATS_SEED"), "false", StringComparison.OrdinalIgnoreCase);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{topology.HttpPort}"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        try
        {
            await WaitForMarketplaceAsync(http, stoppingToken);
            if (await DemoData.SeedAsync(http, stoppingToken) == DemoOutcome.AlreadySeeded)
            {
                LogAlreadySeeded(logger, DemoData.Email, DemoData.Password);
            }
            else
            {
                LogSeeded(logger, DemoData.Listings, DemoData.Email, DemoData.Password);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailed(logger, ex);
        }
    }

    private static async Task WaitForMarketplaceAsync(HttpClient http, CancellationToken stoppingToken)
    {
        while (true)
        {
            try
            {
                // Ready only when the gateway, auth and tickets all answer.
                if ((await http.GetAsync("/api/tickets?limit=1", stoppingToken)).IsSuccessStatusCode
                    && (await http.GetAsync("/api/users/currentuser", stoppingToken)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo data: {Count} listings by {Email} (password {Password}). SWAPSEATS_SEED=false skips this.")]
    private static partial void LogSeeded(ILogger logger, int count, string email, string password);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Demo seller: {Email} (password {Password})")]
    private static partial void LogAlreadySeeded(ILogger logger, string email, string password);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not create the demo data")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
