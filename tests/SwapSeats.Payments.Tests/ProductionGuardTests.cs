using SwapSeats.Testing;

namespace SwapSeats.Payments.Tests;

/// <summary>A production deployment that forgot its Stripe settings must not start and sell tickets for fake payments.</summary>
public sealed class ProductionGuardTests
{
    private static async Task<Dictionary<string, string?>> SettingsAsync(string environment, string provider)
    {
        var postgres = await PostgresServer.SharedAsync();
        var nats = await NatsServer.SharedAsync();
        var settings = SessionKeys.Settings();
        settings["ASPNETCORE_ENVIRONMENT"] = environment;
        settings["ConnectionStrings:payments"] = await postgres.CreateDatabaseAsync("payments_guard");
        settings["ConnectionStrings:nats"] = nats.Url;
        settings["Database:MigrateOnStartup"] = "true";
        settings["Payments:Provider"] = provider;
        return settings;
    }

    [Fact]
    public async Task In_production_the_local_provider_refuses_to_start_unless_allowed_by_name()
    {
        await using var refused = new ServiceProcess("SwapSeats.Payments", await SettingsAsync("Production", "local"));
        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => refused.StartAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("Payments:Provider is 'local' (no real payments) in Production", failure.Message);
        Assert.NotEqual(0, refused.ExitCode);

        var allowed = await SettingsAsync("Production", "local");
        allowed["Payments:AllowLocalProvider"] = "true";
        await using var staging = new ServiceProcess("SwapSeats.Payments", allowed);
        await staging.StartAsync(TimeSpan.FromSeconds(60));

        // Outside Production (./run.sh, the tests) the local provider needs no permission.
        await using var development = new ServiceProcess("SwapSeats.Payments", await SettingsAsync("Development", "local"));
        await development.StartAsync(TimeSpan.FromSeconds(60));
    }
}
