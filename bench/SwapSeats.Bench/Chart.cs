using System.Globalization;
using System.Text;

namespace SwapSeats.Bench;

/// <summary>Latency of each purchase (reserve + pay) over the throughput run, as a dependency-free SVG scatter plot.</summary>
public static class Chart
{
    public static string Svg(Samples samples)
    {
        const int width = 800, height = 360, left = 60, bottom = 40, top = 20, right = 20;
        var points = samples.All;
        var maxX = Math.Max(1, points.Count == 0 ? 1 : points.Max(p => p.At));
        var maxY = Math.Max(1, samples.Percentile(99.9) * 1.1);
        string X(double v) => (left + v / maxX * (width - left - right)).ToString("F1", CultureInfo.InvariantCulture);
        string Y(double v) => (height - bottom - Math.Min(v, maxY) / maxY * (height - top - bottom)).ToString("F1", CultureInfo.InvariantCulture);
        var svg = new StringBuilder($"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">""");
        svg.Append($"""<rect width="{width}" height="{height}" fill="white"/>""");
        svg.Append($"""<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>""");
        svg.Append($"""<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>""");
        svg.Append($"""<text x="{width / 2}" y="{height - 8}" text-anchor="middle">seconds into the run</text>""");
        svg.Append($"""<text x="14" y="{height / 2}" transform="rotate(-90 14 {height / 2})" text-anchor="middle">reserve + pay, ms</text>""");
        for (var i = 0; i <= 4; i++)
        {
            var v = maxY * i / 4;
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{left - 6}" y="{Y(v)}" text-anchor="end">{v:F0}</text>""");
        }

        foreach (var (at, ms) in points)
        {
            svg.Append($"""<circle cx="{X(at)}" cy="{Y(ms)}" r="1.5" fill="#0b6bcb" fill-opacity="0.5"/>""");
        }

        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{width - right}" y="{top + 4}" text-anchor="end">p50 {samples.Percentile(50):F0} ms · p99 {samples.Percentile(99):F0} ms · n={points.Count}</text>""");
        return svg.Append("</svg>").ToString();
    }
}
