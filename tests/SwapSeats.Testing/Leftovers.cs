using System.Diagnostics;

namespace SwapSeats.Testing;

/// <summary>
/// Throwaway servers (PostgreSQL clusters, nats-server stores) outlive a test host that is killed: vstest ends a test
/// host without waiting long for its exit handlers, and a crash or a kill -9 runs none. So each server's directory is
/// <em>owned</em>: a file beside it names this process (pid and start time), and a watchdog in its own session waits
/// for this process to end, then stops the server and deletes the directory. The first server a test process starts
/// also sweeps what earlier processes left behind without a live owner (a server still running included).
/// </summary>
public static class Leftovers
{
    private static readonly string Prefix = Path.Combine(Path.GetTempPath(), "swapseats-");
    private static readonly Lazy<bool> Swept = new(SweepOnce);

    private static string Owner(int pid) => $"{pid} {StartTime(pid)}";

    private static string OwnerFile(string directory) => directory + ".owner";

    /// <summary>
    /// Marks <paramref name="directory"/> as this process's and arranges that, whenever this process ends, a shell runs
    /// <paramref name="stopCommand"/> (stopping the server) and deletes the directory.
    /// </summary>
    public static void Own(string directory, string stopCommand) => Own(directory, stopCommand, Environment.ProcessId);

    /// <summary>As <see cref="Own(string, string)"/>, for the process <paramref name="ownerPid"/> (tests of this class).</summary>
    public static void Own(string directory, string stopCommand, int ownerPid)
    {
        _ = Swept.Value;
        File.WriteAllText(OwnerFile(directory), Owner(ownerPid));
        var script = $"exec </dev/null >/dev/null 2>&1; tail --pid={ownerPid} -f /dev/null; " +
                     $"{stopCommand}; rm -rf '{directory}' '{OwnerFile(directory)}'";
        var start = new ProcessStartInfo("setsid", ["sh", "-c", script])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var watchdog = Process.Start(start);
    }

    /// <summary>The fixture cleaned up itself: nothing is left for a sweep to find.</summary>
    public static void Released(string directory) => File.Delete(OwnerFile(directory));

    /// <summary>The shell command that stops the PostgreSQL cluster in <paramref name="directory"/>, if it runs.</summary>
    public static string StopPostgres(string pgCtl, string directory) =>
        (ExternalProcess.IsRoot ? "runuser -u postgres -- " : "") + $"'{pgCtl}' -D '{directory}' -m immediate -w stop";

    /// <summary>
    /// The shell command that kills every process whose <c>HOME</c> is <paramref name="directory"/>: a service process
    /// (its home is its own), found by its environment, so a recycled pid is never hit.
    /// </summary>
    public static string StopProcessesAtHome(string directory) =>
        $"for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null | grep -qxF 'HOME={directory}' && kill -9 ${{p#/proc/}}; done";

    /// <summary>The shell command that kills the nats-server whose store is <paramref name="directory"/>.</summary>
    public static string StopNats(string directory) => $"pkill -9 -f -- '-sd {directory}$'";

    private static bool SweepOnce()
    {
        Sweep();
        return true;
    }

    /// <summary>Stops and deletes every throwaway server whose owner has ended (done once per process, at the first start).</summary>
    public static void Sweep()
    {
        foreach (var directory in Directory.GetDirectories(Path.GetTempPath(), "swapseats-*"))
        {
            if (!new[] { "pg-", "nats-", "home-", "pod-" }.Any(kind => directory.StartsWith(Prefix + kind, StringComparison.Ordinal)))
            {
                continue;
            }

            var ownerFile = OwnerFile(directory);
            var orphan = File.Exists(ownerFile)
                ? !OwnerAlive(File.ReadAllText(ownerFile).Trim())
                // Left by fixtures that wrote no owner file yet (the owner file is written before the server starts).
                : Directory.GetLastWriteTimeUtc(directory) < DateTime.UtcNow.AddMinutes(-1);
            if (!orphan)
            {
                continue;
            }

            try
            {
                if (directory.StartsWith(Prefix + "pg-", StringComparison.Ordinal))
                {
                    if (File.Exists(Path.Combine(directory, "postmaster.pid")))
                    {
                        RunQuietly("sh", ["-c", StopPostgres(PostgresServer.PgCtl, directory)]);
                    }
                }
                else
                {
                    RunQuietly("sh", ["-c", StopNats(directory)]);
                }

                PostgresServer.DeleteDirectory(directory);
                File.Delete(ownerFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                // Another sweeper got there first, or it is not ours to delete: leave it.
            }
        }
    }

    private static bool OwnerAlive(string owner)
    {
        var pid = int.TryParse(owner.Split(' ')[0], out var parsed) ? parsed : 0;
        return pid > 0 && Owner(pid) == owner;
    }

    // Field 22 of /proc/<pid>/stat: when the process started, so a reused pid is not mistaken for the owner.
    private static string StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
        }
        catch (IOException)
        {
            return "gone";
        }
    }

    private static void RunQuietly(string fileName, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        process.WaitForExit(TimeSpan.FromSeconds(30));
    }
}
