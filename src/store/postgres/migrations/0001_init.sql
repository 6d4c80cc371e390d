-- Rampart store, PostgreSQL: initial schema.
-- An activity is one JSONB column (`body`, the whole record except `raw`) plus the columns that queries
-- filter and sort on. `raw` is kept in a `json` column: json keeps the original text verbatim (key order,
-- \u0000 escapes) where jsonb would reorder keys and reject \u0000.

CREATE TABLE IF NOT EXISTS activities (
  id          text PRIMARY KEY,
  time        timestamptz NOT NULL,
  app         text NOT NULL,
  tenant      text NOT NULL DEFAULT '',
  actor_id    text,
  actor_email text,                       -- lowercased
  ip          text,
  action      text NOT NULL,
  category    text NOT NULL,
  outcome     text NOT NULL,
  body        jsonb NOT NULL,
  raw         json
);
CREATE INDEX IF NOT EXISTS activities_time ON activities (time);
CREATE INDEX IF NOT EXISTS activities_actor_email_time ON activities (actor_email, time) WHERE actor_email IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_actor_id_time ON activities (actor_id, time) WHERE actor_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_ip_time ON activities (ip, time) WHERE ip IS NOT NULL;
CREATE INDEX IF NOT EXISTS activities_action_time ON activities (action, time);

CREATE TABLE IF NOT EXISTS alerts (
  id         text PRIMARY KEY,
  time       timestamptz NOT NULL,
  status     text NOT NULL,
  severity   text NOT NULL,
  detection  text NOT NULL,
  user_key   text,                        -- lowercased `user`
  updated_at timestamptz NOT NULL,
  body       jsonb NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts (time);
CREATE INDEX IF NOT EXISTS alerts_status_time ON alerts (status, time);
CREATE INDEX IF NOT EXISTS alerts_detection_time ON alerts (detection, time);
CREATE INDEX IF NOT EXISTS alerts_user_time ON alerts (user_key, time);

CREATE TABLE IF NOT EXISTS directory_users (
  app        text NOT NULL,
  id         text NOT NULL,
  email_lc   text,
  updated_at text NOT NULL,
  body       jsonb NOT NULL,
  PRIMARY KEY (app, id)
);
CREATE INDEX IF NOT EXISTS directory_users_email ON directory_users (app, email_lc) WHERE email_lc IS NOT NULL;

CREATE TABLE IF NOT EXISTS ip_ranges (
  name text PRIMARY KEY,
  body jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS checkpoints (
  connector  text NOT NULL,
  key        text NOT NULL,
  value      text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (connector, key)
);

CREATE TABLE IF NOT EXISTS rejects (
  seq         bigserial PRIMARY KEY,
  id          text NOT NULL UNIQUE,
  source      text NOT NULL,
  code        text NOT NULL,
  reason      text NOT NULL,
  sample      text NOT NULL,
  received_at text NOT NULL
);
CREATE INDEX IF NOT EXISTS rejects_received ON rejects (received_at, seq);

CREATE TABLE IF NOT EXISTS docs (
  kind       text NOT NULL,
  id         text NOT NULL,
  updated_at text NOT NULL,
  body       jsonb NOT NULL,
  PRIMARY KEY (kind, id)
);
