using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;

namespace SwapSeats.Testing;

/// <summary>
/// One SwapSeats service run as a real process (its built dll under `dotnet`), on a free port, as the AppHost runs it.
/// Used by the system tests, which also stop, kill and restart services to inject faults.
/// </summary>
public sealed class ServiceProcess(string project, IReadOnlyDictionary<string, string?> environment) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _output = new();
    private Process? _process;

    /// <summary>
    /// The process's own home directory, kept across restarts and removed with it. Like pods, two processes share no
    /// files: nothing (ASP.NET Core's default Data Protection key ring in ~/.aspnet, above all) passes between
    /// replicas through the disk behind the system's back.
    /// </summary>
    private readonly DirectoryInfo _home = OwnedHome();

    private static DirectoryInfo OwnedHome()
    {
        var home = Directory.CreateTempSubdirectory("swapseats-home-");
        // Removed even if this test process is killed, and the service with it (else it would outlive its owner).
        Leftovers.Own(home.FullName, Leftovers.StopProcessesAtHome(home.FullName));
        return home;
    }

    public int Port { get; } = ExternalProcess.FreePort();

    public string Project { get; } = project;

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string RecentOutput => string.Join('\n', _output.TakeLast(60));

    public async Task StartAsync(TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(DllPath(Project))!,
        };
        start.ArgumentList.Add(DllPath(Project));
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString();
        start.Environment["HOME"] = _home.FullName;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        // As the AppHost runs them locally: every process shares the cores.
        foreach (var (key, value) in SwapSeats.ServiceDefaults.CoLocatedRuntime.Environment)
        {
            start.Environment[key] = value;
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {Project}");
        _process.OutputDataReceived += (_, e) => Remember(e.Data);
        _process.ErrorDataReceived += (_, e) => Remember(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync(timeout ?? TimeSpan.FromSeconds(60));
    }

    private void Remember(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 200)
        {
            _output.TryDequeue(out _);
        }
    }

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process is { HasExited: true } exited)
            {
                // The output is read asynchronously: wait until its last lines (the reason it exited) have arrived.
                exited.WaitForExit();
                throw new InvalidOperationException($"{Project} exited with {exited.ExitCode}:\n{RecentOutput}");
            }

            try
            {
                if ((await http.GetAsync("/health/ready")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Project} was not ready within {timeout}:\n{RecentOutput}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The process id while it runs (the benchmark reads its CPU time).</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    /// <summary>The exit code once the process has ended.</summary>
    public int? ExitCode => _process is { HasExited: true } process ? process.ExitCode : null;

    /// <summary>Graceful stop (SIGTERM), as Kubernetes or Ctrl-C would do.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            await ExternalProcess.RunAsync("kill", ["-TERM", process.Id.ToString()]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(cts.Token);
        }
    }

    /// <summary>Abrupt death (SIGKILL), as a crash or an OOM kill would do.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _home.Delete(recursive: true);
        Leftovers.Released(_home.FullName);
    }

    /// <summary>The built dll of a src/ (or tools/) project, in the configuration these tests were built in.</summary>
    public static string DllPath(string project, string folder = "src")
    {
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), folder, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} first (dotnet build SwapSeats.slnx).", path);
    }

    public static string RepositoryRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "SwapSeats.slnx")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("Not inside the SwapSeats repository.");
        }

        return dir;
    }
}
