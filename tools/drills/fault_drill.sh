#!/usr/bin/env bash
# Fault drill: a fault in the middle of a herald-load run, then a check that nothing was lost.
#   --fault kill9         kill -9 herald and restart it on the same database and ports;
#   --fault pg-fast       restart PostgreSQL (pg_ctl restart -m fast) under a running herald;
#   --fault pg-immediate  the same with -m immediate (a crash of the database: WAL recovery);
#   --fault disk-full     SQLite on a small tmpfs (needs root to mount it) that is filled up for
#                         --hold seconds, then freed: herald must refuse writes with a clear
#                         error, stay up, not corrupt the file, and go on by itself.
# Prints one verdict line:
#   fault-drill: PASS|FAIL fault=F completed=N errors=E violations=V stuck_workflows=W
#                stuck_tasks=T serve_again_ms=M
# PASS means every workflow herald-load started completed (its full verification found nothing
# lost, duplicated or out of order) and nothing is left unfinished in the database.
# serve_again_ms: from the restart (of herald, or of PostgreSQL once it accepts connections, or
# the disk freed) to herald's first answer from the database.
# disk-full adds: full_errors (herald log lines saying the disk was full), integrity (SQLite's
# PRAGMA integrity_check afterwards) and alive (herald kept running while the disk was full).
#
# Usage: bash tools/drills/fault_drill.sh [--fault kill9|pg-fast|pg-immediate]
#        [--backend postgresql|sqlite] [--concurrency 64] [--duration 20] [--fault-after 8]
#        [--hold 5]
# Needs a build (bash scripts/build.sh); starts its own throwaway PostgreSQL for postgresql.
# HERALD_DRILL_KEEP=1 keeps the work directory (logs, report) and the database for a post-mortem.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fault=kill9
backend=postgresql
concurrency=64
duration=20
fault_after=8
hold=5
while [ $# -gt 0 ]; do
  case "$1" in
    --fault) fault="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --duration) duration="$2"; shift 2 ;;
    --fault-after) fault_after="$2"; shift 2 ;;
    --hold) hold="$2"; shift 2 ;;
    *) echo "fault_drill.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$fault" in
  kill9) ;;
  pg-fast|pg-immediate)
    [ "$backend" = postgresql ] || { echo "fault_drill.sh: $fault needs --backend postgresql" >&2; exit 2; } ;;
  disk-full) backend=sqlite ;;
  *) echo "fault_drill.sh: unknown fault $fault" >&2; exit 2 ;;
esac

herald="$root/build/api/herald"
load="$root/build/tools/herald-load/herald-load"
# shellcheck source=../lib/scratch_database.sh
source "$root/tools/lib/scratch_database.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/herald-drill.XXXXXX")"
herald_pid=""
disk=""
cleanup() {
  if [ -n "$herald_pid" ]; then
    kill -9 "$herald_pid" 2>/dev/null || true
    wait "$herald_pid" 2>/dev/null || true
  fi
  if [ -n "$disk" ] && [ -z "${HERALD_DRILL_KEEP:-}" ]; then umount "$disk" 2>/dev/null || true; fi
  if [ -n "${HERALD_DRILL_KEEP:-}" ]; then
    echo "fault-drill: kept $work${pg_dir:+ and PostgreSQL in $pg_dir ($database)}" >&2
    return
  fi
  close_scratch_database
  rm -rf "$work"
}
trap cleanup EXIT

open_scratch_database "$backend" "$work"
if [ "$fault" = disk-full ]; then
  # A disk of its own, small enough to fill in a moment but ample for the run.
  disk="$work/disk"
  mkdir -p "$disk"
  mount -t tmpfs -o size=256m tmpfs "$disk" \
    || { echo "fault_drill.sh: disk-full needs root to mount a tmpfs" >&2; disk=""; exit 2; }
  database="$disk/herald.db"
fi
grpc_port="$(free_port)"
http_port="$(free_port)"
key="herald_sk_drill_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
echo "api-key = default User $key" > "$work/herald.conf"

start_herald() {
  "$herald" --database "$database" --grpc-port "$grpc_port" --http-port "$http_port" \
    --auth required --config "$work/herald.conf" --secret-file "$work/herald.secret" \
    >> "$work/herald.log" 2>&1 &
  herald_pid=$!
  for _ in $(seq 1 400); do
    if curl -fsS "http://127.0.0.1:$http_port/_/health" >/dev/null 2>&1; then return 0; fi
    sleep 0.025
  done
  echo "fault-drill: herald did not start; its log:" >&2
  tail -20 "$work/herald.log" >&2
  exit 1
}

start_herald
"$load" --grpc "127.0.0.1:$grpc_port" --http "127.0.0.1:$http_port" --api-key "$key" \
  -s one-task -c "$concurrency" -d "$duration" --drain-timeout 120 --quiet \
  --json "$work/report.json" > "$work/load.log" 2>&1 &
load_pid=$!

# Returns once herald answers a request that reads the database.
wait_served() {
  for _ in $(seq 1 2400); do
    if curl -fsS -H "Authorization: Bearer $key" \
      "http://127.0.0.1:$http_port/api/orgs/default/workflow-executions?limit=1" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.025
  done
  echo "fault-drill: herald did not serve again within 60 s" >&2
}

sleep "$fault_after"
alive=""
if [ "$fault" = disk-full ]; then
  dd if=/dev/zero of="$disk/filler" bs=1M status=none 2>/dev/null || true
  sleep "$hold"
  alive=yes
  kill -0 "$herald_pid" 2>/dev/null || alive=no
  rm -f "$disk/filler"
  before=$(date +%s%N)
elif [ "$fault" = kill9 ]; then
  kill -9 "$herald_pid"
  wait "$herald_pid" 2>/dev/null || true
  before=$(date +%s%N)
  start_herald
else
  mode="${fault#pg-}"
  as_postgres /usr/lib/postgresql/15/bin/pg_ctl -D "$pg_dir/data" -m "$mode" -w \
    restart -l "$pg_dir/restart.log" >/dev/null
  before=$(date +%s%N)
fi
wait_served
serve_again_ms=$(( ($(date +%s%N) - before) / 1000000 ))

load_status=0
wait "$load_pid" || load_status=$?

read -r completed errors violations < <(python3 - "$work/report.json" <<'EOF'
import json, sys
try:
    r = json.load(open(sys.argv[1]))
    print(r["counts"]["completed"], r["error_total"], r["violation_total"])
except Exception:
    print(-1, -1, -1)
EOF
)
stuck_workflows=$(sql "SELECT COUNT(*) FROM workflow_execution WHERE status NOT IN ('COMPLETED','FAILED','CANCELLED')")
stuck_tasks=$(sql "SELECT COUNT(*) FROM task_execution WHERE status NOT IN ('COMPLETED','FAILED','CANCELLED')")

extra=""
verdict=PASS
if [ "$fault" = disk-full ]; then
  full_errors=$(grep -ci "disk is full" "$work/herald.log" || true)
  integrity=$(sql "PRAGMA integrity_check")
  extra=" full_errors=$full_errors integrity=$integrity alive=$alive"
  if [ "$integrity" != ok ] || [ "$alive" != yes ] || [ "$full_errors" = 0 ]; then
    verdict=FAIL
  fi
fi
if [ "$completed" -le 0 ] || [ "$violations" != 0 ] || [ "$stuck_workflows" != 0 ] \
   || [ "$stuck_tasks" != 0 ]; then
  verdict=FAIL
fi
echo "fault-drill: $verdict fault=$fault backend=$backend completed=$completed errors=$errors" \
  "violations=$violations stuck_workflows=$stuck_workflows stuck_tasks=$stuck_tasks" \
  "serve_again_ms=$serve_again_ms load_exit=$load_status$extra"
if [ "$verdict" = FAIL ]; then
  echo "--- herald-load output (tail)" >&2
  tail -30 "$work/load.log" >&2
fi
[ "$verdict" = PASS ]
