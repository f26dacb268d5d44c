#!/usr/bin/env python3
"""Renders docs/streaming-events.md from its template and the payloads a real run recorded.

    python3 tools/docs/make_streaming_guide.py examples.json > docs/streaming-events.md

examples.json is what tests/e2e/stream_catalogue_test.cpp writes to $HERALD_STREAM_EXAMPLES_OUT;
tools/docs/make_streaming_guide.sh builds, runs that test and calls this script. Every payload on
the page comes from that file; the prose comes from streaming-events.template.md and from the
descriptions below.
"""

import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TEMPLATE = HERE / "streaming-events.template.md"
EXAMPLE_JS = ROOT / "docs" / "examples" / "watch-workflow.js"

# (title, snapshot fields, [(event, when it is sent)]), in the order of the page.
CATEGORIES = [
    (
        "Workflow",
        "WorkflowSnapshot: `id`, `kind`, `status` (PENDING, RUNNING, WAITING, COMPLETED, FAILED, "
        "CANCELLED), `workerId`?, `error`?, `parentWorkflowExecutionId`? (children), "
        "`suspendType`? (WORKFLOW_SUSPENDED only)",
        [
            ("WORKFLOW_CREATED", "The execution exists (started over REST or gRPC, or as a child). "
             "The first event of every stream."),
            ("WORKFLOW_STARTED", "A worker claimed the execution and runs its code (RUNNING). Sent "
             "again after every resume."),
            ("WORKFLOW_SUSPENDED", "The workflow code waits (WAITING). `suspendType` says for what: "
             "`SUSPEND_TYPE_TASK`, `SUSPEND_TYPE_TIMER`, `SUSPEND_TYPE_PROMISE`, "
             "`SUSPEND_TYPE_CHILD_WORKFLOW` or `SUSPEND_TYPE_SIGNAL`."),
            ("WORKFLOW_RESUMED", "What it waited for arrived (a task ended, a timer fired, a promise "
             "was settled, a child ended, a signal came): PENDING until a worker claims it again."),
            ("WORKFLOW_COMPLETED", "Terminal. The output is in `GET .../workflow-executions/{id}`."),
            ("WORKFLOW_FAILED", "Terminal unless a client retries it (RETRY_REQUESTED); `error` "
             "says why."),
            ("WORKFLOW_CANCELLED", "Terminal: a client cancelled it. Its open tasks, timers and "
             "children were cancelled with it."),
            ("CANCELLATION_REQUESTED", "A client asked to cancel. A waiting execution is cancelled "
             "at once, a running one when its worker reports back. Snapshot "
             "(CancellationSnapshot): `workflowExecutionId`, `reason`?."),
            ("RETRY_REQUESTED", "A client retried a FAILED execution; it runs again from its "
             "history. Snapshot (RetrySnapshot): `targetId`, `targetType` (`workflow`), "
             "`attempt`."),
        ],
    ),
    (
        "Task",
        "TaskSnapshot: `id`, `kind`, `status` (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED), "
        "`executionCount` (attempts so far), `maxRetries`, `workerId`?, `error`?",
        [
            ("TASK_CREATED", "The workflow scheduled a task (PENDING, executionCount 0)."),
            ("TASK_STARTED", "A worker claimed an attempt (RUNNING; executionCount is the "
             "attempt's number)."),
            ("TASK_COMPLETED", "The task succeeded."),
            ("TASK_FAILED", "An attempt failed. Sent for every failed attempt: `status` PENDING "
             "means another attempt follows, FAILED that it was the last."),
            ("TASK_CANCELLED", "The task was cancelled: with its workflow, or by `CancelTask`."),
        ],
    ),
    (
        "Timer",
        "TimerSnapshot: `timerId`, `fireAtMs` (TIMER_STARTED only)",
        [
            ("TIMER_STARTED", "The workflow sleeps until `fireAtMs`."),
            ("TIMER_FIRED", "The timer is due; the workflow resumes."),
            ("TIMER_CANCELLED", "The timer will not fire (the workflow cancelled it, or was "
             "cancelled)."),
        ],
    ),
    (
        "Promise",
        "PromiseSnapshot: `promiseId` (a UUID), `promiseName`, `result`? (PROMISE_RESOLVED: the "
        "value as a JSON string), `error`?",
        [
            ("PROMISE_CREATED", "The workflow waits for an outside party to resolve or reject the "
             "promise (`POST /api/orgs/{org}/promises/id:{promiseId}/resolve`)."),
            ("PROMISE_RESOLVED", "Resolved with a value."),
            ("PROMISE_REJECTED", "Rejected with an error."),
            ("PROMISE_TIMEOUT", "Nobody settled it within its timeout (a Herald addition to the "
             "Flovyn catalogue)."),
        ],
    ),
    (
        "Child workflow",
        "ChildWorkflowSnapshot: `childWorkflowId`, `childExecutionName`, `kind`, `status`?, "
        "`error`? (these events go to the parent's stream; the child has a stream of its own)",
        [
            ("CHILD_WORKFLOW_INITIATED", "The workflow started a child (PENDING)."),
            ("CHILD_WORKFLOW_STARTED", "A worker claimed the child."),
            ("CHILD_WORKFLOW_COMPLETED", "The child completed."),
            ("CHILD_WORKFLOW_FAILED", "The child failed or was cancelled (`status` says which)."),
            ("CHILD_WORKFLOW_CANCELLATION_REQUESTED", "The workflow asked to cancel a child."),
            ("CHILD_WORKFLOW_CANCELLATION_FAILED", "The child could not be cancelled (it had "
             "ended, or does not exist)."),
        ],
    ),
    (
        "Operation",
        "OperationSnapshot: `operationId` (the operation's name), `result` (JSON as a string)",
        [
            ("OPERATION_COMPLETED", "The workflow recorded a side effect (the SDKs' `ctx.run`); "
             "on replay the recorded result is used instead of running it again."),
        ],
    ),
]

STREAM_DATA = [
    ("token", "A piece of generated text (an LLM's tokens)."),
    ("progress", "How far a task is. `ReportProgress` sends a bare number between 0 and 1; "
     "`StreamTaskData` sends what the worker chose (the Flovyn SDKs send JSON)."),
    ("data", "Any structured data the worker streams. State events share this SSE name: "
     "tell them apart by `type === \"Event\"`."),
    ("error", "A problem the worker reports while it goes on (not the task's end)."),
]


def frame(event):
    """The SSE frame of a recorded event, as it was on the wire."""
    lines = ["id: " + event["id"], "event: " + event["event"]]
    lines += ["data: " + line for line in event["data"].split("\n")]
    return "\n".join(lines)


def code(text, lang="text"):
    return "```" + lang + "\n" + text + "\n```"


def label(event):
    """A state event's name, or a stream event's payload."""
    try:
        payload = json.loads(event["data"])
    except ValueError:
        payload = None
    if event["event"] == "data" and isinstance(payload, dict) and payload.get("type") == "Event":
        return payload["event"]
    return "`" + event["data"].replace("|", "\\|") + "`"


def catalogue(ex):
    states = ex["stateEvents"]
    out = []
    for title, fields, events in CATEGORIES:
        out.append("### " + title + " events\n")
        snapshot, members = fields.split(": ", 1)
        out.append("The `data` of these events (" + snapshot + "): " + members + ".\n")
        for name, when in events:
            out.append("#### `" + name + "`\n")
            out.append(when + "\n")
            if name in states:
                example = states[name]
                out.append("Recorded from *" + example["scenario"] + "*:\n")
                out.append(code(frame({"id": example["id"], "event": "data",
                                       "data": example["data"]})) + "\n")
            else:
                out.append("*Not streamed by this build yet*: the server records it in the "
                           "execution's history (`GET .../events`) but sends no state event.\n")
    out.append("### Stream data\n")
    out.append("Sent by the workers of the execution's tasks, under the SSE event name of their "
               "type. These examples are the Flovyn SDKs' payload shapes, sent by Herald's test "
               "worker.\n")
    for name, when in STREAM_DATA:
        out.append("#### `" + name + "`\n")
        out.append(when + "\n")
        for example in ex["streamData"].get(name, []):
            out.append("Recorded from *" + example["scenario"] + "*:\n")
            out.append(code(frame({"id": example["id"], "event": name,
                                   "data": example["data"]})) + "\n")
        if not ex["streamData"].get(name):
            out.append("*No example was recorded.*\n")
    seen = set(states)
    listed = {name for _, _, events in CATEGORIES for name, _ in events}
    extra = sorted(seen - listed)
    if extra:
        out.append("### Other state events\n")
        for name in extra:
            out.append("#### `" + name + "`\n")
            out.append("Recorded from *" + states[name]["scenario"] + "*:\n")
            out.append(code(frame({"id": states[name]["id"], "event": "data",
                                   "data": states[name]["data"]})) + "\n")
    return "\n".join(out).rstrip()


def one_task_stream(ex):
    rows = ["  | id | event | state event or payload |", "  |---|---|---|"]
    for event in ex["oneTaskStream"]:
        rows.append("  | " + event["id"] + " | `" + event["event"] + "` | " + label(event) + " |")
    return "\n".join(rows)


def resume(ex):
    events = ex["resume"]["events"]
    shown = "\n\n".join(frame(e) for e in events[:3])
    return ("  `" + ex["resume"]["request"] + "` starts with:\n\n"
            + "\n".join("  " + line if line else "" for line in code(shown).split("\n"))
            + "\n\n  and goes on to id " + events[-1]["id"] + ", the last event of the stream.")


def body_of(x):
    """The body of a recorded exchange (an SSE client records the raw chunked body)."""
    text = x["body"].strip()
    start, end = text.find("{"), text.rfind("}")
    return text[start:end + 1] if start >= 0 and end > start else text


def errors(ex):
    rows = ["| request | what | status | body |", "|---|---|---|---|"]
    for x in ex["errors"]:
        rows.append("| `" + x["request"] + "` | " + x["what"] + " | " + str(x["status"]) + " | `"
                    + body_of(x) + "` |")
    bad = ex["badTypes"]
    if bad["status"] == 200:
        rows.append("| `" + bad["request"] + "` | " + bad["what"] + " | 200 | this build does not "
                    "read `types` yet and streams every event |")
    else:
        rows.append("| `" + bad["request"] + "` | " + bad["what"] + " | " + str(bad["status"])
                    + " | `" + body_of(bad) + "` |")
    return "\n".join(rows) + (
        "\n\nA malformed `Last-Event-ID` header is answered like `?lastEventId=abc`. Ids are "
        "accepted in any case (`ABC…` = `abc…`); the ids the server sends are lowercase.")


def is_filtered(events):
    names = [label(e) for e in events]
    return bool(names) and all(
        n.startswith("TASK_") or n == "WORKFLOW_COMPLETED" or n.startswith("`") for n in names)


def filtered(ex):
    x = ex["filtered"]
    if x["status"] != 200:
        return ("This build answers `" + x["request"] + "` with " + str(x["status"]) + " `"
                + body_of(x) + "`; a real example appears here once it filters.")
    if not is_filtered(x["events"]) or len(x["events"]) == len(ex["oneTaskStream"]):
        return ("This build does not filter yet: `" + x["request"] + "` streamed all "
                + str(len(x["events"])) + " events of the one-task workflow. A real example "
                "appears here once it filters.")
    rows = ["A real filtered stream, `" + x["request"] + "` on the one-task workflow of §4:", "",
            "| id | event | state event or payload |", "|---|---|---|"]
    for event in x["events"]:
        rows.append("| " + event["id"] + " | `" + event["event"] + "` | " + label(event) + " |")
    return "\n".join(rows)


def consolidated(ex):
    x = ex["consolidated"]
    if x["status"] != 200 or not x["events"]:
        return ("This build answers `" + x["request"].split(" ", 1)[1].split("/workflow-executions/")[0]
                + "/workflow-executions/{id}/stream/consolidated` with " + str(x["status"]) + " `"
                + body_of(x) + "`; a real example appears here once it streams.")
    shown = "\n\n".join(frame(e) for e in x["events"])
    return ("A real consolidated stream of a parent that ran one child (*child workflow: a parent "
            "runs a child that completes*):\n\n" + code(shown))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_streaming_guide.py EXAMPLES.json > docs/streaming-events.md")
    ex = json.loads(pathlib.Path(sys.argv[1]).read_text())
    blocks = {
        "backend": "PostgreSQL" if ex["backend"] == "postgresql" else "SQLite",
        "wire": ex["wire"].rstrip("\n"),
        "catalogue": catalogue(ex),
        "one_task_stream": one_task_stream(ex),
        "resume": resume(ex),
        "filtered": filtered(ex),
        "consolidated": consolidated(ex),
        "errors": errors(ex),
        "example_js": EXAMPLE_JS.read_text().rstrip("\n"),
    }
    text = TEMPLATE.read_text()
    wanted = set(re.findall(r"\{\{(\w+)\}\}", text))
    if wanted != set(blocks):
        sys.exit("template placeholders " + str(sorted(wanted)) + " != " + str(sorted(blocks)))
    sys.stdout.write(re.sub(r"\{\{(\w+)\}\}", lambda m: blocks[m.group(1)], text))


if __name__ == "__main__":
    main()
