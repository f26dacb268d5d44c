#!/usr/bin/env python3
"""Writes docs/benchmarks.md (to stdout) from herald-load --json reports.

Usage: python3 tools/benchmarks/make_report.py docs/benchmarks/results > docs/benchmarks.md

Every number on the page comes from the JSON files in the results folder (written by
tools/benchmarks/run_benchmarks.sh and profile.sh); the prose comes from notes.md next to
this script. Nothing is typed by hand into the page.
"""

import glob
import json
import os
import re
import sys

SCENARIOS = ["one-task", "chain-5", "fan-out-10", "timers", "tokens", "sse-fanout", "mixed",
             "timer-lateness"]
BACKENDS = [("sqlite", "SQLite"), ("postgresql", "PostgreSQL")]
LATENCIES = [
    ("start_to_complete", "start → complete"),
    ("task_dispatch", "task dispatch (ready → delivered to a parked poll)"),
    ("activation", "workflow activation (delivered → commands acked)"),
    ("sse_state_delivery", "commit → SSE delivery (state events)"),
    ("sse_token_delivery", "token → SSE delivery"),
    ("timer_lateness", "timer lateness (TIMER_FIRED − fireAtMs)"),
]


def load(folder):
    """Returns the runs by name and the meta files (meta.json, meta-*.json) by name."""
    runs = {}
    metas = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        name = os.path.basename(path)[:-5]
        with open(path) as f:
            (metas if name == "meta" or name.startswith("meta-") else runs)[name] = json.load(f)
    return runs, metas


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def short_command(run):
    """The command as run, with paths relative to the repository (whichever checkout ran it)."""
    command = run["command"].replace(ROOT + "/", "")
    return re.sub(r"/\S*/(docs/benchmarks/results/)", r"\1", command)


def fmt(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def lat(run, key, q):
    s = run["latency_ms"][key]
    return None if s["count"] == 0 else s[q]


def pair(run, key):
    p50, p99 = lat(run, key, "p50"), lat(run, key, "p99")
    if p50 is None:
        return "–"
    return f"{fmt(p50, 1)} / {fmt(p99, 1)}"


def cpu_share(run):
    cpu = run["server"]["cpu_seconds"]
    if cpu is None or run["measured_seconds"] <= 0:
        return "–"
    return f"{100 * cpu / run['measured_seconds']:.0f}%"


def db_share(run):
    cpu = run["server"].get("db_cpu_seconds")
    if cpu is None or run["measured_seconds"] <= 0:
        return "–"
    return f"{100 * cpu / run['measured_seconds']:.0f}%"


def tool_share(run):
    cpu = run["server"].get("tool_cpu_seconds")
    if cpu is None or run["measured_seconds"] <= 0:
        return "–"
    return f"{100 * cpu / run['measured_seconds']:.0f}%"


def other_share(run):
    cpu = run["server"].get("other_cpu_seconds")
    if cpu is None or run["measured_seconds"] <= 0:
        return "–"
    return f"{100 * cpu / run['measured_seconds']:.0f}%"


def rss(run):
    b = run["server"]["peak_rss_bytes"]
    return "–" if b is None else f"{b / (1 << 20):.0f} MiB"


def mode(run):
    c = run["config"]
    if c["mode"] == "closed":
        return f"closed, {c['concurrency']} in flight"
    return f"open, {fmt(c['rate'], 0)}/s"


def cpu_over(run, key, seconds):
    cpu = run["server"].get(key)
    if cpu is None or not seconds:
        return "–"
    return f"{100 * cpu / seconds:.0f}%"


def mib(b):
    return "–" if b is None else f"{b / (1 << 20):.1f}"


def verdict(run):
    v = run["violation_total"]
    e = run["error_total"]
    return ("✅" if v == 0 else f"❌ {v}") + ("" if e == 0 else f" ({e} errors)")


def summary_table(out, runs, backend):
    out.append("| scenario | load | workflows/s | steps/s | SSE events/s | start→complete p50 / p99 ms "
               "| dispatch p50 / p99 ms | commit→SSE p50 / p99 ms | herald CPU | DB CPU "
               "| herald-load CPU | other CPU | peak RSS | invariants |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for scenario in SCENARIOS:
        for kind in ("closed", "open"):
            run = runs.get(f"{backend}-{scenario}-{kind}")
            if not run:
                continue
            t = run["throughput"]
            out.append(
                f"| {scenario} | {mode(run)} | {fmt(t['workflows_per_s'])} | {fmt(t['steps_per_s'])} "
                f"| {fmt(t['events_delivered_per_s'], 0)} | {pair(run, 'start_to_complete')} "
                f"| {pair(run, 'task_dispatch')} | {pair(run, 'sse_state_delivery')} "
                f"| {cpu_share(run)} | {db_share(run)} | {tool_share(run)} | {other_share(run)} "
                f"| {rss(run)} "
                f"| {verdict(run)} |")
    out.append("")


def detail(out, name, run):
    out.append(f"#### {name}")
    out.append("")
    out.append("```")
    out.append(short_command(run))
    out.append("```")
    c = run["counts"]
    r = run.get("idle_streams")
    if r:
        out.append(
            f"{r['requested']:,} idle streams on {r['workflows']} workflows: {r['ready']:,} got "
            f"their replay in {r['open_seconds']:.1f} s, held for {r['hold_seconds']:.1f} s, "
            f"{r['failed']} failed, {r['reconnects']} reconnects, {r['open_at_end']:,} still open "
            f"at the end; herald RSS {mib(r['rss_before'])} MiB before, {mib(r['rss_open'])} MiB "
            f"all open, {mib(r['rss_held'])} MiB at the end of the hold, {mib(r['rss_closed'])} "
            f"MiB after closing; {fmt(r['bytes_per_stream'], 0)} bytes per idle stream "
            f"({fmt(r['bytes_per_stream_open'], 0)} right after opening).")
        out.append("")
    out.append(
        f"{c['started']:,} workflows started, {c['completed']:,} completed in "
        f"{run['measured_seconds']:.1f} s; {c['activations']:,} activations, "
        f"{c['tasks_completed']:,} tasks, {c['tokens_sent']:,} tokens, {c['timers_started']:,} timers "
        f"(at most {c['timers_pending_peak']:,} pending at once), {c['sse_events']:,} SSE events on "
        f"{c['sse_connections']:,} connections (at most {c['sse_open_peak']:,} open); "
        f"{c['verified']:,} workflows re-verified after the run.")
    out.append("")
    t = run["throughput"]
    if c.get("sse_live_events"):
        out.append(f"{c['sse_live_events']:,} live SSE deliveries in {t['live_window_s']:.1f} s "
                   f"(first to last): {fmt(t['live_deliveries_per_s'], 0)} deliveries/s.")
        out.append("")
    out.append("| latency (ms) | count | p50 | p90 | p99 | p99.9 | max |")
    out.append("|---|---:|---:|---:|---:|---:|---:|")
    for key, title in LATENCIES:
        s = run["latency_ms"][key]
        if s["count"] == 0:
            continue
        out.append(f"| {title} | {s['count']:,} | {fmt(s['p50'], 2)} | {fmt(s['p90'], 2)} "
                   f"| {fmt(s['p99'], 2)} | {fmt(s['p999'], 2)} | {fmt(s['max'], 2)} |")
    out.append("")
    if run["errors"]:
        out.append("Errors: " + ", ".join(f"{k} × {v}" for k, v in run["errors"].items()) + ".")
        out.append("")
    if run["violations"]:
        out.append("Violations:")
        out.append("")
        for v in run["violations"]:
            out.append(f"- {v}")
        out.append("")


# The streaming runs of run_benchmarks.sh, in the order the tables show them.
FANOUT_RUNS = ["fanout-1x1000-burst", "fanout-10x100-burst", "fanout-1x1000-paced",
               "fanout-10x100-paced"]
IDLE_RUNS = ["idle-streams-10k", "idle-streams-max"]
FANOUT_TARGET_P99_MS = 5
IDLE_TARGET_STREAMS = 10000
IDLE_TARGET_BYTES = 16 * 1024


def streaming_runs(runs, names):
    for backend, title in BACKENDS:
        for name in names:
            run = runs.get(f"{backend}-{name}")
            if run:
                yield backend, title, name, run


def fanout_shape(run):
    c = run["config"]
    tokens = c.get("fanout_tokens", 10)
    interval = c.get("token_interval_ms", 0)
    pace = "back to back" if interval == 0 else f"1 per {interval} ms"
    workflows = c["count"] if c["count"] > 0 else c["concurrency"]
    return (f"{workflows:,} × {c['subscribers']:,}", f"{tokens:,} tokens each, {pace}")


def fanout_table(out, runs):
    out.append("| backend | workflows × subscribers | events | peak open | live deliveries "
               "| deliveries/s | commit→SSE p50 / p99 ms | token→SSE p50 / p99 ms "
               "| herald CPU | herald-load CPU | other CPU | peak RSS | invariants "
               f"| p99 < {FANOUT_TARGET_P99_MS} ms |")
    out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for backend, title, name, run in streaming_runs(runs, FANOUT_RUNS):
        shape, events = fanout_shape(run)
        c = run["counts"]
        t = run["throughput"]
        secs = run.get("active_seconds") or run["measured_seconds"]
        p99s = [lat(run, k, "p99") for k in ("sse_state_delivery", "sse_token_delivery")]
        p99s = [p for p in p99s if p is not None]
        target = "–" if not p99s else ("✅" if max(p99s) < FANOUT_TARGET_P99_MS else "❌")
        out.append(
            f"| {title} | {shape} | {events} | {c['sse_open_peak']:,} | {c['sse_live_events']:,} "
            f"| {fmt(t['live_deliveries_per_s'], 0)} | {pair(run, 'sse_state_delivery')} "
            f"| {pair(run, 'sse_token_delivery')} | {cpu_over(run, 'cpu_seconds', secs)} "
            f"| {cpu_over(run, 'tool_cpu_seconds', secs)} "
            f"| {cpu_over(run, 'other_cpu_seconds', secs)} | {rss(run)} | {verdict(run)} "
            f"| {target} |")
    out.append("")


def idle_table(out, runs):
    out.append("| backend | streams requested (workflows × streams) | got their replay | failed "
               "| open after the hold | hold s | herald RSS MiB: before → all open → end of hold "
               "→ closed | bytes per idle stream | herald fds held / limit "
               f"| {IDLE_TARGET_STREAMS:,} under {IDLE_TARGET_BYTES // 1024} KiB |")
    out.append("|---|---|---:|---:|---:|---:|---|---:|---:|---|")
    for backend, title, name, run in streaming_runs(runs, IDLE_RUNS):
        r = run["idle_streams"]
        per = r["bytes_per_stream"]
        ok = (r["ready"] >= IDLE_TARGET_STREAMS and r["failed"] == 0 and per is not None
              and per < IDLE_TARGET_BYTES)
        fds = "–" if r["fds_held"] is None else f"{r['fds_held']:,} / {r['fd_limit']:,}"
        out.append(
            f"| {title} | {r['requested']:,} ({r['workflows']} × {r['streams_per_workflow']}) "
            f"| {r['ready']:,} | {r['failed']:,} | {r['open_at_end']:,} | {r['hold_seconds']:.0f} "
            f"| {mib(r['rss_before'])} → {mib(r['rss_open'])} → {mib(r['rss_held'])} → "
            f"{mib(r['rss_closed'])} | {fmt(per, 0)} | {fds} | {'✅' if ok else '❌'} |")
    out.append("")


def streaming_summary(out, runs):
    """One line per backend with the numbers the issue asks for, computed from the runs."""
    lines = []
    for backend, title in BACKENDS:
        parts = []
        burst = runs.get(f"{backend}-fanout-1x1000-burst")
        if burst and burst["throughput"]["live_deliveries_per_s"] > 0:
            rate = burst["throughput"]["live_deliveries_per_s"]
            parts.append(f"{fmt(rate, 0)} deliveries/s at full fan-out (one every "
                         f"{1e6 / rate:.0f} µs), so one event reaches the last of 1,000 "
                         f"subscribers of one workflow about {1000 * 1000 / rate:.0f} ms after "
                         "the first")
        for name, shape in (("fanout-1x1000-paced", "1 × 1,000"),
                            ("fanout-10x100-paced", "10 × 100")):
            run = runs.get(f"{backend}-{name}")
            if run:
                parts.append(f"commit→SSE p50 / p99 {pair(run, 'sse_state_delivery')} ms and "
                             f"token→SSE {pair(run, 'sse_token_delivery')} ms with {shape} "
                             "paced")
        held = [runs[f"{backend}-{n}"]["idle_streams"] for n in IDLE_RUNS
                if f"{backend}-{n}" in runs]
        held = [r for r in held if r["failed"] == 0]
        if held:
            best = max(held, key=lambda r: r["ready"])
            parts.append(f"{best['ready']:,} idle streams held at once, "
                         f"{fmt(best['bytes_per_stream'], 0)} bytes of herald RSS each")
        if parts:
            lines.append(f"- **{title}**: " + "; ".join(parts) + ".")
    if lines:
        out.append("In short:")
        out.append("")
        out.extend(lines)
        out.append("")


def include(out, folder, filename, title):
    path = os.path.join(folder, filename)
    if not os.path.exists(path):
        return
    out.append(title)
    out.append("")
    out.append("```")
    with open(path) as f:
        out.extend(line.rstrip() for line in f)
    out.append("```")
    out.append("")


def durability(runs, backend):
    for name, run in runs.items():
        if name.startswith(backend + "-") and run["server"]["durability"]:
            return ", ".join(f"`{k}={v}`" for k, v in sorted(run["server"]["durability"].items()))
    return "unknown"


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else "docs/benchmarks/results"
    runs, metas = load(folder)
    meta = metas.get("meta", {})
    notes_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
    notes = {}
    if os.path.exists(notes_path):
        section = None
        with open(notes_path) as f:
            for line in f:
                if line.startswith("<!-- section: "):
                    section = line.strip()[len("<!-- section: "):-len(" -->")]
                    notes[section] = []
                elif section:
                    notes[section].append(line.rstrip("\n"))
    any_run = next(iter(runs.values()), None)
    out = ["# Herald benchmarks", "",
           "<!-- Generated by tools/benchmarks/make_report.py from docs/benchmarks/results/*.json;"
           " do not edit by hand: rerun tools/benchmarks/run_benchmarks.sh. -->", ""]
    peers = os.path.join(os.path.dirname(os.path.abspath(folder)), "peers", "peers.md")
    if os.path.exists(peers):
        out.append("## Herald beside its peers")
        out.append("")
        out.extend(notes.get("peers", []))
        out.append("")
        with open(peers) as f:
            out.extend(line.rstrip() for line in f)
        out.append("")
        out.extend(notes.get("peers-findings", []))
        out.append("")
        out.append("## Every scenario")
        out.append("")
    out.extend(notes.get("intro", []))
    if any_run:
        m = any_run["machine"]
        out.append(f"- Machine: {m['cpus']} CPUs ({m['cpu_model']}), {m['kernel']}; herald-load "
                   "runs on the same machine and shares the cores (its own CPU is in the tables).")
    if meta:
        out.append(f"- Herald commit `{meta.get('commit', '?')}`, measured {meta.get('date', '?')},"
                   f" {meta.get('duration', '?')} s per closed/open run.")
    for backend, title in BACKENDS:
        out.append(f"- {title} durability: {durability(runs, backend)}.")
    out.append("")
    out.extend(notes.get("method", []))
    out.append("")
    for backend, title in BACKENDS:
        out.append(f"## {title}")
        out.append("")
        summary_table(out, runs, backend)
    out.extend(notes.get("findings", []))
    out.append("")
    profiles = sorted({n[len("profile-"):] for n in runs if n.startswith("profile-")})
    if profiles:
        out.append("## Where the time goes")
        out.append("")
        out.extend(notes.get("profile", []))
        out.append("")
        for p in profiles:
            run = runs["profile-" + p]
            out.append(f"### Profile: {p}")
            out.append("")
            out.append("```")
            out.append(short_command(run))
            out.append("```")
            t = run["throughput"]
            if run["counts"].get("sse_live_events"):
                secs = run.get("active_seconds") or run["measured_seconds"]
                out.append(f"During the profile: {fmt(t['live_deliveries_per_s'], 0)} SSE "
                           f"deliveries/s, herald CPU {cpu_over(run, 'cpu_seconds', secs)} of "
                           "one core until the last delivery.")
            else:
                out.append(f"During the profile: {fmt(t['workflows_per_s'])} workflows/s, herald "
                           f"CPU {cpu_share(run)} of one core.")
            out.append("")
            include(out, folder, f"profile-{p}.threads.txt", "CPU by thread (self time):")
            include(out, folder, f"profile-{p}.thread-libs.txt",
                    "CPU by thread and library (self time):")
            include(out, folder, f"profile-{p}.self.txt", "Hottest functions (self time):")
            include(out, folder, f"profile-{p}.children.txt",
                    "Inclusive time (function and what it calls):")
            out.extend(notes.get(f"profile-{p}", []))
        out.extend(notes.get("profile-findings", []))
        out.append("")
    if any(True for _ in streaming_runs(runs, FANOUT_RUNS + IDLE_RUNS)):
        out.append("## Streaming: fan-out to 1,000 subscribers, idle streams")
        out.append("")
        streaming_meta = metas.get("meta-streaming", {})
        if streaming_meta:
            out.append(f"Herald commit `{streaming_meta.get('commit', '?')}`, measured "
                       f"{streaming_meta.get('date', '?')}.")
            out.append("")
        out.extend(notes.get("streaming-method", []))
        out.append("")
        out.append("### Fan-out to 1,000 subscribers")
        out.append("")
        fanout_table(out, runs)
        out.append("### Idle streams")
        out.append("")
        idle_table(out, runs)
        streaming_summary(out, runs)
        out.extend(notes.get("streaming-findings", []))
        out.append("")
    out.append("## Every run")
    out.append("")
    for backend, title in BACKENDS:
        for scenario in SCENARIOS:
            for kind in ("closed", "open"):
                name = f"{backend}-{scenario}-{kind}"
                if name in runs:
                    detail(out, name, runs[name])
    for backend, title, name, run in streaming_runs(runs, FANOUT_RUNS + IDLE_RUNS):
        detail(out, f"{backend}-{name}", run)
    print("\n".join(out))


if __name__ == "__main__":
    main()
