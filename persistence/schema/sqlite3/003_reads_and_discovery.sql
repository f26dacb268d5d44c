-- Herald schema, version 3: what the REST reads, discovery and task-scoped state need.

-- The JSON metadata a worker registered with.
ALTER TABLE worker ADD COLUMN metadata TEXT NOT NULL DEFAULT '';

CREATE INDEX worker_org ON worker (org_id, heartbeat_ms);

-- Workflow and task kinds as the last worker that registered them described them. tags is a
-- JSON array of strings; schemas, retry_policy and metadata are JSON ('' = none).
CREATE TABLE workflow_definition (
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  version TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  input_schema TEXT NOT NULL,
  output_schema TEXT NOT NULL,
  retry_policy TEXT NOT NULL,
  metadata TEXT NOT NULL,
  tags TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  cancellable INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (org_id, kind)
);

CREATE TABLE task_definition (
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  version TEXT NOT NULL,
  content_hash TEXT NOT NULL,
  input_schema TEXT NOT NULL,
  output_schema TEXT NOT NULL,
  retry_policy TEXT NOT NULL,
  metadata TEXT NOT NULL,
  tags TEXT NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  cancellable INTEGER NOT NULL,
  worker_id TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (org_id, kind)
);

-- The key-value state of a task (GetState, SetState, ...); value is JSON.
CREATE TABLE task_state (
  task_id TEXT NOT NULL,
  state_key TEXT NOT NULL,
  value TEXT NOT NULL,
  updated_ms BIGINT NOT NULL,
  PRIMARY KEY (task_id, state_key)
);

-- Listing an org's executions newest first (children use 002's workflow_execution_parent).
CREATE INDEX workflow_execution_org_created ON workflow_execution (org_id, created_ms);
