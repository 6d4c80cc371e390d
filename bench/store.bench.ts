/**
 * Store benchmark: 1,000,000 enriched Workplace-like activities written in 10k batches (SQLite), and as many as
 * `RAMPART_BENCH_PG_ROWS` (default 200k) into PostgreSQL when RAMPART_TEST_PG_URL is set. The reference is
 * JSON.parse of the same NDJSON lines, the ceiling of any ingest path: the store's rows/s is also printed as a
 * fraction of it. Then the first page of two activity-log queries (by user + 7 days, by IP).
 *
 *   node --import tsx bench/store.bench.ts            (RAMPART_BENCH_ROWS=200000 for a quicker run)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import type { Activity } from '../src/schema/activity.ts';
import type { Store } from '../src/store/store.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import { PostgresStore } from '../src/store/postgres/index.ts';
import { mulberry32 } from '../src/core/random.ts';
import type { BenchResult } from './types.ts';


const BATCH = 10_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

const rng = mulberry32; // seeded: the same run always writes the same data

const ACTIONS = [
  ['USER_LOGIN', 'login'],
  ['USER_LOGOUT', 'logout'],
  ['FILE_DOWNLOAD', 'file'],
  ['POST_CREATE', 'content'],
  ['COMMENT_CREATE', 'content'],
  ['ADMIN_ROLE_CHANGE', 'admin'],
  ['INTEGRATION_INSTALL', 'integration'],
  ['USER_PROFILE_UPDATE', 'account'],
] as const;
const COUNTRIES = [['US', 'New York', 40.71, -74.0], ['GB', 'London', 51.5, -0.12], ['DE', 'Berlin', 52.52, 13.4], ['IN', 'Mumbai', 19.07, 72.87], ['BR', 'São Paulo', -23.55, -46.63]] as const;
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Workplace/412.0 (iPhone; iOS 17.4; Scale/3.00)',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
];

/** Activity number `i` of a 10,000-user, 50,000-IP tenant, about 20 events per second of event time. */
export function syntheticActivity(i: number, rand: () => number): Activity {
  const user = Math.floor(rand() * 10_000);
  const [action, category] = ACTIONS[Math.floor(rand() * ACTIONS.length)];
  const [country, city, lat, lon] = COUNTRIES[user % COUNTRIES.length];
  const ip = `${(user % 200) + 20}.${Math.floor(rand() * 250)}.${(user >> 3) % 250}.${Math.floor(rand() * 4) + 1}`;
  const time = new Date(T0 + i * 50 + Math.floor(rand() * 40)).toISOString();
  const email = `user${user}@example.com`;
  const actorId = String(100_000_000_000 + user);
  const ua = UAS[user % UAS.length];
  return {
    v: 1,
    id: `wp_${i.toString(36)}_${user}`,
    time,
    receivedAt: time,
    app: 'workplace',
    tenant: 'acme',
    source: 'webhook',
    action,
    category,
    outcome: rand() < 0.03 ? 'failure' : 'success',
    interactive: category === 'login',
    isAdminActivity: category === 'admin',
    impersonated: false,
    impersonator: null,
    actor: { id: actorId, email, name: `User ${user}` },
    target: category === 'admin' ? { type: 'user', id: String(100_000_000_000 + ((user * 7) % 10_000)), email: null, name: null } : null,
    objects: category === 'file' ? [{ type: 'file', id: `f${Math.floor(rand() * 1e6)}`, name: 'Quarterly report.pdf' }] : [],
    ip,
    userAgent: ua,
    geo: { country, city, lat, lon },
    asn: 7922 + (user % 50),
    isp: 'Example Broadband',
    ipCategory: null,
    ipTags: [],
    device: { type: ua.includes('iPhone') ? 'mobile' : 'desktop', os: 'Windows', browser: 'Chrome', tags: [] },
    userAgentTags: [],
    raw: {
      object: 'page',
      entry: [{ id: '1234567890', time: Math.floor(Date.parse(time) / 1000), changes: [{ field: 'security', value: { event: action, actor_id: actorId, ip_address: ip, user_agent: ua } }] }],
    },
  };
}

interface Measured {
  /** Rows per second of time spent inside putActivities (inline writer only). */
  rowsPerSec: number;
  /** Rows per second of this process's CPU time inside putActivities: steadier than wall time on a shared machine. */
  rowsPerCpuSec: number;
  /** Rows per second of the whole loop: generate the batch, JSON round trip of the reference, store. */
  loopRowsPerSec: number;
  parsePerSec: number;
  parsePerCpuSec: number;
}

/** Writes `rows` activities in 10k batches; with `inFlight` > 1 the next batch is prepared while one is written. */
async function measure(name: string, store: Store, rows: number, inFlight = 1): Promise<Measured> {
  const rand = rng(42);
  let storeMs = 0;
  let storeCpuUs = 0;
  let parseMs = 0;
  let parseCpuUs = 0;
  const pending: Promise<unknown>[] = [];
  const loopStart = performance.now();
  for (let start = 0; start < rows; start += BATCH) {
    const n = Math.min(BATCH, rows - start);
    const batch: Activity[] = new Array(n);
    for (let i = 0; i < n; i++) batch[i] = syntheticActivity(start + i, rand);
    // The reference: parsing the same records from NDJSON text.
    const lines = batch.map((a) => JSON.stringify(a));
    let t = performance.now();
    const parseCpu = process.cpuUsage();
    for (const l of lines) JSON.parse(l);
    parseMs += performance.now() - t;
    const parseUsed = process.cpuUsage(parseCpu);
    parseCpuUs += parseUsed.user + parseUsed.system;
    const cp = { connector: 'bench', key: 'cursor', value: String(start + n) };
    const check = (r: { inserted: number }) => {
      if (r.inserted !== n) throw new Error(`${name}: expected ${n} inserted, got ${r.inserted}`);
    };
    if (inFlight > 1) {
      pending.push(store.putActivities(batch, cp).then(check));
      if (pending.length >= inFlight) await pending.shift();
      continue;
    }
    t = performance.now();
    const cpu = process.cpuUsage();
    check(await store.putActivities(batch, cp));
    storeMs += performance.now() - t;
    const used = process.cpuUsage(cpu);
    storeCpuUs += used.user + used.system;
  }
  await Promise.all(pending);
  const loopMs = performance.now() - loopStart;
  return {
    rowsPerSec: rows / (storeMs / 1000),
    rowsPerCpuSec: rows / (storeCpuUs / 1e6),
    loopRowsPerSec: rows / (loopMs / 1000),
    parsePerSec: rows / (parseMs / 1000),
    parsePerCpuSec: rows / (parseCpuUs / 1e6),
  };
}

async function firstPages(store: Store, rows: number): Promise<{ byUserMs: number; byIpMs: number }> {
  // A user and an IP that occur in the stored data (the same seeded sequence), probed near its end.
  const rand = rng(42);
  let probe = syntheticActivity(0, rand);
  const at = Math.floor(rows * 0.9);
  for (let i = 1; i <= at; i++) probe = syntheticActivity(i, rand);
  const to = new Date(Date.parse(probe.time) + 1).toISOString();
  const from = new Date(Date.parse(to) - 7 * 86_400_000).toISOString();
  let t = performance.now();
  const a = await store.queryActivities({ user: probe.actor.email!, from, to, limit: 100 });
  const byUserMs = performance.now() - t;
  t = performance.now();
  const b = await store.queryActivities({ ip: probe.ip!, limit: 100 });
  const byIpMs = performance.now() - t;
  if (a.items.length === 0 || b.items.length === 0) throw new Error('query probe found nothing');
  return { byUserMs, byIpMs };
}

export const title = 'Store: SQLite and PostgreSQL writes and first-page queries';

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const rows = Number(process.env.RAMPART_BENCH_ROWS ?? 1_000_000);
  const dir = join(process.cwd(), '.bench-tmp', `store-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const sqlite = new SqliteStore({ path: join(dir, 'bench.db') });
  try {
    await sqlite.migrate();
    const m = await measure('sqlite', sqlite, rows);
    results.push({ name: 'JSON.parse of the same lines (reference)', value: Math.round(m.parsePerSec), unit: 'rows/s' });
    results.push({ name: 'JSON.parse of the same lines (reference) per CPU second', value: Math.round(m.parsePerCpuSec), unit: 'rows/cpu-s' });
    results.push({ name: `sqlite putActivities, ${rows} rows in ${BATCH} batches`, value: Math.round(m.rowsPerSec), unit: 'rows/s', note: `${((m.rowsPerSec / m.parsePerSec) * 100).toFixed(1)}% of JSON.parse` });
    results.push({ name: 'sqlite putActivities per CPU second', value: Math.round(m.rowsPerCpuSec), unit: 'rows/cpu-s', note: `${((m.rowsPerCpuSec / m.parsePerCpuSec) * 100).toFixed(1)}% of JSON.parse per CPU second` });
    results.push({ name: 'sqlite whole loop (generate + reference parse + store), inline writer', value: Math.round(m.loopRowsPerSec), unit: 'rows/s' });
    const q = await firstPages(sqlite, rows);
    results.push({ name: `sqlite first page: user + 7 days (${rows} rows)`, value: +q.byUserMs.toFixed(2), unit: 'ms' });
    results.push({ name: `sqlite first page: by IP (${rows} rows)`, value: +q.byIpMs.toFixed(2), unit: 'ms' });
  } finally {
    await sqlite.close();
  }
  const worker = new SqliteStore({ path: join(dir, 'bench-worker.db'), writer: 'worker' });
  try {
    await worker.migrate();
    const m = await measure('sqlite-worker', worker, rows, 2);
    results.push({ name: 'sqlite whole loop, writer thread, 2 batches in flight', value: Math.round(m.loopRowsPerSec), unit: 'rows/s' });
  } finally {
    await worker.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const pgUrl = process.env.RAMPART_TEST_PG_URL;
  if (!pgUrl) {
    console.warn('store bench: RAMPART_TEST_PG_URL is not set, PostgreSQL skipped');
    return results;
  }
  const pgRows = Number(process.env.RAMPART_BENCH_PG_ROWS ?? 200_000);
  const schema = `rampart_bench_${randomBytes(4).toString('hex')}`;
  const pg = new PostgresStore({ url: pgUrl, schema, poolSize: 4 });
  try {
    await pg.migrate();
    const m = await measure('postgres', pg, pgRows);
    results.push({ name: `postgres putActivities, ${pgRows} rows in ${BATCH} batches`, value: Math.round(m.rowsPerSec), unit: 'rows/s', note: `${((m.rowsPerSec / m.parsePerSec) * 100).toFixed(1)}% of JSON.parse` });
    results.push({ name: 'postgres putActivities per client CPU second', value: Math.round(m.rowsPerCpuSec), unit: 'rows/cpu-s', note: 'server CPU not included' });
    results.push({ name: 'postgres whole loop (generate + reference parse + store)', value: Math.round(m.loopRowsPerSec), unit: 'rows/s' });
    const q = await firstPages(pg, pgRows);
    results.push({ name: `postgres first page: user + 7 days (${pgRows} rows)`, value: +q.byUserMs.toFixed(2), unit: 'ms' });
    results.push({ name: `postgres first page: by IP (${pgRows} rows)`, value: +q.byIpMs.toFixed(2), unit: 'ms' });
  } finally {
    await pg.dropSchema();
    await pg.close();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run();
  console.table(results);
}
