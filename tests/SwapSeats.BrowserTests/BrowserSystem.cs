using Microsoft.Playwright;
using SwapSeats.Testing;

namespace SwapSeats.BrowserTests;

/// <summary>
/// The whole system behind the gateway, and Debian's Chromium driven by Playwright. Two replicas of every service: the
/// gateway alternates between the web UI's two processes, so a form is often rendered by one and posted to the other.
/// </summary>
public sealed class BrowserSystem : SwapSeatsSystem
{
    public override int Replicas => 2;

    private IPlaywright? _playwright;

    public IBrowser Chromium { get; private set; } = null!;

    /// <summary>artifacts/screenshots/ at the repository root (not committed; CI keeps it).</summary>
    public static string ScreenshotDirectory { get; } = Path.Combine(ServiceProcess.RepositoryRoot(), "artifacts", "screenshots");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Environment.GetEnvironmentVariable("SWAPSEATS_CHROMIUM") ?? "/usr/bin/chromium",
            Headless = true,
            // Chromium's sandbox refuses to run as root, which is what CI containers are.
            Args = ["--no-sandbox"],
        });
        Directory.CreateDirectory(ScreenshotDirectory);
    }

    /// <summary>A fresh browser profile (its own cookies) on the public origin, like one person.</summary>
    public async Task<IPage> NewPersonAsync(int width = 1200, int height = 850)
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Gateway.BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout(20_000);
        return await context.NewPageAsync();
    }

    /// <summary>Retries a check that depends on another service's event having arrived, until it passes or time runs out.</summary>
    public static async Task EventuallyAsync(Func<Task> check, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            try
            {
                await check();
                return;
            }
            catch (PlaywrightException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    public static Task ScreenshotAsync(IPage page, string name) =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotDirectory, name + ".png"), FullPage = true });

    public override async Task DisposeAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.DisposeAsync();
        }

        _playwright?.Dispose();
        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserSystem>
{
    public const string Name = "browser";
}
