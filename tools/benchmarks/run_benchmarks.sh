#!/usr/bin/env bash
# Measures every herald-load scenario on SQLite and on PostgreSQL (fsync on) and regenerates
# docs/benchmarks.md from the --json reports. Each scenario runs twice per backend:
#   closed loop (--concurrency C) to find what the server sustains, then
#   open loop at half that throughput (--rate), for latency that back-pressure cannot hide.
# timer-lateness runs once per backend: 10,000 workflows each holding a 15 s timer, all pending
# at once.
# Two streaming groups follow the workflow scenarios (see docs/benchmarks.md, "Streaming"):
#   fanout-1k     sse-fanout with 1,000 subscribers that connect before their workflow runs,
#                 as 1 workflow x 1,000 and 10 x 100, tokens back to back (deliveries/s at full
#                 fan-out) and paced at 10 per second per workflow (latency below saturation);
#   idle-streams  10,000 idle SSE streams (100 workflows x 100), then as many as the open files
#                 limit allows (100 x 199), for the server's memory per idle stream.
# Usage: bash tools/benchmarks/run_benchmarks.sh [DURATION_SECONDS]
# Env: HERALD_BUILD_DIR (default build/), BACKENDS, SCENARIOS to run a subset (workflow scenario
# names, fanout-1k, idle-streams); QUIET_PERCENT=N waits before each run (up to 15 minutes)
# until the machine has been less than N% busy for 5 s, for a machine shared with builds.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${HERALD_BUILD_DIR:-$root/build}"
load="$build/tools/herald-load/herald-load"
export HERALD_BINARY="$build/api/herald"
duration="${1:-30}"
backends="${BACKENDS:-sqlite postgresql}"
scenarios="${SCENARIOS:-one-task chain-5 fan-out-10 timers tokens sse-fanout mixed timer-lateness fanout-1k idle-streams}"
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

# Prints how busy all CPUs of the machine were over the next $1 seconds, in percent.
busy_percent() {
  local a b
  a="$(head -1 /proc/stat)"
  sleep "$1"
  b="$(head -1 /proc/stat)"
  awk -v a="$a" -v b="$b" 'BEGIN {
    split(a, x); split(b, y); idle = 0; total = 0
    for (i = 2; i <= 9; i++) { d = y[i] - x[i]; total += d; if (i == 5 || i == 6) idle += d }
    printf "%d\n", (total > 0 ? 100 * (total - idle) / total : 0) }'
}

# With QUIET_PERCENT set, waits until the machine is quiet enough (or 15 minutes passed).
wait_quiet() {
  [ -n "${QUIET_PERCENT:-}" ] || return 0
  local deadline=$((SECONDS + 900)) busy
  while busy="$(busy_percent 5)" && [ "$busy" -ge "$QUIET_PERCENT" ]; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "run_benchmarks: still ${busy}% busy after 15 minutes; running anyway" >&2
      return 0
    fi
    echo "run_benchmarks: machine ${busy}% busy, waiting for < ${QUIET_PERCENT}%" >&2
    sleep 10
  done
}

# Runs herald-load with the given arguments; the report goes to $results/$1.json.
run() {
  local name="$1"
  shift
  wait_quiet
  echo "run_benchmarks: $name" >&2
  "$load" "$@" --quiet --json "$results/$name.json" > "$results/$name.txt" 2>&1 \
    || echo "run_benchmarks: $name exited with $? (see $results/$name.txt)" >&2
}

# Records the commit and date of a group of runs in $results/$1.
write_meta() {
  python3 - "$results/$1" "$(git -C "$root" rev-parse --short HEAD)" "$duration" <<'PY'
import datetime, json, sys
json.dump({"commit": sys.argv[2], "duration": int(sys.argv[3]),
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")},
          open(sys.argv[1], "w"))
PY
}

[ -n "${SCENARIOS:-}" ] || write_meta meta.json
case " $scenarios " in
  *" fanout-1k "* | *" idle-streams "*) write_meta meta-streaming.json ;;
esac

# 1,000 subscribers that all have their replay before the workflow runs (--subscribe-first):
# $1 backend, $2 workflows, $3 subscribers per workflow, $4 burst|paced.
fanout() {
  local pace=(--fanout-tokens 200)
  [ "$4" = paced ] && pace=(--fanout-tokens 100 --token-interval-ms 100)
  run "$1-fanout-$2x$3-$4" --spawn "$1" --scenario sse-fanout --subscribe-first \
    --count "$2" --concurrency "$2" --subscribers "$3" --idle-workflows 0 "${pace[@]}"
}

for backend in $backends; do
  for scenario in $scenarios; do
    if [ "$scenario" = fanout-1k ]; then
      for shape in "1 1000" "10 100"; do
        for pace in burst paced; do
          # shellcheck disable=SC2086
          fanout "$backend" $shape "$pace"
        done
      done
      continue
    fi
    if [ "$scenario" = idle-streams ]; then
      run "$backend-idle-streams-10k" --spawn "$backend" --scenario idle-streams \
        --idle-workflows 100 --subscribers 100 --duration 20
      # All streams come from one address: lift the connection caps (by default three quarters of
      # the open files limit, half of that per address) to what the descriptors allow.
      run "$backend-idle-streams-max" --spawn "$backend" --scenario idle-streams \
        --idle-workflows 100 --subscribers 199 --duration 20 \
        --herald-arg=--http-max-connections=19950 \
        --herald-arg=--http-max-connections-per-address=19950
      continue
    fi
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
