using Npgsql;

namespace SwapSeats.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb into a temporary directory, started on a free port, stopped and deleted
/// when the test process exits. One per test process (<see cref="SharedAsync"/>); each test class makes its own database.
/// PostgreSQL refuses to run as root, so as root the cluster belongs to the 'postgres' user.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartAsync());
    private static readonly string[] BinaryFallbacks = Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").OrderDescending().Select(d => Path.Combine(d, "bin")).ToArray()
        : [];

    /// <summary>pg_ctl of the newest PostgreSQL installed.</summary>
    internal static string PgCtl => ExternalProcess.FindBinary("pg_ctl", BinaryFallbacks);

    private readonly string _dataDir;
    private readonly string _pgCtl;
    private readonly bool _durable;
    private int _stopped;

    private PostgresServer(string dataDir, int port, string pgCtl, bool durable)
    {
        _dataDir = dataDir;
        Port = port;
        _pgCtl = pgCtl;
        _durable = durable;
    }

    public int Port { get; }

    public static Task<PostgresServer> SharedAsync() => Shared.Value;

    /// <summary>The postmaster's process id (its first line of postmaster.pid); its children are the backends.</summary>
    public int? ProcessId =>
        File.Exists(Path.Combine(_dataDir, "postmaster.pid")) && int.TryParse(File.ReadLines(Path.Combine(_dataDir, "postmaster.pid")).First(), out var pid)
            ? pid
            : null;

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Include Error Detail=true";

    /// <summary>Creates an empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <param name="durable">Commit as production does (synchronous_commit on), for tests that crash the server and
    /// check that nothing committed is lost; the default trades that for speed.</param>
    public static async Task<PostgresServer> StartAsync(bool durable = false)
    {
        var initdb = ExternalProcess.FindBinary("initdb", BinaryFallbacks);
        var pgCtl = PgCtl;
        var dataDir = Path.Combine(Path.GetTempPath(), $"swapseats-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDir);
        // Stopped and deleted when this process ends, however it ends (see Leftovers).
        Leftovers.Own(dataDir, Leftovers.StopPostgres(pgCtl, dataDir));
        if (ExternalProcess.IsRoot)
        {
            await ExternalProcess.RunAsync("chown", ["postgres:postgres", dataDir]);
        }

        var server = new PostgresServer(dataDir, ExternalProcess.FreePort(), pgCtl, durable);
        await AsPostgresAsync(initdb, ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        await server.StartProcessAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.StopAndDeleteAsync().GetAwaiter().GetResult();
        return server;
    }

    private Task StartProcessAsync() => AsPostgresAsync(_pgCtl,
    [
        "-D", _dataDir, "-l", Path.Combine(_dataDir, "server.log"), "-w", "-t", "60", "start",
        "-o", $"-p {Port} -k {_dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
              (_durable ? "-c synchronous_commit=on " : "") + "-c full_page_writes=off -c max_connections=400 " +
              // Statement counts per database, for the benchmark's cost accounting (loaded, but idle unless queried).
              "-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all",
    ]);

    /// <summary>Stops the server abruptly (as a crash would) and starts it again on the same port and data.</summary>
    public async Task RestartAsync()
    {
        await CrashAsync();
        await StartProcessAsync();
    }

    /// <summary>Stops the server abruptly, as a crash would; <see cref="StartAgainAsync"/> brings it back.</summary>
    public Task CrashAsync() => AsPostgresAsync(_pgCtl, ["-D", _dataDir, "-m", "immediate", "-w", "stop"]);

    public Task StartAgainAsync() => StartProcessAsync();

    /// <summary>Stops the server and deletes its data: a test that started its own server calls this when done.</summary>
    public async Task StopAndDeleteAsync()
    {
        // Once: a test's own call and the process-exit hook may both come.
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        try
        {
            await AsPostgresAsync(_pgCtl, ["-D", _dataDir, "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            DeleteDirectory(_dataDir);
            Leftovers.Released(_dataDir);
        }
    }

    internal static void DeleteDirectory(string path)
    {
        // The server may still be removing its own files as it exits; a second pass finds a quiet directory.
        for (var attempt = 1; Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                Thread.Sleep(100);
            }
        }
    }

    private static Task AsPostgresAsync(string binary, IEnumerable<string> arguments) =>
        ExternalProcess.IsRoot
            ? ExternalProcess.RunAsync("runuser", ["-u", "postgres", "--", binary, .. arguments])
            : ExternalProcess.RunAsync(binary, arguments);
}
