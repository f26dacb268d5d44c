-- Herald schema, version 8: a step writes only the columns that change, and no index covers
-- them (SQLite then updates no index entry). The status indexes go; the unfinished rows that
-- start-up loads are found by completed_ms = 0 (set once, when the row finishes).
DROP INDEX IF EXISTS workflow_execution_status;
DROP INDEX IF EXISTS task_execution_status;
CREATE INDEX workflow_execution_open ON workflow_execution (created_ms) WHERE completed_ms = 0;
CREATE INDEX task_execution_open ON task_execution (created_ms) WHERE completed_ms = 0;
