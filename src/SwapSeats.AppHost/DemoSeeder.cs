using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace SwapSeats.AppHost;

/// <summary>
/// On a first local run (no demo seller yet) creates a demo seller and a handful of listings through the public API,
/// so the marketplace is not empty. SWAPSEATS_SEED=false turns it off. Later runs find the seller and leave data alone.
/// </summary>
internal sealed partial class DemoSeeder(LocalTopology topology, ILogger<DemoSeeder> logger) : BackgroundService
{
    public const string Email = "demo-seller@swapseats.local";
    public const string Password = "swapseats-demo";

    private static readonly (string Title, decimal Price)[] Listings =
    [
        ("Coldplay, Wembley Stadium, block 112 row C", 145.00m),
        ("Champions League final, lower tier behind the goal", 420.00m),
        ("Hamilton, Victoria Palace Theatre, stalls", 89.50m),
        ("Glastonbury weekend ticket (resale, name change included)", 355.00m),
        ("Taylor Swift, Eras Tour, standing", 210.00m),
        ("Jazz at the Barbican, balcony seat", 32.00m),
    ];

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
            var credentials = new { email = Email, password = Password };
            var signUp = await http.PostAsJsonAsync("/api/users/signup", credentials, stoppingToken);
            if (signUp.StatusCode == HttpStatusCode.Conflict)
            {
                LogAlreadySeeded(logger, Email, Password);
                return;
            }

            signUp.EnsureSuccessStatusCode();
            foreach (var (title, price) in Listings)
            {
                (await http.PostAsJsonAsync("/api/tickets", new { title, price }, stoppingToken)).EnsureSuccessStatusCode();
            }

            LogSeeded(logger, Listings.Length, Email, Password);
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
