"use strict";
// A small worker SDK for Flovyn's worker protocol (gRPC `flovyn.v1`), enough to run the example
// workflows against Herald. Production workers use the Flovyn SDKs (Rust, TypeScript, Python,
// Kotlin), which talk to Herald unchanged; this file follows the same rules they do
// (shared/reference/flovyn-worker-protocol.md §4–5), so it is also a readable account of them:
//
// - A workflow is a function that is run again from the start at each activation, against the
//   execution's history. Each call (`ctx.task`, `ctx.sleep`, `ctx.child`) takes the next history
//   event of its type: if the event is there, the call was made before and returns its recorded
//   result; if not, the call becomes a new command. When the function cannot go on (it awaits
//   something that has not happened yet), the activation ends SUSPENDED with its new commands.
// - Workflow code must therefore be deterministic: no clocks, random numbers or I/O of its own
//   (use `ctx.now` and tasks); everything else goes into tasks, which run once per attempt.
const crypto = require("node:crypto");
const os = require("node:os");
const path = require("node:path");
const grpc = require("@grpc/grpc-js");
const protoLoader = require("@grpc/proto-loader");

const protoRoot = path.join(__dirname, "..", "..", "protocol");
const flovyn = grpc.loadPackageDefinition(
  protoLoader.loadSync(path.join(protoRoot, "flovyn", "v1", "flovyn.proto"), {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoRoot],
  }),
).flovyn.v1;

/// A workflow failed because a task or child failed for good; `message` is the server's error.
class ActivityFailure extends Error {}

/// The history does not match the code (the code changed under a running workflow).
class NonDeterminismError extends Error {}

const json = (value) => Buffer.from(JSON.stringify(value === undefined ? null : value));
const parse = (bytes) => {
  try {
    return bytes && bytes.length ? JSON.parse(bytes.toString()) : null;
  } catch {
    return null;
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/// UUIDv5 (SHA-1, RFC 9562) of `name` in the namespace `namespace`: the ids SDKs give their tasks
/// and children, the same on every replay.
function uuid5(namespace, name) {
  const hash = crypto
    .createHash("sha1")
    .update(Buffer.from(namespace.replace(/-/g, ""), "hex"))
    .update(name)
    .digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join("-");
}

/// The replay context of one activation: what the workflow function sees as `ctx`.
class WorkflowContext {
  constructor(execution, events) {
    this.workflowId = execution.id;
    /// The activation's time (the same on every replay of it), in ms since the epoch.
    this.now = Number(execution.workflow_task_time_millis);
    this.commands = [];
    this.events = events.map((e) => ({
      sequence: e.sequence_number,
      type: e.event_type,
      data: parse(e.event_data) || {},
    }));
    this.cursors = { TASK_SCHEDULED: 0, TIMER_STARTED: 0, CHILD_WORKFLOW_INITIATED: 0 };
    this.ids = 0;
  }

  /// Runs the task `kind` with `input`; resolves to its output, rejects with ActivityFailure.
  task(kind, input, { maxRetries, timeoutMs, queue } = {}) {
    const id = this.#nextId();
    const started = this.#next("TASK_SCHEDULED", (d) => d.kind === kind, `task ${kind}`);
    if (!started) {
      this.#command("SCHEDULE_TASK", "schedule_task", {
        kind,
        input: json(input),
        task_execution_id: id,
        max_retries: maxRetries,
        timeout_ms: timeoutMs,
        queue,
      });
      return pending();
    }
    const taskId = started.taskExecutionId;
    return this.#outcome(
      (e) => e.data.taskExecutionId === taskId,
      { TASK_COMPLETED: (d) => d.output },
      ["TASK_FAILED"],
      `task ${kind}`,
    );
  }

  /// Waits `ms` milliseconds on a durable timer: a restart of the worker or of Herald does not
  /// lose it.
  sleep(ms) {
    const timerId = `sleep-${this.cursors.TIMER_STARTED + 1}`;
    if (!this.#next("TIMER_STARTED", (d) => d.timerId === timerId, `timer ${timerId}`)) {
      this.#command("START_TIMER", "start_timer", { timer_id: timerId, duration_ms: ms });
      return pending();
    }
    return this.#outcome(
      (e) => e.data.timerId === timerId,
      { TIMER_FIRED: () => undefined },
      ["TIMER_CANCELLED"],
      `timer ${timerId}`,
    );
  }

  /// Runs the workflow `kind` as a child of this one; resolves to its output.
  child(kind, input, { name } = {}) {
    const id = this.#nextId();
    const childName = name || `${kind}-${this.cursors.CHILD_WORKFLOW_INITIATED + 1}`;
    const started = this.#next(
      "CHILD_WORKFLOW_INITIATED",
      (d) => d.childExecutionName === childName,
      `child ${childName}`,
    );
    if (!started) {
      this.#command("SCHEDULE_CHILD_WORKFLOW", "schedule_child_workflow", {
        child_execution_name: childName,
        workflow_kind: kind,
        child_workflow_execution_id: id,
        input: json(input),
      });
      return pending();
    }
    return this.#outcome(
      (e) => e.data.childExecutionName === childName,
      { CHILD_WORKFLOW_COMPLETED: (d) => d.output },
      ["CHILD_WORKFLOW_FAILED"],
      `child ${childName}`,
    );
  }

  /// The next event of `type` in the history (this call's, if it was made before), checked
  /// against the call; undefined if the call is new.
  #next(type, matches, what) {
    const index = this.cursors[type]++;
    const event = this.events.filter((e) => e.type === type)[index];
    if (event && !matches(event.data))
      throw new NonDeterminismError(
        `${what} does not match the history's ${type} at sequence ${event.sequence}: ` +
          "the workflow's code changed while it ran",
      );
    return event && event.data;
  }

  /// The last terminal event that `belongs` to a call: its value, its failure, or pending.
  #outcome(belongs, values, failures, what) {
    const end = this.events
      .filter((e) => belongs(e) && (e.type in values || failures.includes(e.type)))
      .pop();
    if (!end) return pending();
    if (end.type in values) return Promise.resolve(values[end.type](end.data));
    return Promise.reject(new ActivityFailure(`${what} failed: ${end.data.error || end.type}`));
  }

  #nextId() {
    return uuid5(this.workflowId, `${this.workflowId}:${this.ids++}`);
  }

  #command(type, field, data) {
    this.commands.push({ command_type: type, [field]: data });
  }
}

/// A promise that never settles: the call waits for an event that is not in the history yet.
function pending() {
  return new Promise(() => {});
}

/// Runs workflow and task functions for one queue of one Herald.
class Worker {
  /// `grpc`: host:port of Herald's gRPC server; `orgId`: the organization's id, or else `http`
  /// (host:port of the REST API) to look the `org` slug up, which works while Herald needs no
  /// credentials; `apiKey`: a Worker key when Herald requires authentication.
  constructor({
    grpc: target = "127.0.0.1:9090",
    http = "127.0.0.1:8000",
    org = "default",
    orgId = "",
    queue = "default",
    apiKey = "",
    name = "example-worker",
    concurrency = 4,
    log = console.log,
  } = {}) {
    Object.assign(this, { target, http, org, orgId, queue, apiKey, name, concurrency, log });
    this.workflows = new Map();
    this.tasks = new Map();
    this.running = false;
  }

  /// Registers the workflow `kind`: `fn(ctx, input)` returns the workflow's output.
  workflow(kind, fn) {
    this.workflows.set(kind, fn);
    return this;
  }

  /// Registers the task `kind`: `fn(task, input)` returns the task's output.
  task(kind, fn) {
    this.tasks.set(kind, fn);
    return this;
  }

  /// Connects, registers the worker, and polls until `stop()`.
  async run() {
    // The key goes in each call's metadata: grpc-js refuses call credentials on a plaintext
    // channel, and Herald's gRPC port is plaintext unless a proxy terminates TLS in front of it.
    const key = this.apiKey;
    const withKey = (options, nextCall) =>
      new grpc.InterceptingCall(nextCall(options), {
        start(metadata, listener, next) {
          metadata.set("authorization", `Bearer ${key}`);
          next(metadata, listener);
        },
      });
    const credentials = grpc.credentials.createInsecure();
    const options = key ? { interceptors: [withKey] } : {};
    this.dispatch = new flovyn.WorkflowDispatch(this.target, credentials, options);
    this.execution = new flovyn.TaskExecution(this.target, credentials, options);
    this.lifecycle = new flovyn.WorkerLifecycle(this.target, credentials, options);
    if (!this.orgId) this.orgId = await this.#lookUpOrgId();
    const registered = await this.#call(this.lifecycle, "RegisterWorker", {
      worker_name: this.name,
      worker_version: "1.0.0",
      worker_type: "UNIFIED",
      org_id: this.orgId,
      host_name: os.hostname(),
      process_id: String(process.pid),
      workflows: [...this.workflows.keys()].map((kind) => ({ kind, name: kind, version: "1.0.0" })),
      tasks: [...this.tasks.keys()].map((kind) => ({ kind, name: kind })),
    });
    if (!registered.success) throw new Error(`registration refused: ${registered.error}`);
    this.workerId = registered.worker_id;
    this.running = true;
    const workflows = [...this.workflows.keys()].join(", ");
    const tasks = [...this.tasks.keys()].join(", ");
    this.log(
      `worker ${this.workerId} polls queue "${this.queue}" for ${workflows}; tasks ${tasks}`,
    );
    const loops = [];
    for (let i = 0; i < this.concurrency; ++i) loops.push(this.#workflowLoop(), this.#taskLoop());
    await Promise.all(loops);
  }

  stop() {
    this.running = false;
    for (const client of [this.dispatch, this.execution, this.lifecycle]) client?.close();
  }

  /// The organization's id from the REST API (herald prints the default one at start-up too).
  async #lookUpOrgId() {
    for (;;) {
      try {
        const response = await fetch(`http://${this.http}/api/orgs/${this.org}`);
        const body = await response.json();
        if (!response.ok) throw new Error(body.error || `HTTP ${response.status}`);
        return body.id;
      } catch (e) {
        this.log(`cannot reach Herald at http://${this.http} (${e.message}); retrying`);
        await sleep(1000);
      }
    }
  }

  #call(client, method, request) {
    return new Promise((resolve, reject) =>
      client[method](request, (err, response) => (err ? reject(err) : resolve(response))),
    );
  }

  /// Runs `poll` until stopped; a failed call (Herald restarting, say) is retried after a pause.
  async #loop(what, poll) {
    while (this.running) {
      try {
        await poll();
      } catch (e) {
        if (!this.running) return;
        this.log(`${what}: ${e.details || e.message}; retrying in 1 s`);
        await sleep(1000);
      }
    }
  }

  #workflowLoop() {
    return this.#loop("workflow poll", async () => {
      const { workflow_execution: execution } = await this.#call(this.dispatch, "PollWorkflow", {
        worker_id: this.workerId,
        org_id: this.orgId,
        queue: this.queue,
        timeout_seconds: 30,
      });
      if (execution) await this.#activate(execution);
    });
  }

  /// One activation: replays the history, runs the workflow as far as it goes, submits what it
  /// decided.
  async #activate(execution) {
    const { events } = await this.#call(this.dispatch, "GetEvents", {
      workflow_execution_id: execution.id,
    });
    const fn = this.workflows.get(execution.kind);
    const ctx = new WorkflowContext(execution, events);
    let outcome = null;
    if (!fn) outcome = { error: new Error(`no workflow "${execution.kind}" on this worker`) };
    else
      Promise.resolve()
        .then(() => fn(ctx, parse(execution.input)))
        .then(
          (output) => (outcome = { output }),
          (error) => (outcome = { error }),
        );
    // Recorded results resolve at once, so once the microtasks have run the function has either
    // finished or is waiting for something that has not happened yet.
    await new Promise((resolve) => setImmediate(resolve));
    const commands = ctx.commands;
    let status = "SUSPENDED";
    if (outcome && "output" in outcome) {
      status = "COMPLETED";
      commands.push({
        command_type: "COMPLETE_WORKFLOW",
        complete_workflow: { output: json(outcome.output) },
      });
    } else if (outcome) {
      status = "FAILED";
      commands.push({
        command_type: "FAIL_WORKFLOW",
        fail_workflow: {
          error: outcome.error.message,
          stack_trace: outcome.error.stack || "",
          failure_type: "ERROR",
        },
      });
    }
    commands.forEach((c, i) => (c.sequence_number = i + 1));
    await this.#call(this.dispatch, "SubmitWorkflowCommands", {
      workflow_execution_id: execution.id,
      commands,
      status,
    });
    if (status !== "SUSPENDED")
      this.log(`workflow ${execution.kind} ${execution.id} ${status.toLowerCase()}`);
  }

  #taskLoop() {
    return this.#loop("task poll", async () => {
      const { task } = await this.#call(this.execution, "PollTask", {
        worker_id: this.workerId,
        org_id: this.orgId,
        queue: this.queue,
        timeout_seconds: 30,
      });
      if (task) await this.#runTask(task);
    });
  }

  async #runTask(info) {
    const fn = this.tasks.get(info.kind);
    const id = info.task_execution_id;
    let sequence = 0;
    const stream = (type, payload) =>
      this.#call(this.execution, "StreamTaskData", {
        task_execution_id: id,
        workflow_execution_id: info.workflow_execution_id,
        sequence: sequence++,
        type,
        payload: JSON.stringify(payload),
        timestamp_ms: Date.now(),
      });
    const task = {
      id,
      attempt: info.execution_count,
      /// Streams a piece of generated text to everyone watching the workflow.
      token: (text) => stream("TOKEN", { type: "token", text }),
      /// Reports how far the task is (0..1).
      progress: (progress, details = "") =>
        this.#call(this.execution, "ReportProgress", { task_execution_id: id, progress, details }),
      log: (level, message) =>
        this.#call(this.execution, "LogMessage", { task_execution_id: id, level, message }),
    };
    try {
      if (!fn) throw new Error(`no task "${info.kind}" on this worker`);
      const output = await fn(task, parse(info.input));
      await this.#call(this.execution, "CompleteTask", {
        task_execution_id: id,
        output: json(output),
      });
    } catch (e) {
      if (e.code !== undefined && e.details !== undefined) throw e; // a gRPC error: the loop retries
      await this.#call(this.execution, "FailTask", { task_execution_id: id, error: e.message });
    }
  }
}

module.exports = { Worker, ActivityFailure, NonDeterminismError, uuid5 };
