#!/usr/bin/env bash
# Profiles herald under one herald-load scenario with perf (CPU samples with call graphs of
# the herald process only) and writes the summaries make_report.py includes:
#   docs/benchmarks/results/profile-<backend>-<scenario>.{json,threads,thread-libs,self,children}.txt
# Usage: bash tools/benchmarks/profile.sh BACKEND SCENARIO [herald-load args...]
#   e.g. bash tools/benchmarks/profile.sh sqlite one-task --concurrency 50 --duration 20
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/spawned_herald.sh
source "$root/tools/lib/spawned_herald.sh"
build="${HERALD_BUILD_DIR:-$root/build}"
load="$build/tools/herald-load/herald-load"
export HERALD_BINARY="$build/api/herald"
backend="$1"
scenario="$2"
shift 2
results="$root/docs/benchmarks/results"
name="profile-$backend-$scenario"
data="$(mktemp -d)/perf.data"
mkdir -p "$results"

"$load" --spawn "$backend" --scenario "$scenario" "$@" --verify none --quiet \
  --json "$results/$name.json" > "$results/$name.txt" 2>&1 &
load_pid=$!
herald_pid="$(spawned_herald_pid "$load_pid")"
[ -n "$herald_pid" ] || { echo "profile: herald did not start" >&2; wait "$load_pid"; exit 1; }
sleep 2  # past start-up and worker registration
perf record -F 499 -g -p "$herald_pid" -o "$data" 2> /dev/null &
perf_pid=$!
wait "$load_pid" || true
kill -INT "$perf_pid" 2> /dev/null || true
wait "$perf_pid" 2> /dev/null || true

report() { perf report -i "$data" --stdio --no-header "$@" 2> /dev/null | grep -v '^#' | grep -v '^$'; }
report --sort comm --no-children -g none --percent-limit 0.5 > "$results/$name.threads.txt"
report --sort comm,dso --no-children -g none --percent-limit 1.5 > "$results/$name.thread-libs.txt"
report --sort dso,sym --no-children -g none --percent-limit 0.7 | head -40 > "$results/$name.self.txt"
report --sort sym --children -g none --percent-limit 4 | head -60 > "$results/$name.children.txt"
rm -rf "$(dirname "$data")"
echo "profile: wrote $results/$name.*" >&2
