#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 on 127.0.0.1 (free port, fresh temp data dir, trust auth,
# fsync left on) with an empty database herald_test. Prints, on stdout, shell lines to eval:
#   export HERALD_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/herald_test
#   export HERALD_TEST_POSTGRES_DIR=/tmp/herald-pg.XXXXXX
# Everything else goes to stderr. Stop it with: bash scripts/stop-test-postgres.sh DIR
# Usage: eval "$(bash scripts/start-test-postgres.sh)"
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pgbin=/usr/lib/postgresql/15/bin

if [ ! -x "$pgbin/pg_ctl" ]; then
  bash "$root/scripts/install-deps.sh" >&2
fi

# Runs a command as the postgres user (initdb/postgres refuse to run as root).
as_postgres() {
  if [ "$(id -un)" = postgres ]; then
    "$@"
  elif [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    sudo -u postgres -- "$@"
  fi
}

dir="$(mktemp -d "${TMPDIR:-/tmp}/herald-pg.XXXXXX")"
touch "$dir/.herald-test-postgres"  # marker checked by stop-test-postgres.sh before rm -rf
chmod 700 "$dir"
if [ "$(id -un)" != postgres ]; then
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; else sudo chown -R postgres:postgres "$dir"; fi
fi

started=""
cleanup_on_error() {
  if [ -n "$started" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w stop >&2 || true
  fi
  rm -rf "$dir" 2>/dev/null || sudo rm -rf "$dir" 2>/dev/null || true
}
trap cleanup_on_error ERR
trap 'cleanup_on_error; exit 130' INT
trap 'cleanup_on_error; exit 143' TERM

as_postgres "$pgbin/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 --locale=C.UTF-8 >&2 \
  || as_postgres "$pgbin/initdb" -D "$dir/data" --auth=trust -U postgres -E UTF8 --locale=C >&2

# Returns 0 if something already listens on 127.0.0.1:$1.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

port=""
candidate=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
for _ in $(seq 1 50); do
  candidate=$((candidate + 1))
  ((candidate < 60000)) || candidate=20000
  if port_in_use "$candidate"; then continue; fi
  # pg_ctl start fails if the port got taken in the meantime; then try the next one.
  if as_postgres "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $candidate -k $dir -c listen_addresses=127.0.0.1" start >&2; then
    port="$candidate"
    started=1
    break
  fi
  echo "start-test-postgres: port $candidate failed, trying another" >&2
done

if [ -z "$port" ]; then
  echo "start-test-postgres: could not start PostgreSQL; log:" >&2
  cat "$dir/postgres.log" >&2 || true
  cleanup_on_error
  exit 1
fi

as_postgres "$pgbin/createdb" -h 127.0.0.1 -p "$port" -U postgres herald_test >&2
trap - ERR INT TERM

printf 'export HERALD_TEST_POSTGRES_URL=%q\n' "postgresql://postgres@127.0.0.1:$port/herald_test"
printf 'export HERALD_TEST_POSTGRES_DIR=%q\n' "$dir"
