-- Rampart store, SQLite: level 0 of the activity lookups (docs/store.md, "The activity log level").
-- Until now each new row put its id, email, actor id and IP straight into the four `_recent` tables, in key order: four
-- random index pages per row. A live commit of a few activities therefore wrote ~10 WAL frames of 8 KiB per activity
-- (measured: a 6-activity commit wrote 472 KB and took 660 us of CPU). The newest rows' ids and keys are now appended
-- here in rid order (about one page per 50 rows) and moved into the `_recent` tables in key order, a few thousand at
-- a time; reads look here too. log_gen counts those moves (and prunes that touch this table), so a writer knows when
-- the ids it remembers from this table are stale.
CREATE TABLE activity_log (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  t INTEGER NOT NULL,
  email TEXT,
  actor TEXT,
  ip TEXT
);
ALTER TABLE activity_merge ADD COLUMN log_gen INTEGER NOT NULL DEFAULT 0;
-- The log in the shape of the lookup tables, for the read paths (query.ts, getActivity, the layout checks).
CREATE VIEW activity_ids_log AS SELECT id, rid FROM activity_log;
CREATE VIEW activities_by_email_log AS SELECT email AS k, t, rid AS r FROM activity_log WHERE email IS NOT NULL;
CREATE VIEW activities_by_actor_log AS SELECT actor AS k, t, rid AS r FROM activity_log WHERE actor IS NOT NULL;
CREATE VIEW activities_by_ip_log AS SELECT ip AS k, t, rid AS r FROM activity_log WHERE ip IS NOT NULL;
