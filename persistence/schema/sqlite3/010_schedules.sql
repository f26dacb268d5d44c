-- Herald schema, version 10 (SQLite 3): schedules and their runs (reference §1.6, §3.13). Each
-- schedule's actor is the single writer of its row and its runs; a fire commits the schedule,
-- advanced past it, together with its run, before it starts anything.

CREATE TABLE schedule (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL,
  kind TEXT NOT NULL,
  run_at_ms BIGINT NOT NULL,
  cron TEXT NOT NULL,
  time_zone TEXT NOT NULL,
  end_at_ms BIGINT NOT NULL,
  target_type TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_queue TEXT NOT NULL,
  target_input TEXT NOT NULL,
  target_metadata TEXT NOT NULL,
  target_max_retries INTEGER NOT NULL,
  missed_run_policy TEXT NOT NULL,
  overlap_policy TEXT NOT NULL,
  enabled INTEGER NOT NULL,
  next_run_ms BIGINT NOT NULL,
  last_run_ms BIGINT NOT NULL,
  run_count BIGINT NOT NULL,
  last_target_id TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  updated_ms BIGINT NOT NULL,
  UNIQUE (org_id, name)
);

CREATE TABLE schedule_run (
  id TEXT PRIMARY KEY,
  schedule_id TEXT NOT NULL,
  org_id TEXT NOT NULL,
  scheduled_ms BIGINT NOT NULL,
  started_ms BIGINT NOT NULL,
  completed_ms BIGINT NOT NULL,
  status TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  error TEXT NOT NULL,
  manual INTEGER NOT NULL,
  created_ms BIGINT NOT NULL
);

CREATE INDEX schedule_run_by_schedule ON schedule_run (schedule_id, created_ms);
CREATE INDEX schedule_run_running ON schedule_run (status) WHERE status = 'running';
