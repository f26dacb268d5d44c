-- Herald schema, version 7: where each consolidated tree stream stands, kept apart from its rows.
-- Offsets up to base_offset are the root's own stream (before its first child); last_offset is
-- the highest offset given. Retention removes tree_event rows but not this, so a tree that goes
-- on afterwards (a retried root, a child still running) never reuses an offset.
CREATE TABLE tree_head (
  root_id TEXT PRIMARY KEY,
  base_offset BIGINT NOT NULL,
  last_offset BIGINT NOT NULL
) WITHOUT ROWID;

INSERT INTO tree_head (root_id, base_offset, last_offset)
  SELECT root_id, MIN(offset_) - 1, MAX(offset_) FROM tree_event GROUP BY root_id;
