-- Herald schema, version 5 (SQLite 3): idempotency keys with a TTL, one table for the keys of
-- workflow executions, tasks and promises. (org_id, key) binds exactly one entity until
-- expires_ms; an expired row never matches and is replaced by the next claim of its key. Keys of
-- FAILED and CANCELLED executions are deleted when the execution ends that way.

CREATE TABLE idempotency_key (
  org_id TEXT NOT NULL,
  key TEXT NOT NULL,
  workflow_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  promise_id TEXT NOT NULL,
  expires_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (org_id, key),
  CHECK ((CASE WHEN workflow_id <> '' THEN 1 ELSE 0 END) + (CASE WHEN task_id <> '' THEN 1 ELSE 0 END)
         + (CASE WHEN promise_id <> '' THEN 1 ELSE 0 END) = 1)
);

CREATE INDEX idempotency_key_expires ON idempotency_key (expires_ms);

-- Keys given before this version: the newest execution per key, unless it failed or was
-- cancelled, then promises whose key no execution holds. They expire 24 hours after creation.
INSERT INTO idempotency_key (org_id, key, workflow_id, task_id, promise_id, expires_ms, created_ms)
SELECT w.org_id, w.idempotency_key, w.id, '', '', w.created_ms + 86400000, w.created_ms
FROM workflow_execution w
WHERE w.idempotency_key <> '' AND w.status NOT IN ('FAILED', 'CANCELLED')
  AND NOT EXISTS (SELECT 1 FROM workflow_execution n
                  WHERE n.org_id = w.org_id AND n.idempotency_key = w.idempotency_key
                    AND (n.created_ms > w.created_ms OR (n.created_ms = w.created_ms AND n.id > w.id)));

INSERT INTO idempotency_key (org_id, key, workflow_id, task_id, promise_id, expires_ms, created_ms)
SELECT p.org_id, p.idempotency_key, '', '', p.id, p.created_ms + 86400000, p.created_ms
FROM promise p
WHERE p.idempotency_key <> ''
  AND NOT EXISTS (SELECT 1 FROM promise n
                  WHERE n.org_id = p.org_id AND n.idempotency_key = p.idempotency_key
                    AND (n.created_ms > p.created_ms OR (n.created_ms = p.created_ms AND n.id > p.id)))
  AND NOT EXISTS (SELECT 1 FROM idempotency_key k
                  WHERE k.org_id = p.org_id AND k.key = p.idempotency_key);
