#!/usr/bin/env bash
# Measures how long herald takes to serve after a start on a database holding N unfinished
# workflow executions (each WAITING, with a short history and one finished task), the case of a
# restart after a crash under load. Prints one line:
#   startup-time: backend=B workflows=N rehydrated=R serve_ms=M
# serve_ms: from starting the process to its first answer that reads the database.
# Usage: bash tools/benchmarks/startup_time.sh [--backend postgresql|sqlite] [--workflows 10000]
#        [--runs 3]
# Needs a build (bash scripts/build.sh); starts its own throwaway PostgreSQL for postgresql.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
backend=postgresql
workflows=10000
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend="$2"; shift 2 ;;
    --workflows) workflows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "startup_time.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

herald="${HERALD_BINARY:-$root/build/api/herald}"
# shellcheck source=../lib/scratch_database.sh
source "$root/tools/lib/scratch_database.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/herald-startup.XXXXXX")"
herald_pid=""
cleanup() {
  [ -n "$herald_pid" ] && kill -9 "$herald_pid" 2>/dev/null || true
  close_scratch_database
  rm -rf "$work"
}
trap cleanup EXIT

open_scratch_database "$backend" "$work"
http_port="$(free_port)"

# Starts herald and sets `elapsed_ms` to the milliseconds until it answers a request that reads
# the database. (Not in a subshell: `herald_pid` must stay set for `stop_herald`.)
serve_ms() {
  local before
  before=$(date +%s%N)
  "$herald" --database "$database" --grpc-port 0 --http-port "$http_port" --auth off \
    --secret-file "$work/herald.secret" >> "$work/herald.log" 2>&1 &
  herald_pid=$!
  for _ in $(seq 1 12000); do
    if curl -fsS "http://127.0.0.1:$http_port/api/orgs/default/workflow-executions?limit=1" \
      >/dev/null 2>&1; then
      elapsed_ms=$(( ($(date +%s%N) - before) / 1000000 ))
      return 0
    fi
    sleep 0.005
  done
  echo "startup_time.sh: herald did not serve within 60 s; its log:" >&2
  tail -20 "$work/herald.log" >&2
  exit 1
}
stop_herald() {
  kill -9 "$herald_pid" 2>/dev/null || true
  wait "$herald_pid" 2>/dev/null || true
  herald_pid=""
}

serve_ms  # creates the schema and the default org
stop_herald
org="$(sql "SELECT id FROM organization WHERE slug = 'default'")"
series="WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $workflows)"
sql "$series INSERT INTO workflow_execution (id, org_id, kind, queue, status, input, output, error,
  worker_id, parent_id, version, idempotency_key, metadata, priority_ms, current_sequence,
  stream_offset, task_time_ms, created_ms, updated_ms, completed_ms, root_id)
  SELECT 'seed-wf-' || i, '$org', 'seeded', 'seeded', 'WAITING', '{}', '', '', '', '', '', '',
  '{}', 0, 2, 0, 0, i, i, 0, '' FROM n"
sql "$series INSERT INTO workflow_event (workflow_id, sequence, type, data, created_ms)
  SELECT 'seed-wf-' || i, 1, 'WORKFLOW_STARTED', '{}', i FROM n
  UNION ALL SELECT 'seed-wf-' || i, 2, 'WORKFLOW_SUSPENDED', '{}', i FROM n"
sql "$series INSERT INTO task_execution (id, org_id, workflow_id, kind, queue, status, input,
  output, error, worker_id, execution_count, max_retries, timeout_ms, progress, progress_details,
  created_ms, started_ms, completed_ms)
  SELECT 'seed-task-' || i, '$org', 'seed-wf-' || i, 'seeded', 'seeded', 'COMPLETED', '{}', '1',
  '', 'w', 1, 3, 0, 1, '', i, i, i FROM n"

results=()
for _ in $(seq 1 "$runs"); do
  serve_ms
  results+=("$elapsed_ms")
  stop_herald
done
rehydrated="$(grep -o 'rehydrated [0-9]* unfinished' "$work/herald.log" | tail -1 | cut -d' ' -f2)"
echo "startup-time: backend=$backend workflows=$workflows rehydrated=$rehydrated serve_ms=${results[*]}"
