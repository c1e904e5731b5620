#!/usr/bin/env bash
# Runs the local development PostgreSQL server (started by the AppHost) with its data in the given directory.
# The first run creates the cluster. PostgreSQL refuses to run as root, so as root it runs as the 'postgres' user.
set -euo pipefail
data_dir=$1
port=$2

source "$(dirname "$0")/lib.sh"
bin_dir=$(postgres_bin_dir) || { echo "PostgreSQL is not installed: run ./run.sh, or apt-get install -y postgresql" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

mkdir -p "$data_dir"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$data_dir"
chmod 700 "$data_dir"
if [ ! -f "$data_dir/PG_VERSION" ]; then
  echo "Creating the local PostgreSQL cluster in $data_dir"
  as_postgres "$bin_dir/initdb" -D "$data_dir" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
fi

# A stop request means a fast shutdown (SIGINT): roll back open transactions, don't wait for clients to leave.
as_postgres "$bin_dir/postgres" -D "$data_dir" -p "$port" -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
  -c max_connections=300 &
server=$!
trap 'kill -INT "$server" 2>/dev/null' TERM INT
wait "$server" || true
wait "$server" 2>/dev/null || true
