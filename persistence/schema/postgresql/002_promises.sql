-- Herald schema, version 2 (PostgreSQL): promises of workflows (CREATE_PROMISE).
-- The workflow's history is the truth; this table is the index that resolves a promise by its
-- UUID or by its idempotency key.

CREATE TABLE promise (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  value TEXT NOT NULL,
  error TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  timeout_at_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  completed_ms BIGINT NOT NULL,
  UNIQUE (workflow_id, name)
);

CREATE INDEX promise_idempotency ON promise (org_id, idempotency_key) WHERE idempotency_key <> '';

CREATE INDEX workflow_execution_parent ON workflow_execution (parent_id) WHERE parent_id <> '';
