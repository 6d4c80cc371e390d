-- Rampart store, SQLite: activity lookups maintained in sorted batches (docs/store.md, "Writing activities").
-- Before: `activities` carried a text primary key and four secondary indexes keyed by random values (id, email,
-- actor id, IP), so each commit rewrote thousands of random index pages. Now the table is append-only by `rid`
-- (arrival order) with only its time-ordered indexes; the id, email, actor id and IP lookups live in separate
-- WITHOUT ROWID tables that the store extends in large batches sorted by key. Rows newer than the last batch
-- (`rid` > activity_merge.merged_rid) have their ids and keys in small, hot `_recent` tables, so a redelivered id
-- is found in one of the two id tables, never stored twice, and every query finds every row through an index.

CREATE TABLE activities_v2 (
  rid         INTEGER PRIMARY KEY,        -- arrival order; never reused below activity_merge.merged_rid
  id          TEXT NOT NULL,
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
INSERT INTO activities_v2 (rid, id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body)
  SELECT rowid, id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body FROM activities ORDER BY rowid;
DROP TABLE activities;
ALTER TABLE activities_v2 RENAME TO activities;
-- Appended in time order (or close to it): each commit touches the last pages only.
CREATE INDEX activities_time ON activities (time);
CREATE INDEX activities_action_time ON activities (action, time);

-- Every stored id is in exactly one of these two.
CREATE TABLE activity_ids (id TEXT PRIMARY KEY, rid INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE activity_ids_recent (id TEXT PRIMARY KEY, rid INTEGER NOT NULL) WITHOUT ROWID;

-- (key, time, rid): "this user" / "this IP", newest first, one page at a time. The big tables cover the rows up
-- to merged_rid; the `_recent` ones, small and hot, the newer rows, until the merge moves their entries over.
CREATE TABLE activities_by_email (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_actor (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_ip (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_email_recent (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_actor_recent (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_ip_recent (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;

INSERT INTO activity_ids (id, rid) SELECT id, rid FROM activities ORDER BY id;
INSERT INTO activities_by_email (k, t, r) SELECT actor_email, time, rid FROM activities WHERE actor_email IS NOT NULL ORDER BY 1, 2, 3;
INSERT INTO activities_by_actor (k, t, r) SELECT actor_id, time, rid FROM activities WHERE actor_id IS NOT NULL ORDER BY 1, 2, 3;
INSERT INTO activities_by_ip (k, t, r) SELECT ip, time, rid FROM activities WHERE ip IS NOT NULL ORDER BY 1, 2, 3;

-- One row: the highest rid whose lookups are in the tables above.
CREATE TABLE activity_merge (one INTEGER PRIMARY KEY CHECK (one = 1), merged_rid INTEGER NOT NULL);
INSERT INTO activity_merge (one, merged_rid) SELECT 1, coalesce(max(rid), 0) FROM activities;
