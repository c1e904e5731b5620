using System.Globalization;
using Npgsql;
using SwapSeats.Testing;

namespace SwapSeats.Bench;

/// <summary>
/// What a scenario cost, per process: CPU time and context switches from <c>/proc/&lt;pid&gt;</c> (PostgreSQL counted as
/// the postmaster, its live backends and the children it reaped), and per database the statements
/// (<c>pg_stat_statements</c>) and committed transactions (<c>pg_stat_database</c>). Read once at the start and once at
/// the end of a window, so measuring adds nothing while the load runs.
/// </summary>
public sealed class CostMeter(SwapSeatsSystem system, params ReplicaWatch[] watches)
{
    private static readonly double MsPerTick = 1000.0 / 100; // USER_HZ is 100 on Linux

    public sealed record Snapshot(Dictionary<string, (double CpuMs, long Switches)> Processes, Dictionary<string, (long Statements, long Commits)> Databases);

    public const string LoadGenerator = "load generator";

    /// <summary>CPU time and context switches so far of every process of the system under test, and the load generator.</summary>
    public Dictionary<string, (double CpuMs, long Switches)> Processes()
    {
        var processes = new Dictionary<string, (double, long)>();
        foreach (var (name, service) in system.Services)
        {
            if (service.ProcessId is { } pid)
            {
                processes[name] = Read(pid, withChildren: false);
            }
        }

        if (system.Nats.ProcessId is { } nats)
        {
            processes["nats-server"] = Read(nats, withChildren: false);
        }

        if (system.Postgres.ProcessId is { } postmaster)
        {
            processes["postgres"] = Read(postmaster, withChildren: true);
        }

        processes[LoadGenerator] = Read(Environment.ProcessId, withChildren: false);
        return processes;
    }

    /// <summary>CPU milliseconds the system under test (every process but the load generator) has used so far.</summary>
    public double SystemCpuMs() => Processes().Where(p => p.Key != LoadGenerator).Sum(p => p.Value.CpuMs);

    public async Task<Snapshot> TakeAsync()
    {
        var processes = Processes();
        var databases = new Dictionary<string, (long, long)>();
        await using var connection = new NpgsqlConnection(system.Postgres.ConnectionString("postgres"));
        await connection.OpenAsync();
        await new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", connection).ExecuteNonQueryAsync();
        await using var query = new NpgsqlCommand(
            """
            SELECT d.datname, d.xact_commit,
                   COALESCE((SELECT sum(s.calls) FROM pg_stat_statements s WHERE s.dbid = d.datid AND s.query NOT LIKE '%/* bench watch */%'), 0)::bigint
            FROM pg_stat_database d WHERE d.datname IS NOT NULL
            """, connection);
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            var service = system.Databases.FirstOrDefault(db => db.Value.Contains($"Database={rows.GetString(0)};", StringComparison.Ordinal)).Key;
            if (service is not null)
            {
                // The benchmark's own replica polls are one implicit transaction each: not the system's cost.
                var polls = watches.Where(w => w.Service == service).Sum(w => w.Queries);
                databases[service] = (rows.GetInt64(2), rows.GetInt64(1) - polls);
            }
        }

        return new Snapshot(processes, databases);
    }

    /// <summary>Forgets the statement statistics, so <see cref="TopStatementsAsync"/> reports only what follows.</summary>
    public async Task ResetStatementsAsync()
    {
        await using var connection = new NpgsqlConnection(system.Postgres.ConnectionString("postgres"));
        await connection.OpenAsync();
        await new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()", connection).ExecuteNonQueryAsync();
    }

    /// <summary>Per service database, the statements run most often since the reset, as calls per purchase.</summary>
    public async Task<Dictionary<string, List<string>>> TopStatementsAsync(int purchases, int top = 8)
    {
        var result = new Dictionary<string, List<string>>();
        await using var connection = new NpgsqlConnection(system.Postgres.ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            """
            SELECT d.datname, s.calls, left(regexp_replace(s.query, '\s+', ' ', 'g'), 140)
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE s.query NOT LIKE '%/* bench watch */%'
            ORDER BY s.calls DESC
            """, connection);
        await using var rows = await query.ExecuteReaderAsync();
        while (await rows.ReadAsync())
        {
            var service = system.Databases.FirstOrDefault(db => db.Value.Contains($"Database={rows.GetString(0)};", StringComparison.Ordinal)).Key;
            if (service is null)
            {
                continue;
            }

            var list = result.TryGetValue(service, out var l) ? l : result[service] = [];
            if (list.Count < top)
            {
                list.Add($"{rows.GetInt64(1) / (double)Math.Max(1, purchases):0.0} × {rows.GetString(2)}");
            }
        }

        return result;
    }

    /// <summary>The cost between two snapshots divided by <paramref name="purchases"/>: a row per process and database.</summary>
    public static Dictionary<string, object> PerPurchase(Snapshot before, Snapshot after, int purchases, TimeSpan elapsed)
    {
        var n = Math.Max(1, purchases);
        var cpu = new Dictionary<string, double>();
        var switches = new Dictionary<string, double>();
        foreach (var (name, end) in after.Processes)
        {
            var start = before.Processes.GetValueOrDefault(name);
            cpu[name] = Math.Round((end.CpuMs - start.CpuMs) / n, 2);
            switches[name] = Math.Round((double)(end.Switches - start.Switches) / n, 1);
        }

        var statements = new Dictionary<string, double>();
        var commits = new Dictionary<string, double>();
        foreach (var (name, end) in after.Databases)
        {
            var start = before.Databases.GetValueOrDefault(name);
            statements[name] = Math.Round((double)(end.Statements - start.Statements) / n, 1);
            commits[name] = Math.Round((double)(end.Commits - start.Commits) / n, 1);
        }

        var totalCpu = cpu.Values.Sum();
        return new Dictionary<string, object>
        {
            ["purchases"] = purchases,
            ["cpuMsPerPurchase"] = cpu,
            ["cpuMsPerPurchaseTotal"] = Math.Round(totalCpu, 1),
            ["cpuUtilisation"] = Math.Round((cpu.Values.Sum() * n) / (elapsed.TotalMilliseconds * Environment.ProcessorCount), 2),
            ["contextSwitchesPerPurchase"] = switches,
            ["contextSwitchesPerPurchaseTotal"] = Math.Round(switches.Values.Sum(), 0),
            ["statementsPerPurchase"] = statements,
            ["statementsPerPurchaseTotal"] = Math.Round(statements.Values.Sum(), 1),
            ["transactionsPerPurchase"] = commits,
            ["transactionsPerPurchaseTotal"] = Math.Round(commits.Values.Sum(), 1),
        };
    }

    private static (double CpuMs, long Switches) Read(int pid, bool withChildren)
    {
        var (ticks, switches) = Stat(pid, includeReaped: withChildren);
        if (withChildren)
        {
            foreach (var child in Children(pid))
            {
                var (childTicks, childSwitches) = Stat(child, includeReaped: false);
                ticks += childTicks;
                switches += childSwitches;
            }
        }

        return (ticks * MsPerTick, switches);
    }

    private static (long Ticks, long Switches) Stat(int pid, bool includeReaped)
    {
        try
        {
            // Fields after the command name (which may hold spaces): state is field 3; utime 14, stime 15, cutime 16, cstime 17.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long F(int field) => long.Parse(fields[field - 3], CultureInfo.InvariantCulture);
            var ticks = F(14) + F(15) + (includeReaped ? F(16) + F(17) : 0);
            // Context switches are counted per thread: every thread's status, the main one's included.
            long switches = 0;
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                    {
                        if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                        {
                            switches += long.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture);
                        }
                    }
                }
                catch (IOException)
                {
                    // That thread ended between listing and reading: its switches are lost, the process's CPU is not.
                }
            }

            return (ticks, switches);
        }
        catch (IOException)
        {
            return (0, 0); // the process (or a thread) ended between listing and reading
        }
        catch (UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }

    private static IEnumerable<int> Children(int parent)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(dir, "stat"));
            }
            catch (IOException)
            {
                continue;
            }

            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (fields.Length > 1 && fields[1] == parent.ToString(CultureInfo.InvariantCulture))
            {
                yield return pid;
            }
        }
    }
}
