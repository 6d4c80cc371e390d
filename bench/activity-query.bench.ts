/**
 * Activity-log queries at 10,000,000 stored activities on SQLite (issue 5, audit trail): the first page of a query
 * by user over a 7-day window, and of a query by IP, through SqliteStore.queryActivities. Target: under 200 ms.
 * Also (issue 2, "indexed queries ... by category"): the first page of a rare category (1 row in 1,000 is an admin
 * change) and of a category with no rows at all, the worst case of a category filter.
 * The database is built once with SQL (a recursive CTE, indexes created after the load) and kept in .bench-tmp/,
 * because loading 10M rows through the ingest path is what bench/pipeline.bench.ts measures, not this.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import { mulberry32 } from '../src/core/random.ts';
import type { BenchResult } from './types.ts';

export const title = 'Activity log queries at 10,000,000 stored activities (SQLite)';

const ROWS = Number(process.env.RAMPART_BENCH_QUERY_ROWS ?? 10_000_000);
const USERS = 100_000;
const IPS = 250_000;
const DAYS = 180;
const END_MS = Date.UTC(2026, 10, 1);
const DIR = join(process.cwd(), '.bench-tmp');

async function build(path: string): Promise<void> {
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  const store = new SqliteStore({ path });
  await store.migrate(); // the real schema and indexes
  await store.close();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF'); // a throwaway fixture: speed over durability
  const indexes = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activities' AND sql IS NOT NULL").pluck().all() as string[];
  for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'activities' AND sql IS NOT NULL").pluck().all() as string[]) {
    db.exec(`DROP INDEX ${name}`);
  }
  // Deterministic pseudo-random spread with integer hashing in SQL; times are spread over DAYS before END_MS.
  db.exec(`
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS - 1}),
    r AS (SELECT i, (i * 2654435761) % ${USERS} AS u, (i * 40503 + 7) % ${IPS} AS k,
                 ${END_MS} - ((i * 7919) % ${DAYS * 86_400}) * 1000 AS t FROM n)
    INSERT INTO activities (id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body)
    SELECT 'q' || i, t, 'workplace', 't1', 'u' || u, 'user' || u || '@acme.example',
           (k % 200 + 20) || '.' || (k / 200 % 250) || '.' || (k % 97) || '.' || (k % 250 + 1),
           CASE i % 10 WHEN 0 THEN 'USER_LOGIN_FAILED' WHEN 1 THEN 'USER_LOGOUT' ELSE 'USER_LOGIN' END,
           CASE WHEN i % 1000 = 3 THEN 'admin' ELSE 'login' END,
           CASE i % 10 WHEN 0 THEN 'failure' ELSE 'success' END,
           json_object('v', 1, 'id', 'q' || i, 'time', strftime('%Y-%m-%dT%H:%M:%fZ', t / 1000.0, 'unixepoch'),
             'receivedAt', strftime('%Y-%m-%dT%H:%M:%fZ', t / 1000.0, 'unixepoch'), 'app', 'workplace', 'tenant', 't1',
             'source', 'bench', 'action', CASE i % 10 WHEN 0 THEN 'USER_LOGIN_FAILED' WHEN 1 THEN 'USER_LOGOUT' ELSE 'USER_LOGIN' END,
             'category', CASE WHEN i % 1000 = 3 THEN 'admin' ELSE 'login' END, 'outcome', CASE i % 10 WHEN 0 THEN 'failure' ELSE 'success' END, 'interactive', json('true'),
             'isAdminActivity', json('false'), 'impersonated', json('false'), 'impersonator', NULL,
             'actor', json_object('id', 'u' || u, 'email', 'user' || u || '@acme.example', 'name', NULL), 'target', NULL,
             'objects', json('[]'), 'ip', (k % 200 + 20) || '.' || (k / 200 % 250) || '.' || (k % 97) || '.' || (k % 250 + 1),
             'userAgent', NULL, 'geo', NULL, 'asn', NULL, 'isp', NULL, 'ipCategory', NULL, 'ipTags', json('[]'),
             'device', NULL, 'userAgentTags', json('[]'), 'raw', NULL)
    FROM r;
  `);
  for (const sql of indexes) db.exec(sql);
  // The lookup tables the store merges into (migration 0002), built once in key order, as the migration does.
  db.exec(`
    INSERT INTO activity_ids (id, rid) SELECT id, rid FROM activities ORDER BY id;
    INSERT INTO activities_by_email (k, t, r) SELECT actor_email, time, rid FROM activities WHERE actor_email IS NOT NULL ORDER BY 1, 2, 3;
    INSERT INTO activities_by_actor (k, t, r) SELECT actor_id, time, rid FROM activities WHERE actor_id IS NOT NULL ORDER BY 1, 2, 3;
    INSERT INTO activities_by_ip (k, t, r) SELECT ip, time, rid FROM activities WHERE ip IS NOT NULL ORDER BY 1, 2, 3;
    UPDATE activity_merge SET merged_rid = (SELECT coalesce(max(rid), 0) FROM activities);
  `);
  db.exec('ANALYZE');
  db.close();
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export async function run(): Promise<BenchResult[]> {
  mkdirSync(DIR, { recursive: true });
  // v2: 1 row in 1,000 is category admin (the category queries below).
  const path = join(DIR, `activity-query-${ROWS}-v2.db`);
  let buildSecs = 0;
  if (!existsSync(path)) {
    const t0 = performance.now();
    await build(path);
    buildSecs = (performance.now() - t0) / 1000;
  }
  const store = new SqliteStore({ path });
  await store.migrate();
  const stored = await store.countActivities();
  const rnd = mulberry32(99);
  const byUser: number[] = [];
  const byIp: number[] = [];
  let rowsSeen = 0;
  for (let i = 0; i < 40; i++) {
    const u = Math.floor(rnd() * USERS);
    const to = END_MS - Math.floor(rnd() * (DAYS - 7)) * 86_400_000;
    let t0 = performance.now();
    const page = await store.queryActivities({ user: `user${u}@acme.example`, from: new Date(to - 7 * 86_400_000).toISOString(), to: new Date(to).toISOString(), limit: 100 });
    byUser.push(performance.now() - t0);
    rowsSeen += page.items.length;
    // An IP that exists: take one from a stored activity of a random user.
    const probe = await store.queryActivities({ user: `u${Math.floor(rnd() * USERS)}`, limit: 1 });
    const ip = probe.items[0]?.ip ?? '20.0.0.1';
    t0 = performance.now();
    const ipPage = await store.queryActivities({ ip, limit: 100 });
    byIp.push(performance.now() - t0);
    rowsSeen += ipPage.items.length;
  }
  const byCategory: number[] = [];
  const byEmptyCategory: number[] = [];
  for (let i = 0; i < 40; i++) {
    const to = END_MS - Math.floor(rnd() * DAYS) * 86_400_000;
    let t0 = performance.now();
    const page = await store.queryActivities({ category: 'admin', to: new Date(to).toISOString(), limit: 100 });
    byCategory.push(performance.now() - t0);
    if (page.items.some((a) => a.category !== 'admin')) throw new Error('category query returned another category');
    rowsSeen += page.items.length;
    t0 = performance.now();
    const none = await store.queryActivities({ category: 'file', limit: 100 });
    byEmptyCategory.push(performance.now() - t0);
    if (none.items.length) throw new Error('the fixture has no file activities');
  }
  await store.close();
  if (rowsSeen === 0) throw new Error('queries returned nothing: the fixture is wrong');
  const note = `${stored.toLocaleString('en-US')} rows stored; ${buildSecs ? `fixture built in ${buildSecs.toFixed(0)} s` : 'fixture reused'}; 40 queries each`;
  return [
    { name: 'first page, by user + 7-day window, p50', value: +pct(byUser, 50).toFixed(1), unit: 'ms', note },
    { name: 'first page, by user + 7-day window, p99', value: +pct(byUser, 99).toFixed(1), unit: 'ms', target: { op: '<=', value: 200 } },
    { name: 'first page, by IP, p50', value: +pct(byIp, 50).toFixed(1), unit: 'ms' },
    { name: 'first page, by IP, p99', value: +pct(byIp, 99).toFixed(1), unit: 'ms', target: { op: '<=', value: 200 } },
    { name: 'first page, rare category (1 in 1,000 rows) before a random instant, p50', value: +pct(byCategory, 50).toFixed(1), unit: 'ms' },
    { name: 'first page, rare category (1 in 1,000 rows) before a random instant, p99', value: +pct(byCategory, 99).toFixed(1), unit: 'ms', target: { op: '<=', value: 200 } },
    { name: 'first page, category with no rows, p50', value: +pct(byEmptyCategory, 50).toFixed(1), unit: 'ms' },
    { name: 'first page, category with no rows, p99', value: +pct(byEmptyCategory, 99).toFixed(1), unit: 'ms', target: { op: '<=', value: 200 } },
  ];
}
