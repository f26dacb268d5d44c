#!/usr/bin/env bash
# Stops a PostgreSQL started by start-test-postgres.sh and removes its directory.
# Usage: bash scripts/stop-test-postgres.sh DIR   (default: $HERALD_TEST_POSTGRES_DIR)
set -euo pipefail

dir="${1:-${HERALD_TEST_POSTGRES_DIR:-}}"
pgbin=/usr/lib/postgresql/15/bin

if [ -z "$dir" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
if [ ! -d "$dir" ]; then
  echo "stop-test-postgres: $dir does not exist; nothing to do" >&2
  exit 0
fi
if [ ! -e "$dir/.herald-test-postgres" ]; then
  echo "stop-test-postgres: $dir was not created by start-test-postgres.sh; refusing to touch it" >&2
  exit 1
fi

as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres -- "$@"
  fi
}

if [ -f "$dir/data/postmaster.pid" ]; then
  as_postgres "$pgbin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >&2 \
    || as_postgres "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
fi

rm -rf "$dir" 2>/dev/null || sudo rm -rf "$dir"
