-- Rampart store, SQLite: the activity log by category (docs/store.md, "Indexes").
-- Until now a category filter was checked on the rows of the time index, so a query for a rare category (integration
-- installs, admin changes) or one with no rows walked the whole table: 0.77 s at 1M rows for an empty category,
-- growing with the store. Categories are few, so each one's rows are appended at its own end of this index: cheap
-- to keep, and a category's page is read in time order and stops after one page.
CREATE INDEX IF NOT EXISTS activities_category_time ON activities (category, time);
