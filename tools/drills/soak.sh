#!/usr/bin/env bash
# Soak: herald under the mixed scenario at half of its capacity for a long while (30 minutes by
# default), open loop, with herald-load's live invariant checks (each workflow completes exactly
# once, no task is delivered twice, every SSE stream is gapless; the re-read of every workflow
# after the run is left out: hundreds of thousands of them are a different test). Samples
# herald's RSS every 10 s during the load beside herald-load's throughput, writes them as CSV and
# as an SVG graph, and prints one verdict line:
#   soak: PASS|FAIL backend=B rate=R minutes=M completed=N errors=E violations=V
#         rss_warm_mib=A rss_min_mib=B rss_max_mib=C rss_spread_pct=S
# PASS: 0 errors, 0 violations, and every RSS sample after the warm-up (the first fifth of the
# run) within ±10 % of their median.
#
# Usage: bash tools/drills/soak.sh [--backend postgresql|sqlite] [--minutes 30] [--rate R]
#        [--out DIR] [--analyze]
# --analyze only redoes the verdict, CSV and graph from the files of an earlier run in --out.
# Without --rate, the capacity is measured first (a closed-loop run, then an open-loop probe that
# measures CPU use; see below) and the soak runs at half of it. Results go to --out (default: a temporary directory): soak.csv, soak.svg,
# report.json, load.log.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib/spawned_herald.sh
source "$root/tools/lib/spawned_herald.sh"
load="$root/build/tools/herald-load/herald-load"
export HERALD_BINARY="$root/build/api/herald"
backend=postgresql
minutes=30
rate=""
out=""
analyze_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend="$2"; shift 2 ;;
    --minutes) minutes="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --analyze) analyze_only=1; shift ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || out="$(mktemp -d "${TMPDIR:-/tmp}/herald-soak.XXXXXX")"
mkdir -p "$out"

load_status=0
if ((analyze_only)); then
  rate=$(cat "$out/rate.txt" 2>/dev/null || echo "?")
else
if [ -z "$rate" ]; then
  # Capacity, in two steps. A closed-loop run (64 in flight) finds the throughput C that
  # batching allows; an open-loop run at C/2 for 30 s then measures how busy that keeps the
  # machine's CPUs (u, from /proc/stat). The soak is open loop, where commits batch less, and
  # herald, PostgreSQL and herald-load share the machine: its open-loop capacity is taken as
  # (C/2)/u, the rate that would keep every CPU busy, and the soak runs at half of that.
  "$load" --spawn "$backend" -s mixed -c 64 -d 20 --quiet --verify none \
    --json "$out/capacity.json" > "$out/capacity.log" 2>&1
  probe=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(max(1, int(r["throughput"]["workflows_per_s"] / 2)))' "$out/capacity.json")
  cpu_times() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }
  "$load" --spawn "$backend" -s mixed --rate "$probe" -d 40 --quiet --verify none \
    --json "$out/probe.json" > "$out/probe.log" 2>&1 &
  probe_pid=$!
  sleep 10  # past the start-up
  read -r busy0 idle0 < <(cpu_times)
  sleep 30
  read -r busy1 idle1 < <(cpu_times)
  wait "$probe_pid" || true
  rate=$(python3 -c '
import sys
probe, busy, idle = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
u = busy / max(1.0, busy + idle)
print(f"probe {probe}/s kept the CPUs {u:.0%} busy", file=sys.stderr)
print(max(1, int(min(probe, probe / max(u, 0.01) / 2))))' "$probe" "$((busy1 - busy0))" "$((idle1 - idle0))" 2>> "$out/probe.log")
fi
echo "$rate" > "$out/rate.txt"
echo "soak: $backend, mixed at $rate workflows/s for $minutes min; results in $out" >&2

"$load" --spawn "$backend" -s mixed --rate "$rate" -d $((minutes * 60)) --drain-timeout 120 \
  --verify none --json "$out/report.json" > "$out/load.log" 2>&1 &
load_pid=$!
herald_pid="$(spawned_herald_pid "$load_pid" 60)"
[ -n "$herald_pid" ] || { echo "soak: herald did not start" >&2; wait "$load_pid"; exit 1; }

# RSS samples during the load: seconds since start, KiB.
start=$(date +%s)
echo "seconds,rss_kib" > "$out/rss.csv"
while kill -0 "$herald_pid" 2>/dev/null && (($(date +%s) - start <= minutes * 60)); do
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$herald_pid/status" 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(($(date +%s) - start)),$rss" >> "$out/rss.csv"
  sleep 10
done
wait "$load_pid" || load_status=$?
fi

python3 - "$out" "$minutes" "$rate" "$backend" "$load_status" <<'PY'
import csv, json, re, statistics, sys
out, minutes, rate, backend, load_status = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
rss = [(int(r["seconds"]), int(r["rss_kib"]) / 1024) for r in csv.DictReader(open(f"{out}/rss.csv"))
       if int(r["seconds"]) <= minutes * 60]
# herald-load prints a progress line every 5 s: "[  25.0s] started .. done N (R/s) ...".
rates = [(float(m.group(1)), float(m.group(2)))
         for m in re.finditer(r"\[\s*([\d.]+)s\] started \d+\s+done \d+ \(([\d.]+)/s\)",
                              open(f"{out}/load.log").read())]
with open(f"{out}/soak.csv", "w") as f:
    f.write("seconds,rss_mib,workflows_per_s\n")
    for t, mib in rss:
        near = min(rates, key=lambda r: abs(r[0] - t))[1] if rates else ""
        f.write(f"{t},{mib:.1f},{near}\n")
try:
    report = json.load(open(f"{out}/report.json"))
    completed, errors, violations = report["counts"]["completed"], report["error_total"], report["violation_total"]
except Exception:
    completed, errors, violations = -1, -1, -1
warm = minutes * 60 / 5
after = [mib for t, mib in rss if t >= warm]
median = statistics.median(after) if after else 0
spread = max(abs(x - median) for x in after) / median * 100 if after else 100
ok = errors == 0 and violations == 0 and completed > 0 and spread <= 10 and load_status == "0"

# The graph: RSS (left axis) and throughput (right axis) over time, plain SVG.
W, H, L, R, T, B = 720, 300, 60, 60, 20, 40
tmax = max([t for t, _ in rss] + [t for t, _ in rates] + [1])
rmax = max([m for _, m in rss] + [1]) * 1.2
qmax = max([q for _, q in rates] + [1]) * 1.2
def x(t): return L + (W - L - R) * t / tmax
def y(v, vmax): return H - B - (H - T - B) * v / vmax
def line(points, color):
    return f'<polyline fill="none" stroke="{color}" stroke-width="1.5" points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in points) + '"/>'
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
       f'<rect width="{W}" height="{H}" fill="white"/>',
       f'<line x1="{L}" y1="{H-B}" x2="{W-R}" y2="{H-B}" stroke="#888"/>',
       f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H-B}" stroke="#888"/>',
       f'<line x1="{W-R}" y1="{T}" x2="{W-R}" y2="{H-B}" stroke="#888"/>',
       f'<line x1="{x(warm):.1f}" y1="{T}" x2="{x(warm):.1f}" y2="{H-B}" stroke="#ccc" stroke-dasharray="4"/>',
       line([(x(t), y(m, rmax)) for t, m in rss], "#c0392b"),
       line([(x(t), y(q, qmax)) for t, q in rates], "#2471a3")]
for i in range(5):
    v = rmax * i / 4; q = qmax * i / 4
    svg.append(f'<text x="{L-6}" y="{y(v, rmax)+4:.1f}" text-anchor="end" fill="#c0392b">{v:.0f}</text>')
    svg.append(f'<text x="{W-R+6}" y="{y(q, qmax)+4:.1f}" fill="#2471a3">{q:.0f}</text>')
for i in range(7):
    t = tmax * i / 6
    svg.append(f'<text x="{x(t):.1f}" y="{H-B+16}" text-anchor="middle">{t/60:.0f} min</text>')
svg.append(f'<text x="{L}" y="{T-6}" fill="#c0392b">herald RSS (MiB)</text>')
svg.append(f'<text x="{W-R}" y="{T-6}" text-anchor="end" fill="#2471a3">workflows/s completed</text>')
svg.append(f'<text x="{x(warm)+4:.1f}" y="{T+12}" fill="#888">end of warm-up</text>')
svg.append("</svg>")
open(f"{out}/soak.svg", "w").write("\n".join(svg) + "\n")
print(f"soak: {'PASS' if ok else 'FAIL'} backend={backend} rate={rate} minutes={minutes:g} "
      f"completed={completed} errors={errors} violations={violations} "
      f"rss_warm_mib={median:.0f} rss_min_mib={min(after, default=0):.0f} "
      f"rss_max_mib={max(after, default=0):.0f} rss_spread_pct={spread:.1f}")
sys.exit(0 if ok else 1)
PY
