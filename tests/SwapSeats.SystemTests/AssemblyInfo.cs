// Each collection runs a whole system of processes; on a 2-core machine running them one at a time keeps the timing
// assertions (expiry lateness) about the system, not about a neighbour's start-up.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
