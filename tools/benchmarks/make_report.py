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
    runs = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        name = os.path.basename(path)[:-5]
        if name == "meta":
            continue
        with open(path) as f:
            runs[name] = json.load(f)
    meta = {}
    meta_path = os.path.join(folder, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            meta = json.load(f)
    return runs, meta


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def short_command(run):
    """The command as run, with paths relative to the repository."""
    return run["command"].replace(ROOT + "/", "")


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
    out.append(
        f"{c['started']:,} workflows started, {c['completed']:,} completed in "
        f"{run['measured_seconds']:.1f} s; {c['activations']:,} activations, "
        f"{c['tasks_completed']:,} tasks, {c['tokens_sent']:,} tokens, {c['timers_started']:,} timers "
        f"(at most {c['timers_pending_peak']:,} pending at once), {c['sse_events']:,} SSE events on "
        f"{c['sse_connections']:,} connections (at most {c['sse_open_peak']:,} open); "
        f"{c['verified']:,} workflows re-verified after the run.")
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
    runs, meta = load(folder)
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
            out.append(f"During the profile: {fmt(t['workflows_per_s'])} workflows/s, herald CPU "
                       f"{cpu_share(run)} of one core.")
            out.append("")
            include(out, folder, f"profile-{p}.threads.txt", "CPU by thread (self time):")
            include(out, folder, f"profile-{p}.thread-libs.txt",
                    "CPU by thread and library (self time):")
            include(out, folder, f"profile-{p}.self.txt", "Hottest functions (self time):")
            include(out, folder, f"profile-{p}.children.txt",
                    "Inclusive time (function and what it calls):")
        out.extend(notes.get("profile-findings", []))
        out.append("")
    out.append("## Every run")
    out.append("")
    for backend, title in BACKENDS:
        for scenario in SCENARIOS:
            for kind in ("closed", "open"):
                name = f"{backend}-{scenario}-{kind}"
                if name in runs:
                    detail(out, name, runs[name])
    print("\n".join(out))


if __name__ == "__main__":
    main()
