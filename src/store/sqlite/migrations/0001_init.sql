-- Rampart store, SQLite: initial schema.
-- An activity is one JSON text column (`body`, the whole record including `raw`) plus the columns that
-- queries filter and sort on. Secondary indexes are partial where the column is often empty, so rows
-- without an IP or email cost nothing in those indexes.

CREATE TABLE IF NOT EXISTS activities (
  id          TEXT PRIMARY KEY,
  time        INTEGER NOT NULL,           -- epoch milliseconds (the ISO text is in body)
  app         TEXT NOT NULL,
  tenant      TEXT NOT NULL DEFAULT '',
  actor_id    TEXT,
  actor_email TEXT,                       -- lowercased
  ip          TEXT,
  action      TEXT NOT NULL,
  category    TEXT NOT NULL,
  outcome     TEXT NOT NULL,
  body        TEXT NOT NULL               -- JSON of the whole Activity
);
CREATE INDEX IF NOT EXISTS activities_time ON activities (time);
CREATE INDEX IF NOT EXISTS activities_actor_email_time ON activities (actor_email, time) WHERE actor_email IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_actor_id_time ON activities (actor_id, time) WHERE actor_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_ip_time ON activities (ip, time) WHERE ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_action_time ON activities (action, time);

CREATE TABLE IF NOT EXISTS alerts (
  id         TEXT PRIMARY KEY,
  time       TEXT NOT NULL,
  status     TEXT NOT NULL,
  severity   TEXT NOT NULL,
  detection  TEXT NOT NULL,
  user_key   TEXT,                        -- lowercased `user`
  updated_at TEXT NOT NULL,
  body       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts (time);
CREATE INDEX IF NOT EXISTS alerts_status_time ON alerts (status, time);
CREATE INDEX IF NOT EXISTS alerts_detection_time ON alerts (detection, time);
CREATE INDEX IF NOT EXISTS alerts_user_time ON alerts (user_key, time);

CREATE TABLE IF NOT EXISTS directory_users (
  app        TEXT NOT NULL,
  id         TEXT NOT NULL,
  email_lc   TEXT,
  updated_at TEXT NOT NULL,
  body       TEXT NOT NULL,
  PRIMARY KEY (app, id)
);
CREATE INDEX IF NOT EXISTS directory_users_email ON directory_users (app, email_lc) WHERE email_lc IS NOT NULL;

CREATE TABLE IF NOT EXISTS ip_ranges (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL
);

CREATE TABLE IF NOT EXISTS checkpoints (
  connector  TEXT NOT NULL,
  key        TEXT NOT NULL,
  value      TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (connector, key)
);

CREATE TABLE IF NOT EXISTS rejects (
  seq         INTEGER PRIMARY KEY AUTOINCREMENT,
  id          TEXT NOT NULL UNIQUE,
  source      TEXT NOT NULL,
  code        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  sample      TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rejects_received ON rejects (received_at, seq);

CREATE TABLE IF NOT EXISTS docs (
  kind       TEXT NOT NULL,
  id         TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  body       TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
