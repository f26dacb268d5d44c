-- Credentials: API keys and worker tokens. Only an HMAC-SHA256 of each token under the server's
-- secret key is stored, found by the token's first 16 characters (`prefix`).
CREATE TABLE credential (
  id TEXT PRIMARY KEY,
  org_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  principal TEXT NOT NULL,
  role TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  last_used_ms BIGINT NOT NULL,
  revoked_ms BIGINT NOT NULL
);

CREATE INDEX credential_org ON credential (org_id);
