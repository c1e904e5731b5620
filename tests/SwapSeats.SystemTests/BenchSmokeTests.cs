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
    }
}
