#!/usr/bin/env bash
# Measures every herald-load scenario on SQLite and on PostgreSQL (fsync on) and regenerates
# docs/benchmarks.md from the --json reports. Each scenario runs twice per backend:
#   closed loop (--concurrency C) to find what the server sustains, then
#   open loop at half that throughput (--rate), for latency that back-pressure cannot hide.
# timer-lateness runs once per backend: 10,000 workflows each holding a 15 s timer, all pending
# at once.
# Usage: bash tools/benchmarks/run_benchmarks.sh [DURATION_SECONDS]
# Env: HERALD_BUILD_DIR (default build/), BACKENDS, SCENARIOS to run a subset.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${HERALD_BUILD_DIR:-$root/build}"
load="$build/tools/herald-load/herald-load"
export HERALD_BINARY="$build/api/herald"
duration="${1:-30}"
backends="${BACKENDS:-sqlite postgresql}"
scenarios="${SCENARIOS:-one-task chain-5 fan-out-10 timers tokens sse-fanout mixed timer-lateness}"
results="$root/docs/benchmarks/results"
mkdir -p "$results"

for bin in "$load" "$HERALD_BINARY"; do
  [ -x "$bin" ] || { echo "run_benchmarks: $bin is missing; build herald and herald-load" >&2; exit 2; }
done

# Closed-loop concurrency per scenario: enough workflows in flight to keep the server busy.
concurrency() {
  case "$1" in
    tokens | sse-fanout) echo 10 ;;
    *) echo 50 ;;
  esac
}

# Runs herald-load with the given arguments; the report goes to $results/$1.json.
run() {
  local name="$1"
  shift
  echo "run_benchmarks: $name" >&2
  "$load" "$@" --quiet --json "$results/$name.json" > "$results/$name.txt" 2>&1 \
    || echo "run_benchmarks: $name exited with $? (see $results/$name.txt)" >&2
}

[ -n "${SCENARIOS:-}" ] || python3 - "$results/meta.json" "$(git -C "$root" rev-parse --short HEAD)" "$duration" <<'PY'
import datetime, json, sys
json.dump({"commit": sys.argv[2], "duration": int(sys.argv[3]),
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")},
          open(sys.argv[1], "w"))
PY

for backend in $backends; do
  for scenario in $scenarios; do
    if [ "$scenario" = timer-lateness ]; then
      run "$backend-$scenario-open" --spawn "$backend" --scenario "$scenario" \
        --count 10000 --rate 2000 --timer-ms 15000 --drain-timeout 120
      continue
    fi
    run "$backend-$scenario-closed" --spawn "$backend" --scenario "$scenario" \
      --concurrency "$(concurrency "$scenario")" --duration "$duration"
    rate="$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1]))["throughput"]["workflows_per_s"]; print(max(1, round(t / 2)))' \
      "$results/$backend-$scenario-closed.json")"
    run "$backend-$scenario-open" --spawn "$backend" --scenario "$scenario" \
      --rate "$rate" --duration "$duration"
  done
done

python3 "$root/tools/benchmarks/make_report.py" "$results" > "$root/docs/benchmarks.md"
echo "run_benchmarks: wrote docs/benchmarks.md" >&2
