-- Herald schema, version 11 (SQLite 3): Durable Streams (docs/durable-streams.md). A stream's
-- records are rows of stream_event under the stream's id, like an execution's events; this table
-- holds what the protocol keeps about the stream itself. A stream created again at a path after
-- a delete is a new row with a new id.

CREATE TABLE ds_stream (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  path TEXT NOT NULL,
  content_type TEXT NOT NULL,
  records BIGINT NOT NULL,
  closed INTEGER NOT NULL,
  last_seq TEXT NOT NULL,
  ttl_s BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  last_access_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  UNIQUE (org_id, path)
);
