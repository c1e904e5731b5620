#!/usr/bin/env bash
# Runs the benchmark (bench/SwapSeats.Bench) in Release against a throwaway system it starts itself: its own
# PostgreSQL and nats-server, every service and the gateway. A few minutes on 2 cores. Report in artifacts/bench/.
# Options: --buyers N (race, default 500) --concurrency C (16) --seconds T (throughput, 20) --expiring K (50) --smoke
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib.sh

ensure_installed nats-server:nats-server postgresql:postgres
dotnet build bench/SwapSeats.Bench -c Release -nologo -v quiet -clp:ErrorsOnly
exec dotnet run --no-build -c Release --project bench/SwapSeats.Bench -- "$@"
