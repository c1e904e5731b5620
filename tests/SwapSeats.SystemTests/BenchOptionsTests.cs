using SwapSeats.Bench;

namespace SwapSeats.SystemTests;

/// <summary>./bench.sh's arguments: an option it does not know is refused, never ignored (ignored, it ran the whole
/// benchmark for minutes when asked for --help).</summary>
public sealed class BenchOptionsTests
{
    [Fact]
    public void Known_options_are_read_and_anything_else_is_refused()
    {
        var options = BenchOptions.Parse(["--smoke", "--buyers", "10", "--rates", "5,10", "--only", "race"]);
        Assert.Equal(10, options.RaceBuyers);
        Assert.Equal([5, 10], options.OpenRates);
        Assert.Equal(["race"], options.Only);
        Assert.Equal(BenchOptions.Smoke.ThroughputDuration, options.ThroughputDuration);

        Assert.Contains("unknown option --help", Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--help"])).Message);
        Assert.Contains("unknown option --buyer", Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--buyer", "10"])).Message);
        Assert.Contains("--seconds needs a value", Assert.Throws<ArgumentException>(() => BenchOptions.Parse(["--seconds"])).Message);
        Assert.Throws<FormatException>(() => BenchOptions.Parse(["--buyers", "many"]));
    }
}
