#!/usr/bin/env python3
"""Herald beside its peers, from the result files of one compare_peers.sh run: medians over the
interleaved rounds of every case, Herald's throughput as a multiple of Restate's best kind, the
cost of one Herald workflow (CPU, commits, context switches) and SSE fan-out beside nchan.

Usage: python3 tools/benchmarks/peer_report.py RESULTS_DIR > peers.md
"""
import glob
import json
import os
import re
import statistics
import sys


def load(results):
    """Returns {peer: [(round, parsed JSON line)]}."""
    runs = {}
    for path in sorted(glob.glob(os.path.join(results, "*-r*.json"))):
        m = re.match(r"(.+)-r(\d+)\.json$", os.path.basename(path))
        if not m:
            continue
        try:
            line = open(path).read().strip().split("\n")[-1]
            runs.setdefault(m.group(1), []).append(json.loads(line))
        except (ValueError, IndexError):
            continue
    return runs


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def workflow_cases(runs):
    """(peer, kind, shape, c) -> list of result rows over rounds."""
    cases = {}
    for peer, lines in runs.items():
        for o in lines:
            for r in o.get("results", []):
                if "shape" in r:
                    cases.setdefault((peer, r.get("kind", ""), r["shape"], r["c"]), []).append(r)
    return cases


def fanout_cases(runs):
    cases = {}
    for peer, lines in runs.items():
        for o in lines:
            for r in o.get("results", []):
                if r.get("mode") == "fanout":
                    rate = r["pub_rate_target"]
                    label = ("burst" if rate == "as fast as accepted" else f"{rate} msg/s")
                    cases.setdefault((peer, r["subs"], label), []).append(r)
    return cases


def fmt(x, digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def main():
    results = sys.argv[1]
    runs = load(results)
    machine = {}
    try:
        machine = json.load(open(os.path.join(results, "machine.json")))
    except (OSError, ValueError):
        pass
    wf = workflow_cases(runs)
    out = []
    rounds = max((len(v) for v in runs.values()), default=0)
    out.append(f"Measured {machine.get('date', '?')} at herald commit `{machine.get('commit', '?')}` "
               f"on {machine.get('cores', '?')} cores ({machine.get('cpu', '?')}, kernel "
               f"{machine.get('kernel', '?')}; {fmt(machine.get('tmp_fdatasync_8k_ops_s'))} "
               f"fdatasync/s on /tmp). Medians of {rounds} interleaved rounds; every peer and "
               "every load client share the two cores.")
    out.append("")
    shapes = [("one", "one-task ~ `one`"), ("chain5", "chain-5 ~ `chain5`")]
    cs = sorted({k[3] for k in wf})
    herald_peers = [p for p in ("herald-postgresql", "herald-sqlite") if p in runs]
    others = sorted({(k[0], k[1]) for k in wf if not k[0].startswith("herald")})
    out.append("| shape | in flight | " + " | ".join(
        [f"{p} wf/s (p50 / p99 ms)" for p in herald_peers]
        + [f"{p} {k} wf/s (p50 / p99 ms)" for p, k in others]) + " | Herald PG ÷ best Restate |")
    out.append("|---|---:|" + "---:|" * (len(herald_peers) + len(others)) + "---:|")
    for shape, label in shapes:
        for c in cs:
            cells = []
            herald_pg = None
            best_restate = None
            for peer, kind in [(p, "herald") for p in herald_peers] + others:
                rows = wf.get((peer, kind, shape, c), [])
                ops = median(r["ops_s"] for r in rows)
                p50 = median(r["latency_ms"]["p50"] for r in rows)
                p99 = median(r["latency_ms"]["p99"] for r in rows)
                cells.append(f"{fmt(ops)} ({fmt(p50, 1)} / {fmt(p99, 1)})" if rows else "–")
                if peer == "herald-postgresql":
                    herald_pg = ops
                if peer == "restate" and ops is not None:
                    best_restate = max(best_restate or 0, ops)
            ratio = (f"{herald_pg / best_restate:.2f}×" if herald_pg and best_restate else "–")
            out.append(f"| {label} | {c} | " + " | ".join(cells) + f" | {ratio} |")
    out.append("")
    out.append("Cost of one Herald workflow (medians; CPU in ms per completed workflow, herald-load "
               "on the same cores):")
    out.append("")
    out.append("| backend | shape | in flight | herald CPU | PostgreSQL CPU | herald + PG | "
               "herald-load CPU | commits | transactions | batches / transaction | "
               "context switches | invariant violations |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for peer in herald_peers:
        for shape, label in shapes:
            for c in cs:
                rows = wf.get((peer, "herald", shape, c), [])
                if not rows:
                    continue
                pw = lambda k: median(r.get("per_workflow", {}).get(k) for r in rows)
                herald_ms, db_ms = pw("herald_cpu_ms"), pw("db_cpu_ms")
                both = (herald_ms or 0) + (db_ms or 0) if herald_ms is not None else None
                out.append(f"| {peer.split('-', 1)[1]} | {shape} | {c} | {fmt(herald_ms, 3)} | "
                           f"{fmt(db_ms, 3)} | {fmt(both, 3)} | {fmt(pw('tool_cpu_ms'), 3)} | "
                           f"{fmt(pw('commits'), 2)} | {fmt(pw('transactions'), 2)} | "
                           f"{fmt(pw('batches_per_transaction'), 1)} | "
                           f"{fmt(pw('context_switches'), 1)} | "
                           f"{sum(r.get('violations', 0) for r in rows)} |")
    fo = fanout_cases(runs)
    if fo:
        out.append("")
        out.append("SSE fan-out, one stream × 1,000 subscribers that connected first (Herald: "
                   "every token a durable StreamTaskData; nchan: memory store, not durable):")
        out.append("")
        out.append("| peer | case | deliveries/s | p50 ms | p99 ms | server CPU % | "
                   "client CPU % |")
        out.append("|---|---|---:|---:|---:|---:|---:|")
        for (peer, subs, label), rows in sorted(fo.items()):
            out.append(f"| {peer} | {subs} subs, {label} | "
                       f"{fmt(median(r['deliveries_s'] for r in rows))} | "
                       f"{fmt(median(r['latency_ms']['p50'] for r in rows), 1)} | "
                       f"{fmt(median(r['latency_ms']['p99'] for r in rows), 1)} | "
                       f"{fmt(median(r['cpu_pct'].get('server') for r in rows))} | "
                       f"{fmt(median(r['cpu_pct'].get('subscriber_procs') for r in rows))} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
