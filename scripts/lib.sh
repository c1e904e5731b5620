# Shared by run.sh, test.sh and the local PostgreSQL launcher.

# Prints the directory holding the PostgreSQL server binaries (initdb, postgres, pg_ctl).
postgres_bin_dir() {
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

# Installs with apt what is missing among the given packages (package:command pairs).
ensure_installed() {
  local missing=() pair package probe
  for pair in "$@"; do
    package=${pair%%:*}
    probe=${pair#*:}
    if [ "$probe" = postgres ]; then
      postgres_bin_dir >/dev/null || missing+=("$package")
    elif ! command -v "$probe" >/dev/null 2>&1; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=sudo; else
      echo "Missing: ${missing[*]}. Install them with: apt-get install -y ${missing[*]}" >&2
      return 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing: ${missing[*]}. This script installs them only on Debian/Ubuntu (apt); install them and run again." >&2
    return 1
  fi
  echo "Installing ${missing[*]} with apt-get ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
