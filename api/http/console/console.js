"use strict";
// Herald's web console: the executions of an org, kept current by the executions feed, and one
// execution at a time (its tree of children, event timeline, tasks with attempts and logs, token
// streams, and cancel, retry and signal). It uses only the public REST and SSE API
// (/api/docs, docs/streaming-events.md) and needs no build step: herald serves this file as is.

const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
const STATUSES = ["PENDING", "RUNNING", "WAITING", "COMPLETED", "FAILED", "CANCELLING", "CANCELLED"];
const PAGE = 50;

// -- settings: the org in local storage, the API key for this tab only ------------------------

const settings = {
  get org() {
    return localStorage.getItem("herald.org") || "default";
  },
  set org(value) {
    localStorage.setItem("herald.org", value);
  },
  get key() {
    return sessionStorage.getItem("herald.key") || "";
  },
  set key(value) {
    if (value) sessionStorage.setItem("herald.key", value);
    else sessionStorage.removeItem("herald.key");
  },
};

// -- small helpers ------------------------------------------------------------------------------

/// Builds an element: h("td", {class: "x", onclick: f}, "text", child, ...).
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The last 8 characters: UUIDv7 ids of one period share their first ones (the time).
const short = (id) => (id ? id.slice(-8) : "");
const parseTime = (iso) => (iso ? Date.parse(iso) : 0);

function formatTime(ms) {
  if (!ms) return "";
  const d = new Date(ms);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

function formatDuration(ms) {
  if (ms < 0 || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

function pretty(value) {
  if (value === undefined || value === null || value === "") return "";
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/// The creation time encoded in a UUIDv7 (Herald's ids), or 0.
function uuidTime(id) {
  if (!id || id[14] !== "7") return 0;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

function badge(status) {
  return h("span", { class: `badge s-${(status || "").toLowerCase()}`, "data-role": "status" }, status);
}

function notice(message) {
  const box = document.getElementById("notice");
  box.textContent = message || "";
  box.hidden = !message;
}

// -- REST ---------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function authHeaders(extra) {
  const headers = Object.assign({}, extra);
  if (settings.key) headers.Authorization = `Bearer ${settings.key}`;
  return headers;
}

const orgPath = (path) => `/api/orgs/${encodeURIComponent(settings.org)}${path}`;

/// Calls the REST API of the current org; rejects with ApiError carrying the server's message.
async function api(path, { method = "GET", body } = {}) {
  const headers = authHeaders({ Accept: "application/json" });
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const res = await fetch(orgPath(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (_) {
    json = null;
  }
  if (!res.ok) {
    const message = (json && json.error) || `${res.status} ${res.statusText}`;
    if (res.status === 401) notice(`${message}: set an API key (button above).`);
    throw new ApiError(res.status, message);
  }
  return json;
}

// -- SSE over fetch -----------------------------------------------------------------------------

/// Follows one SSE stream of the current org with the tab's credentials, resuming with
/// Last-Event-ID after any disconnect (a server restart included) until stopped. `ended()` is
/// asked when the server ends the stream cleanly: true means the stream is finished for good.
class EventStream {
  constructor(path, { onEvent, ended = () => false }) {
    this.path = path;
    this.onEvent = onEvent;
    this.ended = ended;
    this.lastId = "";
    this.retryMs = 1000;
    this.stopped = false;
    this.abort = new AbortController();
  }

  start() {
    this.run();
    return this;
  }

  stop() {
    this.stopped = true;
    this.abort.abort();
    liveState("idle");
  }

  async run() {
    let delay = 250;
    while (!this.stopped) {
      liveState(this.lastId ? "reconnecting" : "connecting");
      try {
        const headers = authHeaders({ Accept: "text/event-stream" });
        if (this.lastId) headers["Last-Event-ID"] = this.lastId;
        const res = await fetch(orgPath(this.path), {
          headers,
          cache: "no-store",
          signal: this.abort.signal,
        });
        if (!res.ok) {
          let message = `${res.status} ${res.statusText}`;
          try {
            message = (await res.json()).error || message;
          } catch (_) {
            // not JSON: keep the status line
          }
          if (res.status >= 400 && res.status < 500 && res.status !== 429) {
            notice(message);
            liveState("failed");
            return;
          }
          throw new Error(message);
        }
        liveState("live");
        delay = 250;
        await this.read(res.body);
        if (this.ended()) {
          liveState("ended");
          return;
        }
      } catch (_) {
        if (this.stopped) return;
      }
      if (this.stopped) return;
      liveState("reconnecting");
      await sleep(Math.min(delay, this.retryMs * 4));
      delay = Math.min(delay * 2, 4000);
    }
  }

  async read(body) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let id = null;
    let type = "";
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n")) >= 0) {
        let line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (line === "") {
          if (id !== null) this.lastId = id;
          if (data.length > 0 && !this.stopped)
            this.onEvent({ id: this.lastId, type: type || "message", data: data.join("\n") });
          id = null;
          type = "";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? "" : line.slice(colon + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (field === "id") id = val;
        else if (field === "event") type = val;
        else if (field === "data") data.push(val);
        else if (field === "retry" && /^\d+$/.test(val)) this.retryMs = Number(val);
      }
    }
  }
}

function liveState(state) {
  const pill = document.getElementById("live");
  pill.dataset.state = state;
  pill.textContent = state;
}

/// Reads a state event's payload: {event, data: snapshot, timestampMs}, or null for stream data.
function stateEvent(text) {
  try {
    const payload = JSON.parse(text);
    return payload && payload.type === "Event" ? payload : null;
  } catch (_) {
    return null;
  }
}

// -- the executions list ------------------------------------------------------------------------

function listView(root, params) {
  const filter = { status: params.get("status") || "", kind: params.get("kind") || "" };
  const rows = new Map(); // id -> {id, kind, status, parent, error, createdMs, updatedMs}
  let total = 0;
  let shown = PAGE;
  let loading = null; // events that arrive while the list loads, applied after it
  let updates = 0;
  const flashed = new Set();

  const statusSelect = h(
    "select",
    { "data-role": "status-filter", onchange: () => refilter() },
    h("option", { value: "" }, "any status"),
    STATUSES.map((s) => h("option", { value: s, selected: s === filter.status }, s)),
  );
  const kindInput = h("input", {
    "data-role": "kind-filter",
    placeholder: "kind",
    value: filter.kind,
    size: 16,
    onchange: () => refilter(),
  });
  const body = h("tbody");
  const footer = h("p", { class: "muted", "data-role": "count" });
  const more = h("button", { type: "button", onclick: () => load(shown + PAGE) }, "Load more");
  const form = startForm();
  const table = h(
    "table",
    { class: "list", "data-role": "executions" },
    h("thead", {}, h("tr", {}, ["Status", "Kind", "Execution", "Parent", "Created", "Updated"].map((t) => h("th", {}, t)))),
    body,
  );
  root.append(
    h(
      "section",
      { class: "toolbar" },
      h("h1", {}, "Workflow executions"),
      statusSelect,
      kindInput,
      h("button", { type: "button", onclick: () => form.toggleAttribute("hidden") }, "Start workflow"),
    ),
    form,
    table,
    h("div", { class: "list-footer" }, footer, more),
  );

  function refilter() {
    const next = new URLSearchParams();
    if (statusSelect.value) next.set("status", statusSelect.value);
    if (kindInput.value.trim()) next.set("kind", kindInput.value.trim());
    const query = next.toString();
    location.hash = query ? `#/?${query}` : "#/";
  }

  const matches = (row) =>
    (!filter.status || row.status === filter.status) && (!filter.kind || row.kind === filter.kind);

  async function load(limit) {
    loading = [];
    const query = new URLSearchParams({ limit: String(Math.min(limit, 100)) });
    if (filter.status) query.set("status", filter.status);
    if (filter.kind) query.set("kind", filter.kind);
    try {
      const page = await api(`/workflow-executions?${query}`);
      rows.clear();
      for (const w of page.workflowExecutions) {
        rows.set(w.id, {
          id: w.id,
          kind: w.kind,
          status: w.status,
          parent: w.parentWorkflowExecutionId || "",
          error: w.error || "",
          createdMs: parseTime(w.createdAt),
          updatedMs: parseTime(w.updatedAt),
        });
      }
      total = page.total;
      shown = Math.min(limit, 100);
      notice("");
    } catch (err) {
      notice(err.message);
    }
    const late = loading;
    loading = null;
    for (const ev of late) apply(ev);
    render();
    table.dataset.loaded = "";
  }

  /// Applies one WORKFLOW_* event of the feed to the rows.
  function apply(ev) {
    if (loading) {
      loading.push(ev);
      return;
    }
    const s = ev.data || {};
    if (!s.id) return;
    let row = rows.get(s.id);
    if (row) {
      if (ev.timestampMs < row.updatedMs) return; // older than what the list already shows
      row.status = s.status;
      row.error = s.error || "";
      row.updatedMs = ev.timestampMs;
      if (!matches(row)) {
        rows.delete(s.id);
        total = Math.max(0, total - 1);
      }
    } else {
      row = {
        id: s.id,
        kind: s.kind,
        status: s.status,
        parent: s.parentWorkflowExecutionId || "",
        error: s.error || "",
        createdMs: ev.event === "WORKFLOW_CREATED" ? ev.timestampMs : uuidTime(s.id) || ev.timestampMs,
        updatedMs: ev.timestampMs,
      };
      if (!matches(row)) return;
      rows.set(s.id, row);
      total += 1;
    }
    flashed.add(s.id);
    updates += 1;
    schedule();
  }

  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      render();
    });
  }

  // Rows are kept by id and updated in place: a row (and its link) stays the same element while
  // events arrive, so a click or a selection is not lost to a re-render.
  const rowElements = new Map(); // id -> {tr, status, updated}
  const emptyRow = h("tr", {}, h("td", { colspan: 6, class: "muted" }, "No executions yet."));

  function rowElement(row) {
    const cells = {
      status: h("td", {}, badge(row.status)),
      updated: h("td", { title: row.error }, formatTime(row.updatedMs)),
    };
    const tr = h(
      "tr",
      { "data-id": row.id, "data-status": row.status },
      cells.status,
      h("td", {}, row.kind),
      h("td", {}, h("a", { href: `#/executions/${row.id}`, class: "mono" }, row.id)),
      h("td", {}, row.parent ? h("a", { href: `#/executions/${row.parent}`, class: "mono" }, short(row.parent)) : ""),
      h("td", {}, formatTime(row.createdMs)),
      cells.updated,
    );
    return { tr, cells, status: row.status, updated: row.updatedMs };
  }

  function render() {
    const sorted = [...rows.values()].sort((a, b) => b.createdMs - a.createdMs || (a.id < b.id ? 1 : -1));
    for (const row of sorted.slice(shown)) rows.delete(row.id); // beyond the page: not shown
    const visible = sorted.slice(0, shown);
    const keep = new Set(visible.map((row) => row.id));
    for (const [id, el] of rowElements) {
      if (!keep.has(id)) {
        el.tr.remove();
        rowElements.delete(id);
      }
    }
    let previous = null;
    for (const row of visible) {
      let el = rowElements.get(row.id);
      if (!el) {
        el = rowElement(row);
        rowElements.set(row.id, el);
      } else if (el.status !== row.status || el.updated !== row.updatedMs) {
        el.cells.status.replaceChildren(badge(row.status));
        el.cells.updated.textContent = formatTime(row.updatedMs);
        el.cells.updated.title = row.error;
        el.tr.dataset.status = row.status;
        el.status = row.status;
        el.updated = row.updatedMs;
      }
      const at = previous ? previous.nextSibling : body.firstChild;
      if (at !== el.tr) body.insertBefore(el.tr, at);
      if (flashed.has(row.id)) {
        el.tr.classList.remove("flash");
        void el.tr.offsetWidth; // restarts the animation
        el.tr.classList.add("flash");
      }
      previous = el.tr;
    }
    flashed.clear();
    if (visible.length === 0) body.append(emptyRow);
    else emptyRow.remove();
    footer.textContent = `${visible.length} of ${total} shown · ${updates} live updates`;
    more.hidden = total <= shown || shown >= 100;
  }

  const feed = new EventStream("/workflow-executions/stream", {
    onEvent(ev) {
      if (ev.type === "reset") {
        load(shown); // first connect, or the feed lost our place: the list is reloaded
        return;
      }
      const state = stateEvent(ev.data);
      if (state) apply(state);
    },
  }).start();
  return () => feed.stop();
}

/// The "Start workflow" form of the list page; goes to the new execution once started.
function startForm() {
  const kind = h("input", { name: "kind", placeholder: "research-report", required: true, size: 20 });
  const queue = h("input", { name: "queue", placeholder: "default", size: 12 });
  const input = h("textarea", { name: "input", rows: 3, cols: 50, spellcheck: "false" }, '{"topic": "durable execution"}');
  const form = h(
    "form",
    {
      class: "panel",
      "data-role": "start-form",
      hidden: true,
      async onsubmit(e) {
        e.preventDefault();
        let value;
        try {
          value = input.value.trim() ? JSON.parse(input.value) : {};
        } catch (err) {
          notice(`input is not JSON: ${err.message}`);
          return;
        }
        const body = { kind: kind.value.trim(), input: value };
        if (queue.value.trim()) body.queue = queue.value.trim();
        try {
          const started = await api("/workflow-executions", { method: "POST", body });
          location.hash = `#/executions/${started.id || started.workflowExecutionId}`;
        } catch (err) {
          notice(err.message);
        }
      },
    },
    h("label", {}, "kind ", kind),
    h("label", {}, "queue ", queue),
    h("label", { class: "block" }, "input (JSON) ", input),
    h("button", { type: "submit" }, "Start"),
  );
  return form;
}

// -- one execution ------------------------------------------------------------------------------

function executionView(root, id) {
  const nodes = new Map(); // id -> {id, kind, status, parent, name, error, children[], tokens, record}
  let selected = id;
  let startMs = 0;
  let stream = null;
  const expanded = new Set(); // task ids whose attempts and logs are open
  const tokenEntries = new Map(); // execution id -> its "tokens" timeline entry

  const node = (nid) => {
    let n = nodes.get(nid);
    if (!n) {
      n = { id: nid, kind: "", status: "", parent: "", name: "", error: "", children: [], tokens: "", record: null };
      nodes.set(nid, n);
    }
    return n;
  };
  const link = (child, parent) => {
    const n = node(child);
    n.parent = parent;
    const p = node(parent);
    if (!p.children.includes(child)) p.children.push(child);
  };

  const header = h("section", { class: "exec-header" });
  const treeBox = h("ul", { class: "tree", "data-role": "tree" });
  const tasksBox = h("div", { "data-role": "tasks" });
  const detailBox = h("div", { "data-role": "detail" });
  const timeline = h("ol", { class: "timeline", "data-role": "timeline" });
  const tokensBox = h("div", { "data-role": "tokens" });
  root.append(
    header,
    h(
      "div",
      { class: "columns" },
      h(
        "div",
        {},
        h("section", { class: "panel" }, h("h2", {}, "Tree"), treeBox),
        h("section", { class: "panel" }, h("h2", {}, "Tasks ", h("span", { class: "muted", "data-role": "tasks-of" })), tasksBox),
        h("section", { class: "panel" }, h("h2", {}, "Input and output"), detailBox),
      ),
      h(
        "div",
        {},
        h("section", { class: "panel" }, h("h2", {}, "Tokens"), tokensBox),
        h("section", { class: "panel" }, h("h2", {}, "Timeline"), timeline),
      ),
    ),
  );

  // The header's controls are built once: re-rendering them on each event would drop what the
  // user is typing and detach the button under the pointer.
  const titleBox = h("div", { class: "title" });
  const metaBox = h("p", { class: "muted" });
  const errorBox = h("p", { class: "error", "data-role": "error", hidden: true });
  const cancelButton = h("button", { type: "button", "data-action": "cancel", onclick: () => act("cancel") }, "Cancel");
  const retryButton = h("button", { type: "button", "data-action": "retry", onclick: () => act("retry") }, "Retry");
  const signalName = h("input", { placeholder: "signal name", size: 14, "data-role": "signal-name" });
  const signalValue = h("input", { placeholder: "value (JSON)", size: 18, "data-role": "signal-value" });
  const signalButton = h("button", { type: "submit", "data-action": "signal" }, "Signal");
  const signalForm = h(
    "form",
    {
      class: "inline",
      onsubmit(e) {
        e.preventDefault();
        let value = null;
        try {
          value = signalValue.value.trim() ? JSON.parse(signalValue.value) : null;
        } catch (err) {
          notice(`signal value is not JSON: ${err.message}`);
          return;
        }
        act("signal", { signalName: signalName.value.trim(), signalValue: value });
      },
    },
    signalName,
    signalValue,
    signalButton,
  );
  header.append(titleBox, metaBox, errorBox, h("div", { class: "actions" }, cancelButton, retryButton, signalForm));

  function renderHeader() {
    const n = node(selected);
    const r = n.record || {};
    const active = !TERMINAL.has(n.status);
    titleBox.replaceChildren(
      h("h1", {}, n.kind || "execution"),
      badge(n.status),
      h("span", { class: "mono muted" }, n.id),
      n.parent ? h("a", { href: `#/executions/${n.parent}`, class: "muted" }, `child of ${short(n.parent)}`) : "",
    );
    metaBox.textContent = [
      r.createdAt ? `created ${formatTime(parseTime(r.createdAt))}` : "",
      r.completedAt ? `took ${formatDuration(parseTime(r.completedAt) - parseTime(r.createdAt))}` : "",
      r.workerId ? `worker ${r.workerId}` : "",
      r.queue ? `queue ${r.queue}` : "",
    ]
      .filter(Boolean)
      .join(" · ");
    errorBox.textContent = n.error;
    errorBox.hidden = !n.error;
    cancelButton.disabled = !active;
    retryButton.disabled = n.status !== "FAILED";
    signalButton.disabled = !active;
  }

  async function act(action, body) {
    const target = selected;
    if (action === "cancel") {
      const reason = prompt("Reason for cancelling", "cancelled from the console");
      if (reason === null) return;
      body = { reason };
    }
    try {
      await api(`/workflow-executions/${target}/${action}`, { method: "POST", body: body || {} });
      notice("");
      await refreshRecord(target);
      if (action === "retry") follow(); // the finished stream goes on
    } catch (err) {
      notice(err.message);
    }
  }

  function renderTree() {
    const item = (nid, depth) => {
      const n = node(nid);
      return h(
        "li",
        { "data-id": nid, "data-status": n.status, class: nid === selected ? "selected" : "" },
        h(
          "a",
          {
            href: "#",
            onclick(e) {
              e.preventDefault();
              select(nid);
            },
          },
          badge(n.status),
          " ",
          h("strong", {}, n.name || n.kind || short(nid)),
          n.name && n.kind ? h("span", { class: "muted" }, ` ${n.kind}`) : "",
          h("span", { class: "mono muted" }, ` ${short(nid)}`),
        ),
        n.children.length && depth < 8 ? h("ul", {}, n.children.map((c) => item(c, depth + 1))) : "",
      );
    };
    treeBox.replaceChildren(item(id, 0));
  }

  function renderTokens() {
    const withTokens = [...nodes.values()].filter((n) => n.tokens);
    tokensBox.replaceChildren(
      ...(withTokens.length
        ? withTokens.map((n) =>
            h("div", {}, h("h3", {}, n.kind || short(n.id)), h("pre", { class: "tokens", "data-tokens": n.id }, n.tokens)),
          )
        : [h("p", { class: "muted" }, "No tokens streamed.")]),
    );
  }

  function renderDetail() {
    const r = node(selected).record;
    if (!r) {
      detailBox.replaceChildren(h("p", { class: "muted" }, "loading…"));
      return;
    }
    detailBox.replaceChildren(
      h("details", { open: true }, h("summary", {}, "input"), h("pre", {}, pretty(r.input))),
      h("details", { open: true }, h("summary", {}, "output"), h("pre", { "data-role": "output" }, pretty(r.output))),
    );
  }

  let tasksTimer = null;
  function refreshTasksSoon() {
    clearTimeout(tasksTimer);
    tasksTimer = setTimeout(renderTasks, 250);
  }

  async function renderTasks() {
    const target = selected;
    root.querySelector("[data-role=tasks-of]").textContent = `of ${node(target).kind || short(target)}`;
    let tasks;
    try {
      tasks = (await api(`/workflow-executions/${target}/tasks`)).tasks;
    } catch (err) {
      tasksBox.replaceChildren(h("p", { class: "error" }, err.message));
      return;
    }
    if (target !== selected) return;
    if (tasks.length === 0) {
      tasksBox.replaceChildren(h("p", { class: "muted" }, "No tasks."));
      return;
    }
    const rows = [];
    for (const t of tasks) {
      const started = parseTime(t.startedAt);
      const done = parseTime(t.completedAt);
      rows.push(
        h(
          "tr",
          {
            "data-task": t.id,
            "data-status": t.status,
            class: "clickable",
            onclick() {
              if (expanded.has(t.id)) expanded.delete(t.id);
              else expanded.add(t.id);
              renderTasks();
            },
          },
          h("td", {}, badge(t.status)),
          h("td", {}, t.kind),
          h("td", {}, `attempt ${t.executionCount || 0}/${(t.maxRetries || 0) + 1}`),
          h("td", {}, started && done ? formatDuration(done - started) : t.progress !== undefined ? `${Math.round(t.progress * 100)} %` : ""),
          h("td", { class: "error" }, t.error || ""),
        ),
      );
      if (expanded.has(t.id)) rows.push(h("tr", { class: "expanded" }, h("td", { colspan: 5 }, await taskDetail(target, t))));
    }
    if (target !== selected) return;
    tasksBox.replaceChildren(h("table", { class: "list" }, h("tbody", {}, rows)));
  }

  async function taskDetail(workflow, task) {
    const base = `/workflow-executions/${workflow}/tasks/${task.id}`;
    try {
      const [attempts, logs] = await Promise.all([api(`${base}/attempts`), api(`${base}/logs?limit=100`)]);
      return h(
        "div",
        { "data-role": "task-detail" },
        h("h3", {}, "Attempts"),
        h(
          "ul",
          { "data-role": "attempts" },
          attempts.attempts.map((a) =>
            h(
              "li",
              {},
              `#${a.attempt} ${a.status}`,
              a.durationMs !== undefined ? ` in ${formatDuration(a.durationMs)}` : "",
              a.workerId ? ` on ${a.workerId}` : "",
              a.error ? h("span", { class: "error" }, ` ${a.error}`) : "",
            ),
          ),
        ),
        h("h3", {}, "Logs"),
        logs.logs.length
          ? h("pre", { "data-role": "logs" }, logs.logs.map((l) => `${formatTime(parseTime(l.timestamp))} ${l.level} ${l.message}`).join("\n"))
          : h("p", { class: "muted" }, "No logs."),
        h("h3", {}, "Input"),
        h("pre", {}, pretty(task.input)),
        task.output !== undefined && task.output !== null ? [h("h3", {}, "Output"), h("pre", {}, pretty(task.output))] : "",
      );
    } catch (err) {
      return h("p", { class: "error" }, err.message);
    }
  }

  function select(nid) {
    selected = nid;
    expanded.clear();
    renderTree();
    renderHeader();
    renderDetail();
    renderTasks();
    if (!node(nid).record) refreshRecord(nid);
  }

  async function refreshRecord(nid) {
    try {
      const r = await api(`/workflow-executions/${nid}`);
      const n = node(nid);
      n.record = r;
      n.kind = r.kind;
      n.status = r.status;
      n.error = r.error || "";
      if (r.parentWorkflowExecutionId && nid !== id) link(nid, r.parentWorkflowExecutionId);
      if (nid === selected) {
        renderHeader();
        renderDetail();
      }
      renderTree();
    } catch (err) {
      notice(err.message);
    }
  }

  /// Loads the children of `nid` (and theirs) over REST: the part of the tree whose stream
  /// events may be older than the stream's retention.
  async function loadChildren(nid, depth) {
    if (depth > 5 || nodes.size > 500) return;
    let list;
    try {
      list = (await api(`/workflow-executions/${nid}/children`)).children;
    } catch (_) {
      return;
    }
    for (const c of list) {
      link(c.childWorkflowExecutionId, nid);
      const n = node(c.childWorkflowExecutionId);
      n.kind = n.kind || c.kind;
      if (!n.status) n.status = c.status;
    }
    renderTree();
    await Promise.all(list.map((c) => loadChildren(c.childWorkflowExecutionId, depth + 1)));
  }

  /// Adds one event of the consolidated stream to the timeline and the tree.
  function onStreamEvent(ev) {
    let owner = id;
    let payload = ev.data;
    try {
      const envelope = JSON.parse(ev.data);
      owner = envelope.workflowExecutionId || id;
      payload = envelope.data;
    } catch (_) {
      return;
    }
    const n = node(owner);
    if (owner !== id && !n.parent) link(owner, id);
    const state = ev.type === "data" ? stateEvent(payload) : null;
    if (!state) {
      streamData(ev, owner, n, payload);
      return;
    }
    const s = state.data || {};
    const ts = state.timestampMs || 0;
    if (!startMs) startMs = ts;
    const name = state.event;
    let detail = "";
    if (name.startsWith("WORKFLOW_")) {
      n.status = s.status || n.status;
      n.kind = s.kind || n.kind;
      n.error = s.error || (name === "WORKFLOW_RESUMED" || name === "WORKFLOW_STARTED" ? "" : n.error);
      if (s.parentWorkflowExecutionId) link(owner, s.parentWorkflowExecutionId);
      detail = s.error || s.suspendType || s.workerId || "";
      if (TERMINAL.has(n.status)) refreshRecord(owner);
    } else if (name.startsWith("CHILD_WORKFLOW_")) {
      if (s.childWorkflowId) {
        link(s.childWorkflowId, owner);
        const child = node(s.childWorkflowId);
        child.name = s.childExecutionName || child.name;
        child.kind = child.kind || s.kind;
        if (!child.status) child.status = s.status || "";
      }
      detail = `${s.childExecutionName || ""} ${s.kind || ""} ${s.error || ""}`;
    } else if (name.startsWith("TASK_")) {
      detail = `${s.kind || ""} ${s.status || ""}${s.executionCount ? ` #${s.executionCount}` : ""} ${s.error || ""}`;
      if (owner === selected) refreshTasksSoon();
    } else {
      detail = s.timerId || s.promiseName || s.name || s.kind || "";
    }
    addEntry(ev.id, ts, n, name, detail.trim(), name.endsWith("FAILED") ? "bad" : TERMINAL.has(s.status) ? "done" : "");
    renderTree();
    if (owner === selected) renderHeader();
  }

  function streamData(ev, owner, n, payload) {
    if (ev.type === "token") {
      let text = payload;
      try {
        const data = JSON.parse(payload);
        text = typeof data === "string" ? data : data.text ?? data.token ?? data.content ?? "";
      } catch (_) {
        // a plain-text token
      }
      n.tokens += text;
      let entry = tokenEntries.get(owner);
      if (!entry) {
        entry = addEntry(ev.id, 0, n, "tokens", "", "");
        entry.count = 0;
        tokenEntries.set(owner, entry);
      }
      entry.count += 1;
      entry.detail.textContent = `${entry.count} streamed`;
      renderTokens();
      return;
    }
    addEntry(ev.id, 0, n, ev.type, payload.length > 120 ? `${payload.slice(0, 120)}…` : payload, "");
  }

  function addEntry(eventId, ts, n, name, detail, tone) {
    const detailEl = h("span", { class: "detail" }, detail);
    const li = h(
      "li",
      { "data-event": name, "data-offset": eventId, "data-execution": n.id, class: tone },
      h("span", { class: "when" }, ts && startMs ? `+${formatDuration(ts - startMs)}` : ""),
      h("span", { class: "who" }, n.name || n.kind || short(n.id)),
      h("span", { class: "what" }, name),
      detailEl,
    );
    // Follows the newest entry unless the reader scrolled up.
    const atEnd = timeline.scrollTop + timeline.clientHeight >= timeline.scrollHeight - 4;
    timeline.append(li);
    if (timeline.children.length > 2000) timeline.firstElementChild.remove();
    if (atEnd) timeline.scrollTop = timeline.scrollHeight;
    return { li, detail: detailEl };
  }

  function follow() {
    if (stream) stream.stop();
    stream = new EventStream(`/workflow-executions/${id}/stream/consolidated`, {
      onEvent: onStreamEvent,
      // The server ends a finished tree's stream: done unless it was retried meanwhile.
      ended: () => TERMINAL.has(node(id).status),
    });
    const last = timeline.lastElementChild;
    if (last) stream.lastId = last.dataset.offset || "";
    stream.start();
  }

  renderDetail();
  refreshRecord(id).then(() => {
    renderTasks();
    loadChildren(id, 0);
  });
  renderTokens();
  follow();
  return () => {
    clearTimeout(tasksTimer);
    if (stream) stream.stop();
  };
}

// -- routing ------------------------------------------------------------------------------------

let dispose = () => {};

function route() {
  dispose();
  notice("");
  const view = document.getElementById("view");
  view.replaceChildren();
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const match = /^\/executions\/([0-9a-fA-F-]{36})$/.exec(path);
  dispose = match ? executionView(view, match[1].toLowerCase()) : listView(view, new URLSearchParams(query || ""));
}

function init() {
  const org = document.getElementById("org");
  org.value = settings.org;
  org.addEventListener("change", () => {
    settings.org = org.value.trim() || "default";
    route();
  });
  const key = document.getElementById("key");
  const label = () => (key.textContent = settings.key ? "API key ✓" : "API key");
  label();
  key.addEventListener("click", () => {
    const value = prompt("User API key (kept for this tab only; empty to forget it)", "");
    if (value === null) return;
    settings.key = value.trim();
    label();
    route();
  });
  window.addEventListener("hashchange", route);
  route();
}

init();
