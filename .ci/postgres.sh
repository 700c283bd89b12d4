#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests, listening on 127.0.0.1 only, and print the line
#     export SHELFSIGHT_TEST_POSTGRES_DSN=postgresql://...
# for the caller to eval. Idempotent: installs postgresql when missing, reuses a cluster already running in
# the same data folder. Progress goes to stderr, so `eval "$(.ci/postgres.sh)"` works.
#
# Environment: SHELFSIGHT_PG_DIR (default: ${TMPDIR:-/tmp}/shelfsight-pg) holds the cluster, its socket and log.
# `.ci/postgres.sh stop` stops that server again.
set -euo pipefail

dir="${SHELFSIGHT_PG_DIR:-${TMPDIR:-/tmp}/shelfsight-pg}"
db=shelfsight_test
say() { echo "postgres.sh: $*" >&2; }

pg_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$found" ] && command -v pg_ctl >/dev/null 2>&1; then found="$(dirname "$(command -v pg_ctl)")"; fi
  echo "$found"
}

bin="$(pg_bin)"
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  say "installing postgresql"
  if [ "$(id -u)" -ne 0 ]; then say "postgresql is missing and this user cannot apt-get install it"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  bin="$(pg_bin)"
fi

# initdb refuses to run as root: run the server as the postgres user then (or as ourselves otherwise).
if [ "$(id -u)" -eq 0 ]; then
  as() { runuser -u postgres -- "$@"; }
  owner=postgres
else
  as() { "$@"; }
  owner="$(id -un)"
fi

data="$dir/data"
if [ "${1:-}" = "stop" ]; then
  if [ -f "$data/PG_VERSION" ]; then as "$bin/pg_ctl" -D "$data" -m fast stop >&2 || true; fi
  exit 0
fi
mkdir -p "$dir"
if [ "$(id -u)" -eq 0 ]; then chown "$owner" "$dir"; fi

port_of_running() {
  if as "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1 && [ -f "$dir/port" ]; then cat "$dir/port"; fi
}

port="$(port_of_running)"
if [ -z "$port" ]; then
  if [ ! -f "$data/PG_VERSION" ]; then
    say "initdb in $data"
    as "$bin/initdb" -D "$data" -U "$owner" --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  echo "$port" > "$dir/port"
  if [ "$(id -u)" -eq 0 ]; then chown "$owner" "$dir/port"; fi
  say "starting on 127.0.0.1:$port"
  as "$bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
fi

if ! as "$bin/psql" -h 127.0.0.1 -p "$port" -U "$owner" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
  as "$bin/createdb" -h 127.0.0.1 -p "$port" -U "$owner" "$db"
fi
say "ready: database $db on 127.0.0.1:$port (stop with: $bin/pg_ctl -D $data stop)"
echo "export SHELFSIGHT_TEST_POSTGRES_DSN=postgresql://$owner@127.0.0.1:$port/$db"
