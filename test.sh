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

status=0
for project in $(find tests -name '*Tests.csproj' | sort); do
  name=$(basename "$project" .csproj)
  echo "=== $name"
  dotnet test "$project" --no-build --nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results" "$@" \
    || status=1
done
exit $status
