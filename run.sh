#!/usr/bin/env bash
# Starts the whole SwapSeats system on this machine: PostgreSQL and nats-server (data under .data/), every service,
# the gateway (http://localhost:8080, or $SWAPSEATS_HTTP_PORT) and the Aspire dashboard. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/lib.sh

ensure_installed nats-server:nats-server postgresql:postgres

port=${SWAPSEATS_HTTP_PORT:-8080}
echo "Restoring .NET tools (smtp4dev) ..."
dotnet tool restore >/dev/null
echo "Building ..."
dotnet build src/SwapSeats.AppHost -v quiet -nologo -clp:ErrorsOnly
cat <<MSG

  SwapSeats     http://localhost:${port}
  API docs      http://localhost:${port}/api/docs
  Mail inbox    http://localhost:${SWAPSEATS_MAIL_UI_PORT:-5080}   (every email sent, via smtp4dev on SMTP port ${SWAPSEATS_SMTP_PORT:-2525})
  Dashboard     http://localhost:18888   (logs, traces and metrics of every process)
MSG
if [ "${SWAPSEATS_SEED:-true}" != false ]; then
  cat <<MSG
  Demo seller   demo-seller@swapseats.local / swapseats-demo   (listings created on the first run; SWAPSEATS_SEED=false skips)
MSG
fi
cat <<MSG

  Data lives in .data/ (delete it for a fresh start). Ctrl-C stops every process.

MSG
exec dotnet run --no-build --project src/SwapSeats.AppHost
