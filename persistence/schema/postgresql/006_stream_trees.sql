-- Herald schema, version 6: consolidated streams of execution trees, and stream retention.

-- The root of the execution's tree once it has children ('' for an execution without any).
ALTER TABLE workflow_execution ADD COLUMN root_id TEXT NOT NULL DEFAULT '';

-- The consolidated stream of a tree, from its first child on: offset `offset_` of root
-- `root_id` is event `source_offset` of the stream of `workflow_id`. Before the first row, the
-- tree's offsets are those of the root's own stream.
CREATE TABLE tree_event (
  root_id TEXT NOT NULL,
  offset_ BIGINT NOT NULL,
  workflow_id TEXT NOT NULL,
  source_offset BIGINT NOT NULL,
  PRIMARY KEY (root_id, offset_)
);

-- Retention finds what finished before a cut-off.
CREATE INDEX workflow_execution_completed ON workflow_execution (completed_ms)
  WHERE completed_ms > 0;
CREATE INDEX task_execution_completed ON task_execution (completed_ms)
  WHERE completed_ms > 0 AND workflow_id = '';
