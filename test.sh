#!/usr/bin/env bash
# Runs every test project against real PostgreSQL and nats-server processes the tests start themselves
# (installing the binaries with apt when missing). TRX results land in artifacts/test-results/.
# Extra arguments go to `dotnet test`, e.g. ./test.sh --filter "FullyQualifiedName~SignIn".
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib.sh

# chromium: the browser tests drive Debian's Chromium through Playwright (playwright install cannot download here).
# kubectl: the deploy tests render the Kubernetes overlays with kubectl kustomize.
ensure_installed nats-server:nats-server postgresql:postgres chromium:chromium kubectl:kubectl procps:pkill

# Throwaway servers an earlier, killed run left behind are stopped and deleted by the fixtures themselves
# (tests/SwapSeats.Testing/Leftovers.cs), which is why procps (pkill) is needed.

results=artifacts/test-results
rm -rf "$results"
mkdir -p "$results"

dotnet tool restore >/dev/null
dotnet build SwapSeats.slnx -nologo -v quiet -clp:ErrorsOnly

# A test that hangs (CI once ran out its 90 minutes inside one test project) is stopped after 10 minutes: the blame
# collector names it and kills its test host, the project counts as failed, and the remaining projects still run.
hang=(--blame-hang-timeout 10m --blame-hang-dump-type none)

status=0
for project in $(find tests -name '*Tests.csproj' | sort); do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  dotnet test "$project" --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" "${hang[@]}" "$@" \
    || status=1
done
exit $status
