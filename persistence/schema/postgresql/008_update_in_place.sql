-- Herald schema, version 8: executions and tasks update in place. A step writes only the columns
-- that change (status, worker, counters, times), and no index covers them, so PostgreSQL can make
-- each update a heap-only tuple (HOT) in the same page: no new index entries. The status indexes
-- go; the unfinished rows that start-up loads are found by completed_ms = 0 (set once, when the
-- row finishes). Pages keep room for those updates.
DROP INDEX IF EXISTS workflow_execution_status;
DROP INDEX IF EXISTS task_execution_status;
CREATE INDEX workflow_execution_open ON workflow_execution (created_ms) WHERE completed_ms = 0;
CREATE INDEX task_execution_open ON task_execution (created_ms) WHERE completed_ms = 0;
ALTER TABLE workflow_execution SET (fillfactor = 80);
ALTER TABLE task_execution SET (fillfactor = 80);
ALTER TABLE task_attempt SET (fillfactor = 80);
