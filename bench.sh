#!/usr/bin/env bash
# Runs the benchmark (bench/SwapSeats.Bench) in Release against a throwaway system it starts itself: its own
# PostgreSQL and nats-server, every service and the gateway. A few minutes on 2 cores. Report in artifacts/bench/.
# Options: --buyers N (race, default 1000) --concurrency C (closed loop, 16) --seconds T (closed loop, 20)
#          --rates 25,50,... (open model) --step-seconds S (10) --expiring K (50) --replicas N (2) --smoke
#          --only race,throughput,... (those scenarios, one replica) --out DIR; anything else (--help) prints the usage
#          --from artifacts/bench/report.json (re-render docs/benchmarks.md from a finished run, running nothing)
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib.sh

ensure_installed nats-server:nats-server postgresql:postgres
# The load generator runs like the services it measures: no W^X remapping, no profile-guided re-JIT, no thread-pool
# spinning, workstation GC (the list the services get: src/SwapSeats.ServiceDefaults/CoLocatedRuntime.cs).
export DOTNET_EnableWriteXorExecute=0 DOTNET_TieredPGO=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0 DOTNET_gcServer=0
dotnet build bench/SwapSeats.Bench -c Release -nologo -v quiet -clp:ErrorsOnly
# A full run regenerates docs/benchmarks.md (before = docs/benchmarks-before.json, notes = docs/benchmarks-notes.md).
doc=(--doc docs/benchmarks.md --baseline docs/benchmarks-before.json --notes docs/benchmarks-notes.md)
for arg in "$@"; do case "$arg" in --smoke|--only|--from) doc=() ;; esac; done
# --from renders from a report: give it the write-up paths itself (the default ones unless told otherwise).
for arg in "$@"; do [ "$arg" = --from ] && doc=(--doc docs/benchmarks.md --baseline docs/benchmarks-before.json --notes docs/benchmarks-notes.md); done
exec dotnet run --no-build -c Release --project bench/SwapSeats.Bench -- "${doc[@]}" "$@"
