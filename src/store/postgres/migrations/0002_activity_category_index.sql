-- Rampart store, PostgreSQL: the activity log by category (docs/store.md, "Indexes"). Without it a category filter
-- was checked on the rows of the time index, so a query for a rare or empty category walked the whole table.
CREATE INDEX IF NOT EXISTS activities_category_time ON activities (category, time);
