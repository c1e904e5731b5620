using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace SwapSeats.Testing;

/// <summary>Small helpers for the real servers the tests start: finding binaries, free ports, running commands.</summary>
public static class ExternalProcess
{
    public static bool IsRoot => Environment.UserName == "root" || geteuid() == 0;

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern uint geteuid();

    private static readonly HashSet<int> Given = [];

    /// <summary>A port nobody listens on, and never one this test process handed out before (a system has 15 processes).</summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            lock (Given)
            {
                if (Given.Add(port))
                {
                    return port;
                }
            }
        }
    }

    /// <summary>Finds a program on PATH, or in the given fallback directories (e.g. /usr/lib/postgresql/15/bin).</summary>
    public static string FindBinary(string name, params IEnumerable<string> fallbackDirectories)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(fallbackDirectories))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            $"'{name}' was not found on PATH. Install it (./test.sh does: apt-get install -y nats-server postgresql) and run again.");
    }

    public static async Task RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var (exitCode, output) = await RunForOutputAsync(fileName, arguments, timeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} exited with {exitCode}: {output}");
        }
    }

    /// <summary>Runs a program to its end: its exit code, and what it wrote (standard output, then standard error).</summary>
    public static async Task<(int ExitCode, string Output)> RunForOutputAsync(string fileName, IEnumerable<string> arguments, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout + await stderr);
    }

    public static async Task WaitForPortAsync(int port, TimeSpan timeout, Func<bool>? stillRunning = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && (stillRunning?.Invoke() ?? true))
            {
                await Task.Delay(25);
            }
        }
    }
}
