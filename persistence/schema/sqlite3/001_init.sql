-- Herald schema, version 1 (SQLite 3). Times are epoch milliseconds; absent strings are ''.
-- Statuses are upper-case names; JSON values are compact text.

CREATE TABLE organization (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);

CREATE TABLE workflow_execution (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  queue TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  error TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  parent_id TEXT NOT NULL,
  version TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  metadata TEXT NOT NULL,
  priority_ms BIGINT NOT NULL,
  current_sequence INTEGER NOT NULL,
  stream_offset BIGINT NOT NULL,
  task_time_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  completed_ms BIGINT NOT NULL
);

CREATE INDEX workflow_execution_idempotency ON workflow_execution (org_id, idempotency_key)
  WHERE idempotency_key <> '';

CREATE INDEX workflow_execution_status ON workflow_execution (status);

CREATE TABLE workflow_event (
  workflow_id TEXT NOT NULL,
  sequence INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (workflow_id, sequence)
) WITHOUT ROWID;

-- `ord` (the rowid) records insertion order, so tasks list in creation order.
CREATE TABLE task_execution (
  ord INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  org_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  queue TEXT NOT NULL,
  status TEXT NOT NULL,
  input TEXT NOT NULL,
  output TEXT NOT NULL,
  error TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  execution_count INTEGER NOT NULL,
  max_retries INTEGER NOT NULL,
  timeout_ms BIGINT NOT NULL,
  progress REAL NOT NULL,
  progress_details TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  started_ms BIGINT NOT NULL,
  completed_ms BIGINT NOT NULL
);

CREATE INDEX task_execution_workflow ON task_execution (workflow_id);

CREATE INDEX task_execution_status ON task_execution (status);

CREATE TABLE stream_event (
  stream_id TEXT NOT NULL,
  offset_ BIGINT NOT NULL,
  event TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  timestamp_ms BIGINT NOT NULL,
  PRIMARY KEY (stream_id, offset_)
) WITHOUT ROWID;

-- workflow_kinds and task_kinds are JSON arrays of strings.
CREATE TABLE worker (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  type TEXT NOT NULL,
  host_name TEXT NOT NULL,
  process_id TEXT NOT NULL,
  workflow_kinds TEXT NOT NULL,
  task_kinds TEXT NOT NULL,
  registered_ms BIGINT NOT NULL,
  heartbeat_ms BIGINT NOT NULL
);

-- LogMessage lines of tasks, in arrival order.
CREATE TABLE task_log (
  id INTEGER PRIMARY KEY,
  task_id TEXT NOT NULL,
  level TEXT NOT NULL,
  message TEXT NOT NULL,
  timestamp_ms BIGINT NOT NULL
);

CREATE INDEX task_log_task ON task_log (task_id);
