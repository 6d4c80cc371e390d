-- Rampart store, SQLite: a middle level for the activity lookups (docs/store.md, "Writing activities").
-- Since 0002, the newest rows' ids and keys sit in small `_recent` tables that merge into the big tables in key
-- order. Each merge rewrote most pages of the big tables, so its cost per row grew with the store (measured:
-- 27,000 rows per CPU second over the first 500,000 rows, 13,300 at 4M). Now `_recent` merges into `_mid`, and
-- `_mid` into the big tables when it holds 200,000 rows or the square root of 50,000 times the big tables' rows
-- (1M rows stored: 224,000). Every stored id is in exactly one of activity_ids_recent, activity_ids_mid and
-- activity_ids; each lookup entry in exactly one level.

CREATE TABLE activity_ids_mid (id TEXT PRIMARY KEY, rid INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE activities_by_email_mid (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_actor_mid (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
CREATE TABLE activities_by_ip_mid (k TEXT NOT NULL, t INTEGER NOT NULL, r INTEGER NOT NULL, PRIMARY KEY (k, t, r)) WITHOUT ROWID;
