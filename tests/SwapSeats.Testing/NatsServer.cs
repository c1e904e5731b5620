using System.Diagnostics;

namespace SwapSeats.Testing;

/// <summary>
/// A nats-server with JetStream on a free port and a temporary store directory. One is shared per test process;
/// tests that stop, pause or restart the server start their own with <see cref="StartNewAsync"/>.
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private static readonly Lazy<Task<NatsServer>> Shared = new(() => StartNewAsync());

    private readonly string _storeDir;
    private Process? _process;

    private NatsServer(int port, string storeDir)
    {
        Port = port;
        _storeDir = storeDir;
    }

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>The server's process id while it runs (the benchmark reads its CPU time).</summary>
    public int? ProcessId => _process is { HasExited: false } process ? process.Id : null;

    public static Task<NatsServer> SharedAsync() => Shared.Value;

    public static async Task<NatsServer> StartNewAsync()
    {
        var server = new NatsServer(ExternalProcess.FreePort(), Path.Combine(Path.GetTempPath(), $"swapseats-nats-{Guid.NewGuid():N}"));
        Leftovers.Own(server._storeDir, Leftovers.StopNats(server._storeDir));
        await server.StartAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }

    /// <summary>Starts (or starts again, after <see cref="StopAsync"/>) on the same port and store.</summary>
    public async Task StartAsync()
    {
        var start = new ProcessStartInfo(ExternalProcess.FindBinary("nats-server"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["-js", "-a", "127.0.0.1", "-p", Port.ToString(), "-sd", _storeDir])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start nats-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var process = _process;
        await ExternalProcess.WaitForPortAsync(Port, TimeSpan.FromSeconds(30), () => !process.HasExited);
        if (process.HasExited)
        {
            throw new InvalidOperationException($"nats-server exited with {process.ExitCode} on start");
        }

        await WaitForJetStreamAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The port opens before JetStream answers: until it does, a stream or consumer request gets no responder and times
    /// out (seen in CI as NatsJSApiNoResponseException). Ready means an account-info request has been answered.
    /// </summary>
    private async Task WaitForJetStreamAsync(TimeSpan timeout)
    {
        await using var connection = new NATS.Client.Core.NatsConnection(new NATS.Client.Core.NatsOpts { Url = Url, RequestTimeout = TimeSpan.FromSeconds(1) });
        var jetStream = new NATS.Client.JetStream.NatsJSContext(connection);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                await jetStream.GetAccountInfoAsync();
                return;
            }
            catch (Exception ex) when (DateTime.UtcNow < deadline && ex is NATS.Client.Core.NatsException or TimeoutException or OperationCanceledException)
            {
                await Task.Delay(50);
            }
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process = null;
    }

    /// <summary>Freezes the server (SIGSTOP): connections stay open but nothing answers, like a hung host.</summary>
    public Task PauseAsync() => SignalAsync("STOP");

    public Task ResumeAsync() => SignalAsync("CONT");

    private Task SignalAsync(string signal) =>
        _process is { HasExited: false } process
            ? ExternalProcess.RunAsync("kill", [$"-{signal}", process.Id.ToString()])
            : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await ResumeAsync();
        await StopAsync();
        PostgresServer.DeleteDirectory(_storeDir);
        Leftovers.Released(_storeDir);
    }
}
