#!/usr/bin/env bash
# Herald beside its peers, from one run on this machine (../shared/peers: Restate, DBOS, nchan):
# RUNS interleaved rounds (round 1 of every item, then round 2, ...), so that slow drifts of a
# shared machine spread over all of them; then the harness's medians (summary.md) and Herald's
# comparison table (peers.md, tools/benchmarks/peer_report.py).
# Usage: bash tools/benchmarks/compare_peers.sh [OUT_DIR]
# Env: RUNS=3, ITEMS (default below), DUR=15 (seconds per case), PEERS_SRC (the harness,
# default ../shared/peers beside the repository), PEERS_WORK (a writable copy, default
# /tmp/herald-peers), CS=1,16,64.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
src="${PEERS_SRC:-$root/../shared/peers}"
work="${PEERS_WORK:-/tmp/herald-peers}"
runs="${RUNS:-3}"
items="${ITEMS:-herald-postgresql herald-sqlite restate dbos nchan herald-sse}"
out="${1:-$work/results-$(date -u +%Y%m%d-%H%M)}"
export DUR="${DUR:-15}" CS="${CS:-1,16,64}"

[ -d "$work" ] || cp -r "$src" "$work"
bash "$work/setup.sh" >&2
mkdir -p "$out"

item_cmd() {
  case "$1" in
    herald-postgresql) echo "env BACKEND=postgresql bash $root/tools/benchmarks/herald_peer.sh workflows" ;;
    herald-sqlite) echo "env BACKEND=sqlite bash $root/tools/benchmarks/herald_peer.sh workflows" ;;
    herald-sse) echo "env BACKEND=postgresql bash $root/tools/benchmarks/herald_peer.sh sse" ;;
    restate) echo "env bash $work/restate/bench.sh" ;;
    dbos) echo "env bash $work/dbos/bench.sh" ;;
    # nchan's fan-out cases that match herald_peer.sh sse: 1,000 subscribers, burst and paced.
    nchan) echo "env IDLE= FANOUT=1000:1000 PACED=1000:20:200 bash $work/sse/nchan.sh" ;;
    *) echo "compare_peers: unknown item $1" >&2; return 1 ;;
  esac
}

# What else ran meanwhile: the machine is shared.
(cd /tmp && timeout 60 /usr/lib/postgresql/15/bin/pg_test_fsync -s 1 -f "/tmp/peers-fsync.$$" 2>/dev/null \
  | awk '/^ +fdatasync/ {print $2; exit}') > "$out/fdatasync.txt" || true
rm -f "/tmp/peers-fsync.$$"
python3 - "$out" "$(git -C "$root" rev-parse --short HEAD)" <<'PY'
import datetime, json, os, sys
out, commit = sys.argv[1:3]
fs = open(os.path.join(out, "fdatasync.txt")).read().strip()
json.dump({"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "commit": commit, "cores": os.cpu_count(),
           "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), ""),
           "kernel": os.uname().release, "tmp_fdatasync_8k_ops_s": float(fs) if fs else None},
          open(os.path.join(out, "machine.json"), "w"))
PY

for ((r = 1; r <= runs; r++)); do
  for item in $items; do
    echo "[$(date +%T)] round $r/$runs: $item" >&2
    # shellcheck disable=SC2046
    if timeout -k 30 1800 $(item_cmd "$item") > "$out/$item-r$r.json.tmp" 2> "$out/$item-r$r.log" \
      && [ -s "$out/$item-r$r.json.tmp" ]; then
      mv "$out/$item-r$r.json.tmp" "$out/$item-r$r.json"
    else
      echo "  $item round $r FAILED (see $out/$item-r$r.log)" >&2
      rm -f "$out/$item-r$r.json.tmp"
    fi
  done
done
node "$work/lib/summarize.mjs" "$out" > "$out/summary.md"
python3 "$root/tools/benchmarks/peer_report.py" "$out" > "$out/peers.md"
echo "compare_peers: $out/summary.md and $out/peers.md" >&2
