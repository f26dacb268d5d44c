#!/usr/bin/env bash
# Measures herald's CPU use when it has no work: first with no client at all, then with 1,000
# long polls parked (10 simulated workers x 50 workflow + 50 task polls; one workflow waits for a
# signal, with one idle SSE stream).
# Prints one line:
#   idle-cpu: no_clients=X% parked_polls=Y% (of one core, over S s each)
# Usage: bash tools/benchmarks/idle_cpu.sh [--seconds 30] [--backend sqlite|postgresql]
# Needs a build (bash scripts/build.sh).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds=30
backend=sqlite
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="$2"; shift 2 ;;
    --backend) backend="$2"; shift 2 ;;
    *) echo "idle_cpu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

herald="${HERALD_BINARY:-$root/build/api/herald}"
load="$root/build/tools/herald-load/herald-load"
# shellcheck source=../lib/scratch_database.sh
source "$root/tools/lib/scratch_database.sh"
work="$(mktemp -d "${TMPDIR:-/tmp}/herald-idle.XXXXXX")"
herald_pid=""
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  [ -n "$herald_pid" ] && kill "$herald_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  close_scratch_database
  rm -rf "$work"
}
trap cleanup EXIT

open_scratch_database "$backend" "$work"
grpc_port="$(free_port)"
http_port="$(free_port)"

"$herald" --database "$database" --grpc-port "$grpc_port" --http-port "$http_port" --auth off \
  --secret-file "$work/herald.secret" > "$work/herald.log" 2>&1 &
herald_pid=$!
for _ in $(seq 1 400); do
  curl -fsS "http://127.0.0.1:$http_port/_/health" >/dev/null 2>&1 && break
  sleep 0.025
done

# Percent of one core herald used over the next $seconds seconds.
cpu_percent() {
  local ticks=$(getconf CLK_TCK) before after
  before=$(awk '{print $14 + $15}' "/proc/$herald_pid/stat")
  sleep "$seconds"
  after=$(awk '{print $14 + $15}' "/proc/$herald_pid/stat")
  python3 -c "print(f'{100 * ($after - $before) / $ticks / $seconds:.2f}')"
}

sleep 3  # past start-up
no_clients=$(cpu_percent)
# idle-streams holds its workers' polls for the whole --duration; its one workflow waits for a
# signal, followed by one idle SSE stream.
"$load" --grpc "127.0.0.1:$grpc_port" --http "127.0.0.1:$http_port" -s idle-streams \
  --idle-workflows 1 --subscribers 1 -d $((seconds + 20)) -w 10 --workflow-polls 50 \
  --task-polls 50 --poll-timeout 60 --verify none --quiet > "$work/load.log" 2>&1 &
load_pid=$!
sleep 5  # the polls are parked
parked=$(cpu_percent)
echo "idle-cpu: no_clients=${no_clients}% parked_polls=${parked}% (of one core, over ${seconds} s each; backend=$backend)"
