# Shared by the drill and benchmark scripts (source it, do not run it): a scratch database for
# one run and the helpers around it.
#   open_scratch_database BACKEND WORKDIR  sets `database` (a URL or a SQLite path), `pg_dir`
#                                          (a throwaway PostgreSQL's directory, or "") and `sql`
#   close_scratch_database                 stops the throwaway PostgreSQL, if any
#   free_port                              prints a free TCP port on 127.0.0.1
#   as_postgres CMD...                     runs CMD as the owner of the throwaway PostgreSQL
# Needs `root` (the repository) to be set.

pg_dir=""
database=""

open_scratch_database() {
  local backend="$1" work="$2"
  if [ "$backend" = postgresql ]; then
    eval "$(bash "$root/scripts/start-test-postgres.sh" 2>/dev/null)"
    pg_dir="$HERALD_TEST_POSTGRES_DIR"
    database="$HERALD_TEST_POSTGRES_URL"
  else
    database="$work/herald.db"
  fi
}

# Runs one SQL statement on the scratch database and prints the rows, '|'-separated.
sql() {
  if [ -n "$pg_dir" ]; then psql -qtA "$database" -c "$1"; else sqlite3 "$database" "$1"; fi
}

close_scratch_database() {
  [ -n "$pg_dir" ] && bash "$root/scripts/stop-test-postgres.sh" "$pg_dir" >/dev/null 2>&1 || true
  pg_dir=""
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@";
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@";
  else sudo -u postgres -- "$@"; fi
}
