using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using SwapSeats.Bench;
using SwapSeats.Testing;

// Starts a throwaway system (its own PostgreSQL, nats-server, every service and the gateway, as the tests do),
// runs the scenarios through the gateway and writes report.md, report.json and latency.svg.
var options = BenchOptions.Parse(args);
if (options.FromReport is not null)
{
    // Re-render the write-up from a finished run's report (e.g. after editing the notes), without running anything.
    await WriteDocAsync(await File.ReadAllTextAsync(options.FromReport), options.DocPath ?? "docs/benchmarks.md");
    return 0;
}

var started = DateTimeOffset.UtcNow;
Console.WriteLine($"Starting a system with a {options.ReservationWindow.TotalSeconds:F0} s reservation window ...");
var system = new BenchSystem(options.ReservationWindow);
await system.InitializeAsync();
try
{
    var bench = new Bench(system, options, Console.Out);
    await bench.RunAsync();
    Directory.CreateDirectory(options.OutputDirectory);
    var machine = $"{Environment.ProcessorCount} cores, {GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1L << 30)} GiB, " +
                  $"{RuntimeInformation.OSDescription}, .NET {Environment.Version}";
    bench.Report["machine"] = machine;
    bench.Report["startedAt"] = started.ToString("u", CultureInfo.InvariantCulture);
    var reportJson = JsonSerializer.Serialize(bench.Report,
        new JsonSerializerOptions { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals });
    await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.json"), reportJson);
    if (options.DocPath is not null)
    {
        await WriteDocAsync(reportJson, options.DocPath);
        await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(options.DocPath)!, "benchmark-latency.svg"), Chart.Svg(bench.ThroughputTimeline));
        Console.WriteLine($"Write-up: {options.DocPath}");
    }

    await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "latency.svg"), Chart.Svg(bench.ThroughputTimeline));
    await File.WriteAllTextAsync(Path.Combine(options.OutputDirectory, "report.md"), Markdown(bench.Report));
    Console.WriteLine($"Report: {Path.GetFullPath(options.OutputDirectory)}/report.md");
    var ok = bench.Report.GetValueOrDefault("race.winners", 1) is 1 && bench.Report["warmup.winners"] is 1 && bench.Report.Where(r => r.Key.EndsWith(".invariants", StringComparison.Ordinal)).All(r => (string)r.Value == "hold");
    return ok ? 0 : 1;
}
finally
{
    await system.DisposeAsync();
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

internal sealed class BenchSystem(TimeSpan reservationWindow) : SwapSeatsSystem
{
    protected override Dictionary<string, string?> Settings() => new()
    {
        ["Orders:ReservationWindow"] = reservationWindow.ToString(),
        ["Logging:LogLevel:Default"] = "Warning",
    };
}
