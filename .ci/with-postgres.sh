#!/usr/bin/env bash
# Run a command (the tests) with a PostgreSQL server for the dashboard's PostgreSQL tests:
#     bash .ci/with-postgres.sh .venv/bin/pytest
# When $SHELFSIGHT_TEST_POSTGRES_DSN already names a server (.ci/run starts one), the command just runs. Else a
# throwaway server is started with postgres.sh in a folder of its own, and stopped and removed when the command
# ends, whatever its outcome (failure, Ctrl-C). Exits with the command's status.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ -n "${SHELFSIGHT_TEST_POSTGRES_DSN:-}" ]; then exec "$@"; fi
SHELFSIGHT_PG_DIR="$(mktemp -d "${TMPDIR:-/tmp}/shelfsight-pg.XXXXXX")"
export SHELFSIGHT_PG_DIR
cleanup() {
  bash "$here/postgres.sh" stop || true
  rm -rf "$SHELFSIGHT_PG_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
eval "$(bash "$here/postgres.sh")"
"$@"
