// Follows one workflow execution live, from its first event to its end.
// The browser's EventSource reconnects by itself after a network error or a server restart and
// sends the id of the last event it received as Last-Event-ID: the stream goes on exactly after it.
// With authentication on, `streamToken(workflowId)` asks the page's own backend for a stream token
// (the backend holds the API key; the browser never does).
function watchWorkflow(workflowId, { org = "default", streamToken, onState, onStreamData, onEnd } = {}) {
  const url = `/api/orgs/${org}/workflow-executions/${workflowId}/stream`;
  const terminal = ["WORKFLOW_COMPLETED", "WORKFLOW_FAILED", "WORKFLOW_CANCELLED"];
  let lastEventId = "";
  let source = null;
  let closed = false;
  let failures = 0;

  async function connect() {
    // A new EventSource is only needed when the browser gave up (readyState CLOSED, e.g. after
    // an HTTP error while the server restarted) or the stream token expired; ?lastEventId=
    // resumes it after the last event.
    const params = new URLSearchParams();
    if (lastEventId) params.set("lastEventId", lastEventId);
    try {
      if (streamToken) params.set("token", await streamToken(workflowId));
    } catch {
      return retry();
    }
    if (closed) return;
    const query = params.toString();
    source = new EventSource(query ? `${url}?${query}` : url);
    source.addEventListener("open", () => (failures = 0));

    // State events and the workers' `data` events share the SSE event name "data".
    source.addEventListener("data", (e) => {
      lastEventId = e.lastEventId;
      let payload = null;
      try {
        payload = JSON.parse(e.data);
      } catch {
        // Worker data is passed through as the worker sent it: not always JSON.
      }
      if (payload && payload.type === "Event") {
        onState?.(payload.event, payload.data, e.lastEventId);
        if (terminal.includes(payload.event)) close(payload.event);
      } else {
        onStreamData?.("data", e.data, e.lastEventId);
      }
    });

    for (const type of ["token", "progress"]) {
      source.addEventListener(type, (e) => {
        lastEventId = e.lastEventId;
        onStreamData?.(type, e.data, e.lastEventId);
      });
    }

    // "error" is both a stream type (a MessageEvent with data, sent by a worker) and
    // EventSource's own connection error (a plain Event): tell them apart.
    source.addEventListener("error", (e) => {
      if (e instanceof MessageEvent && e.data.includes('"STREAM_TOKEN_EXPIRED"')) {
        // Herald's own notice (no id): the stream token ran out. Resume with a new one.
        source.close();
        connect();
      } else if (e instanceof MessageEvent) {
        lastEventId = e.lastEventId;
        onStreamData?.("error", e.data, e.lastEventId);
      } else if (source.readyState === EventSource.CLOSED && !closed) {
        // An HTTP error (e.g. 404 for an unknown id, 401 for an expired token): try again.
        retry();
      }
      // Otherwise readyState is CONNECTING: the browser is already reconnecting.
    });
  }

  // Tries again a few times, backing off.
  function retry() {
    failures += 1;
    if (failures > 5) close("cannot connect");
    else setTimeout(connect, Math.min(1000 * 2 ** failures, 30000));
  }

  // Herald keeps the stream of a finished execution open (a retry may follow): close it here.
  function close(reason) {
    closed = true;
    source?.close();
    onEnd?.(reason);
  }

  connect();
  return { close: () => close("closed by the page") };
}
