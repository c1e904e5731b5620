namespace SwapSeats.ServiceDefaults;

/// <summary>
/// The runtime settings of a process that shares the machine's cores with the rest of the system (every service, the
/// gateway and the load generator on one machine): workstation GC (one heap, no GC thread per core in each of eight
/// processes), thread-pool workers that sleep instead of spinning when idle, no profile-guided re-JIT (its extra
/// instrumented tier kept the JIT busy in seven processes for minutes after start) and no W^X double mapping of JIT code
/// (each write to code memory remaps pages, and on a VM the TLB flushes that follow cost a quarter of the CPU per
/// purchase); both measured in docs/benchmarks.md. The AppHost gives them to every process it starts, and so do the
/// tests' and the benchmark's processes (this file is compiled into the AppHost as a link). In Kubernetes a pod has its
/// own CPU limit and the runtime's defaults apply; see README "Runtime settings".
/// </summary>
public static class CoLocatedRuntime
{
    public static readonly IReadOnlyDictionary<string, string> Environment = new Dictionary<string, string>
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_ThreadPool_UnfairSemaphoreSpinLimit"] = "0",
        ["DOTNET_TieredPGO"] = "0",
        ["DOTNET_EnableWriteXorExecute"] = "0",
    };
}
