using SwapSeats.Bench;
using SwapSeats.Testing;

namespace SwapSeats.SystemTests;

/// <summary>The benchmark's scenarios in miniature, so they keep working; the figures themselves are not asserted.</summary>
[Collection(ShortWindowCollection.Name)]
public sealed class BenchSmokeTests(ShortWindowSystem system)
{
    [Fact]
    public async Task The_benchmark_runs_every_scenario_and_the_race_has_exactly_one_winner()
    {
        var options = BenchOptions.Smoke with { ReservationWindow = ShortWindowSystem.ReservationWindow };
        var bench = new Bench.Bench(system, options, TextWriter.Null);

        await bench.RunAsync();

        Assert.Equal(1, bench.Report["race.winners"]);
        Assert.All(bench.Report.Where(r => r.Key.EndsWith(".invariants", StringComparison.Ordinal)), r => Assert.Equal("hold", r.Value));
        Assert.Equal(0, bench.Report["expiration.notCancelled"]);
        Assert.True((int)bench.Report["throughput.purchases"] > 0);
        var step = Assert.Single((List<Dictionary<string, object>>)bench.Report["open.steps"]);
        Assert.True((int)step["purchases"] > 0);
        Assert.Equal(0, step["errors"]);
        // The cost accounting read real processes and databases: every service spent CPU, orders ran statements.
        var cost = (Dictionary<string, object>)bench.Report["throughput.cost"];
        Assert.All(((Dictionary<string, double>)cost["cpuMsPerPurchase"]).Where(p => p.Key is "tickets" or "orders" or "payments" or "postgres"), p => Assert.True(p.Value > 0, p.Key));
        Assert.True(((Dictionary<string, double>)cost["statementsPerPurchase"])["orders"] > 0);
    }
}
