using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SwapSeats.Bench;
using SwapSeats.Testing;

// Starts a throwaway system (its own PostgreSQL, nats-server, every service and the gateway, as the tests do),
// runs the scenarios through the gateway and writes report.md, report.json and latency.svg.
if (args.Any(a => a is "--help" or "-h"))
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"{e.Message}\n{BenchOptions.Usage}");
    return 2;
}

if (options.FromReport is not null)
{
    // Re-render the write-up from a finished run's report (e.g. after editing the notes), without running anything.
    await WriteDocAsync(await File.ReadAllTextAsync(options.FromReport), options.DocPath ?? "docs/benchmarks.md");
    return 0;
}

var started = DateTimeOffset.UtcNow;
Samples? timeline = null; // the one-replica run's closed loop, charted
Console.WriteLine($"Starting a system with a {options.ReservationWindow.TotalSeconds:F0} s reservation window ...");
var report = await RunOnAsync(new BenchSystem(options.ReservationWindow, replicas: 1), options);
var ok = Winners(report, "race") is null or 1 && Winners(report, "warmup") is 1 && Hold(report);
if (options.CompareReplicas > 1)
{
    // The same race and closed loop against N processes of every service (SWAPSEATS_REPLICAS=N), on a fresh system:
    // on these two cores the point is what coordination costs, not a speed-up.
    Console.WriteLine($"Starting a system with {options.CompareReplicas} replicas of every service ...");
    var replicated = await RunOnAsync(new BenchSystem(options.ReservationWindow, options.CompareReplicas), options with { Only = ["race", "throughput"] });
    foreach (var (key, value) in replicated.Where(r => r.Key.StartsWith("race.", StringComparison.Ordinal) || r.Key.StartsWith("throughput.", StringComparison.Ordinal)
                                                       || r.Key.StartsWith("warmup.", StringComparison.Ordinal)))
    {
        report[$"replicas.{key}"] = value;
    }

    report["replicas.count"] = options.CompareReplicas;
    ok &= Winners(replicated, "race") is 1 && Winners(replicated, "warmup") is 1 && Hold(replicated);
}

Directory.CreateDirectory(options.OutputDirectory);
var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, " +
              $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}";
report["machine"] = machine;
report["startedAt"] = started.ToString("u", CultureInfo.InvariantCulture);
var reportJson = JsonSerializer.Serialize(report,
    new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.json"), reportJson);
if (options.DocPath is not null)
{
    await WriteDocAsync(reportJson, options.DocPath);
    await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(options.DocPath)!, "benchmark-latency.svg"), Chart.Svg(timeline!));
    Console.WriteLine($"Write-up: {options.DocPath}");
}

await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "latency.svg"), Chart.Svg(timeline!));
await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.md"), Markdown(report));
Console.WriteLine($"Report: {Path.GetFullPath(options.OutputDirectory)}/report.md");
return ok ? 0 : 1;

static object? Winners(Dictionary<string, object> report, string scenario) => report.GetValueOrDefault($"{scenario}.winners");

static bool Hold(Dictionary<string, object> report) =>
    report.Where(r => r.Key.EndsWith(".invariants", StringComparison.Ordinal)).All(r => (string)r.Value == "hold");

// One system, started, measured and stopped before the next one starts (both would share the two cores).
async Task<Dictionary<string, object>> RunOnAsync(BenchSystem system, BenchOptions runOptions)
{
    await system.InitializeAsync();
    try
    {
        var bench = new Bench(system, runOptions, Console.Out);
        await bench.RunAsync();
        timeline ??= bench.ThroughputTimeline;
        return bench.Report;
    }
    finally
    {
        await system.DisposeAsync();
    }
}

// The write-up: a report beside the baseline report and the hand-written notes, when they exist.
async Task WriteDocAsync(string reportJson, string path)
{
    using var now = JsonDocument.Parse(reportJson);
    using var before = options.BaselinePath is not null && File.Exists(options.BaselinePath) ? JsonDocument.Parse(await File.ReadAllTextAsync(options.BaselinePath)) : null;
    var notes = options.NotesPath is not null && File.Exists(options.NotesPath) ? await File.ReadAllTextAsync(options.NotesPath) : "";
    await File.WriteAllTextAsync(path, BenchDoc.Render(now.RootElement, before?.RootElement, notes, options));
}

static string Markdown(Dictionary<string, object> report)
{
    var md = new StringBuilder("| Figure | Value |\n|---|---|\n");
    foreach (var (key, value) in report)
    {
        var text = value is string s ? s : JsonSerializer.Serialize(value, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
        md.Append(CultureInfo.InvariantCulture, $"| {key} | {text.Replace("|", "\\|", StringComparison.Ordinal)} |\n");
    }

    return md.ToString();
}

internal sealed class BenchSystem(TimeSpan reservationWindow, int replicas) : SwapSeatsSystem
{
    public override int Replicas => replicas;

    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Orders:ReservationWindow"] = reservationWindow.ToString(),
        ["Logging:LogLevel:Default"] = "Warning",
    };
}
