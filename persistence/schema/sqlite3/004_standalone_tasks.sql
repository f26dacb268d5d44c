-- Herald schema, version 4: standalone tasks (their metadata and own stream) and task attempts.

ALTER TABLE task_execution ADD COLUMN metadata TEXT NOT NULL DEFAULT '{}';

ALTER TABLE task_execution ADD COLUMN stream_offset BIGINT NOT NULL DEFAULT 0;

CREATE INDEX task_execution_standalone ON task_execution (org_id, created_ms)
  WHERE workflow_id = '';

-- One row per attempt of a task; `id` is "<task id>:<attempt>".
CREATE TABLE task_attempt (
  id TEXT PRIMARY KEY,
  task_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL,
  worker_id TEXT NOT NULL,
  output TEXT NOT NULL,
  error TEXT NOT NULL,
  started_ms BIGINT NOT NULL,
  finished_ms BIGINT NOT NULL
);

CREATE INDEX task_attempt_task ON task_attempt (task_id, attempt);
