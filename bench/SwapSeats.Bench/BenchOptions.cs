namespace SwapSeats.Bench;

public sealed record BenchOptions
{
    public int RaceBuyers { get; init; } = 1000;

    public int Concurrency { get; init; } = 16;

    public TimeSpan ThroughputDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The open model's arrival rates (purchases per second), tried in order until latency breaks.</summary>
    public int[] OpenRates { get; init; } = [25, 50, 100, 200, 300, 400];

    public TimeSpan OpenStepDuration { get; init; } = TimeSpan.FromSeconds(10);

    public int PropagationSamples { get; init; } = 200;

    public int ExpiringOrders { get; init; } = 50;

    /// <summary>The reservation window the system runs with, so expiring orders run out during the run.</summary>
    public TimeSpan ReservationWindow { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan CeilingDuration { get; init; } = TimeSpan.FromSeconds(5);

    public string OutputDirectory { get; init; } = "artifacts/bench";

    /// <summary>Where to write the Markdown write-up (docs/benchmarks.md from ./bench.sh), with its baseline and notes.</summary>
    public string? DocPath { get; init; }

    public string? BaselinePath { get; init; }

    public string? NotesPath { get; init; }

    /// <summary>Only these scenarios (race, throughput, open, propagation, expiration, search, ceilings); all when empty.</summary>
    public string[] Only { get; init; } = [];

    public bool Runs(string scenario) => Only.Length == 0 || Only.Contains(scenario);

    /// <summary>Render the write-up from this report.json instead of running the scenarios.</summary>
    public string? FromReport { get; init; }

    /// <summary>After the main run, the race and the closed loop again with this many replicas of every service (1: not).</summary>
    public int CompareReplicas { get; init; } = 2;

    /// <summary>A smoke run: a short warm-up and a small search table as well.</summary>
    public bool IsSmoke { get; init; }

    /// <summary>A few seconds in all: what ./test.sh runs to keep the benchmark working.</summary>
    public static BenchOptions Smoke => new()
    {
        IsSmoke = true,
        RaceBuyers = 30, Concurrency = 4, ThroughputDuration = TimeSpan.FromSeconds(2), OpenRates = [10], OpenStepDuration = TimeSpan.FromSeconds(2), PropagationSamples = 5, ExpiringOrders = 5,
        ReservationWindow = TimeSpan.FromSeconds(3), CeilingDuration = TimeSpan.FromSeconds(1), CompareReplicas = 1,
    };

    public const string Usage = """
        usage: ./bench.sh [--smoke] [--buyers N] [--concurrency C] [--seconds T] [--rates 25,50,...] [--step-seconds S]
                          [--expiring K] [--replicas N] [--only race,throughput,...] [--out DIR]
                          [--doc FILE --baseline FILE --notes FILE] [--from artifacts/bench/report.json]
        """;

    private static readonly HashSet<string> Valued =
        ["--buyers", "--concurrency", "--seconds", "--expiring", "--rates", "--step-seconds", "--doc", "--baseline", "--notes", "--only", "--from", "--out", "--replicas"];

    /// <summary>The options of <paramref name="args"/>; an unknown option (--help too) is refused, never ignored: a
    /// benchmark that starts when asked for its usage loads the machine for minutes.</summary>
    public static BenchOptions Parse(string[] args)
    {
        var options = args.Contains("--smoke") ? Smoke : new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--smoke")
            {
                continue;
            }

            if (!Valued.Contains(args[i]) || i + 1 >= args.Length)
            {
                throw new ArgumentException(Valued.Contains(args[i]) ? $"{args[i]} needs a value" : $"unknown option {args[i]}");
            }

            var value = args[++i];
            options = args[i - 1] switch
            {
                "--buyers" => options with { RaceBuyers = int.Parse(value) },
                "--concurrency" => options with { Concurrency = int.Parse(value) },
                "--seconds" => options with { ThroughputDuration = TimeSpan.FromSeconds(double.Parse(value)) },
                "--expiring" => options with { ExpiringOrders = int.Parse(value) },
                "--rates" => options with { OpenRates = value.Split(',').Select(int.Parse).ToArray() },
                "--step-seconds" => options with { OpenStepDuration = TimeSpan.FromSeconds(double.Parse(value)) },
                "--doc" => options with { DocPath = value },
                "--baseline" => options with { BaselinePath = value },
                "--notes" => options with { NotesPath = value },
                "--only" => options with { Only = value.Split(','), CompareReplicas = 1 },
                "--from" => options with { FromReport = value },
                "--out" => options with { OutputDirectory = value },
                "--replicas" => options with { CompareReplicas = int.Parse(value) },
                _ => throw new InvalidOperationException(args[i - 1]),
            };
        }

        return options;
    }
}
