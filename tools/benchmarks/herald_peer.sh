#!/usr/bin/env bash
# Herald as one more peer of the harness in ../shared/peers (see its README): runs herald-load for
# the cases the peers run and prints ONE JSON line in their format, so that the harness's
# lib/summarize.mjs puts Herald beside them.
#   workflows: one-task ~ `one`, chain-5 ~ `chain5`, closed loop at each C (spawned herald on a
#              fresh database, herald-load's invariant checks on)
#   sse:       one workflow x SUBS subscribers connected first, MSGS tokens as fast as accepted,
#              and PACED_MSGS tokens at PACED_RATE per second (nchan's fan-out cases)
# Usage: bash tools/benchmarks/herald_peer.sh workflows|sse
# Env: BACKEND=postgresql|sqlite, CS=1,16,64, SHAPES=one,chain5, DUR=15, SUBSCRIBERS=1 (per
# workflow), WORKERS=8 (SDK-like workers of 10 workflow and 10 task polls each, so that a worker
# waits for every workflow in flight), SUBS=1000, MSGS=1000, PACED_RATE=20, PACED_MSGS=200,
# HERALD_BUILD_DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${HERALD_BUILD_DIR:-$root/build}"
load="$build/tools/herald-load/herald-load"
export HERALD_BINARY="$build/api/herald"
mode="${1:-workflows}"
backend="${BACKEND:-postgresql}"
tmp="$(mktemp -d /tmp/herald-peer.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
[ -x "$load" ] || { echo "herald_peer: $load is missing; run bash scripts/build.sh" >&2; exit 2; }

# Runs herald-load; its JSON report goes to $tmp/$1.json, and $tmp/cases lists it with its case.
run() {
  local name="$1" case="$2"
  shift 2
  echo "herald_peer: $backend $name" >&2
  "$load" --spawn "$backend" "$@" --quiet --json "$tmp/$name.json" > "$tmp/$name.log" 2>&1 \
    || echo "herald_peer: $name exited with $? (its report says why)" >&2
  [ -s "$tmp/$name.json" ] && echo "$name $case" >> "$tmp/cases"
}

if [ "$mode" = workflows ]; then
  IFS=, read -ra shapes <<< "${SHAPES:-one,chain5}"
  IFS=, read -ra cs <<< "${CS:-1,16,64}"
  for shape in "${shapes[@]}"; do
    scenario=one-task
    [ "$shape" = chain5 ] && scenario=chain-5
    for c in "${cs[@]}"; do
      run "$shape-$c" "workflow:$shape:$c" --scenario "$scenario" --concurrency "$c" \
        --duration "${DUR:-15}" --subscribers "${SUBSCRIBERS:-1}" --workers "${WORKERS:-8}"
    done
  done
else
  subs="${SUBS:-1000}"
  run burst "fanout:$subs:${MSGS:-1000}:0" --scenario sse-fanout --subscribe-first --count 1 \
    --concurrency 1 --subscribers "$subs" --idle-workflows 0 --fanout-tokens "${MSGS:-1000}"
  rate="${PACED_RATE:-20}"
  run paced "fanout:$subs:${PACED_MSGS:-200}:$rate" --scenario sse-fanout --subscribe-first \
    --count 1 --concurrency 1 --subscribers "$subs" --idle-workflows 0 \
    --fanout-tokens "${PACED_MSGS:-200}" --token-interval-ms $((1000 / rate))
fi

python3 - "$tmp" "$backend" "$mode" "$(git -C "$root" rev-parse --short HEAD)" <<'PY'
import datetime, json, os, sys

tmp, backend, mode, commit = sys.argv[1:5]
results = []
settings = {}
for line in open(os.path.join(tmp, "cases")) if os.path.exists(os.path.join(tmp, "cases")) else []:
    name, case = line.split()
    r = json.load(open(os.path.join(tmp, name + ".json")))
    server = r["server"]
    secs = max(r["measured_seconds"], 1e-9)
    settings = server.get("durability", settings)
    cpu = {"herald": round(100 * (server.get("cpu_seconds") or 0) / secs),
           "load": round(100 * server["tool_cpu_seconds"] / secs)}
    if server.get("db_cpu_seconds") is not None:
        cpu["postgres"] = round(100 * server["db_cpu_seconds"] / secs)
    cpu["other"] = round(100 * server["other_cpu_seconds"] / secs)
    kind = case.split(":")
    if kind[0] == "workflow":
        lat = r["latency_ms"]["start_to_complete"]
        results.append({"kind": "herald", "shape": kind[1], "c": int(kind[2]),
                        "ops_s": round(r["throughput"]["workflows_per_s"], 2),
                        "completed": r["counts"]["completed"],
                        "errors": r["error_total"], "violations": r["violation_total"],
                        "latency_ms": {k: lat[k] for k in ("p50", "p90", "p99", "max")},
                        "cpu_pct": cpu, "per_workflow": r.get("per_workflow", {})})
    else:
        subs, msgs, rate = int(kind[1]), int(kind[2]), int(kind[3])
        lat = r["latency_ms"]["sse_token_delivery"]
        live = r["counts"]["sse_live_events"]
        results.append({"mode": "fanout", "subs": subs, "published": msgs,
                        "pub_rate_target": rate if rate else "as fast as accepted",
                        "deliveries_s": round(r["throughput"]["live_deliveries_per_s"]),
                        "publish_msgs_s": round(r["counts"]["tokens_sent"] / max(r["throughput"]["live_window_s"], 1e-9)),
                        "delivered": live, "expected": live + 0,
                        "latency_ms": {k: lat[k] for k in ("p50", "p90", "p99", "max")},
                        "cpu_pct": {"server": cpu["herald"], "subscriber_procs": cpu["load"], "publisher": 0},
                        "violations": r["violation_total"]})
print(json.dumps({
    "peer": f"herald-{backend}" + ("" if mode == "workflows" else "-sse"),
    "ts": datetime.datetime.now(datetime.timezone.utc).isoformat(),
    "version": f"herald {commit}",
    "setup": ("herald (spawned, fresh database) + herald-load (SDK-like gRPC workers, "
              "one SSE subscriber per workflow; start -> completion acknowledged), all on this machine"
              if mode == "workflows" else
              "herald (spawned) + herald-load: one workflow whose task streams tokens "
              "(StreamTaskData, each durable), subscribers connected first, one process"),
    "durability_settings": settings,
    "results": results}))
PY
