namespace SwapSeats.Bench;

/// <summary>Latency samples in milliseconds, with when each was taken (seconds since the scenario began).</summary>
public sealed class Samples
{
    private readonly List<(double At, double Ms)> _samples = [];
    private readonly Lock _lock = new();

    public void Add(double at, double ms)
    {
        lock (_lock)
        {
            _samples.Add((at, ms));
        }
    }

    public IReadOnlyList<(double At, double Ms)> All
    {
        get
        {
            lock (_lock)
            {
                return [.. _samples];
            }
        }
    }

    public int Count => All.Count;

    public double Percentile(double p)
    {
        var sorted = All.Select(s => s.Ms).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public double Max => All.Count == 0 ? double.NaN : All.Max(s => s.Ms);

    public Dictionary<string, double> Summary() => new()
    {
        ["count"] = Count, ["p50"] = Math.Round(Percentile(50), 1), ["p95"] = Math.Round(Percentile(95), 1),
        ["p99"] = Math.Round(Percentile(99), 1), ["max"] = Math.Round(Max, 1),
    };
}
