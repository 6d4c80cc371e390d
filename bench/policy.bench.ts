/**
 * Activity policies (issue 5, section 1):
 *   (a) live evaluation, events/s with 10, 100 and 1,000 policies (indexed by app and action), against a
 *       ceiling (the loop alone) and against the same policies checked one by one without the index;
 *   (b) backtest over 1,000,000 activities stored in SQLite (paged reads through the Store), for a policy the
 *       store cannot narrow and for one it can (category/outcome push-down), extrapolated to 10,000,000.
 * Run: `node --import tsx bench/policy.bench.ts` (prints a table) or through `npm run bench`.
 * RAMPART_BENCH_EVENTS sets the stored-history size (default 1,000,000); RAMPART_BENCH_PART=live|backtest runs one half.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { backtest, backtestScan, storeActivities } from '../src/detect/policy/backtest.ts';
import { PolicySet } from '../src/detect/policy/compile.ts';
import { loadPolicies } from '../src/detect/policy/load.ts';
import { TEMPLATES_DIR } from '../src/detect/policy/index.ts';
import type { PolicyInput } from '../src/detect/policy/schema.ts';
import type { Activity } from '../src/schema/activity.ts';
import Database from 'better-sqlite3';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import type { ActivityKeys, ActivityScan } from '../src/store/store.ts';
import { generateHistory } from '../test/policy/history.ts';
import type { BenchResult } from './types.ts';


export const title = 'Activity policies: live evaluation and backtest';

const STORED = Number(process.env.RAMPART_BENCH_EVENTS ?? 1_000_000);
const LIVE_EVENTS = 100_000;
const DIR = join(process.cwd(), '.bench-tmp');

const ACTIONS = Array.from({ length: 300 }, (_, i) => `ACTION_${i}`);
const APPS = ['workplace', 'box', 'slack', 'github'];
const COUNTRIES = ['US', 'FR', 'DE', 'GB', 'BR', 'IN', 'JP', 'NG'];

/** A deterministic mix resembling real rule sets: most policies name actions, some apps, some neither. */
function makePolicies(n: number): PolicyInput[] {
  const out: PolicyInput[] = [];
  for (let i = 0; i < n; i++) {
    const filters: NonNullable<PolicyInput['filters']> = [];
    const kind = i % 10;
    if (kind < 8) {
      // 80% name one or two actions (some also an app): the action buckets of the index
      filters.push({ field: 'action', op: i % 3 ? 'eq' : 'in', value: i % 3 ? ACTIONS[i % ACTIONS.length] : [ACTIONS[i % ACTIONS.length], ACTIONS[(i * 7) % ACTIONS.length]] });
      if (i % 4 === 0) filters.push({ field: 'app', op: 'eq', value: APPS[i % APPS.length] });
    } else if (kind === 8) {
      // 10% name an app but no action: the app's catch-all bucket
      filters.push({ field: 'app', op: 'eq', value: APPS[i % APPS.length] });
      filters.push({ field: 'userAgent', op: 'contains', value: `Chrome/1${i % 30}.0` });
    } else {
      // 10% name neither: the global catch-all bucket
      filters.push({ field: 'action', op: 'contains', value: `${i % ACTIONS.length}` });
    }
    if (i % 2 === 0) filters.push({ field: 'outcome', op: 'eq', value: 'failure' });
    if (i % 4 === 1) filters.push({ field: 'geo.country', op: 'in', value: [COUNTRIES[i % 8], COUNTRIES[(i + 3) % 8]] });
    if (i % 6 === 1) filters.push({ field: 'ip', op: 'cidr', value: ['10.0.0.0/8', `198.51.${i % 250}.0/24`] });
    if (i % 9 === 1) filters.push({ field: 'userAgent', op: 'regex', value: `Chrome/1[0-9]${i % 10}` });
    if (i % 4 === 3) filters.push({ field: 'geo.country', op: 'neq', value: COUNTRIES[i % 8], missing: 'no_match' });
    out.push({
      name: `bench-${i}`,
      filters,
      actOn: i % 3 === 0 ? { mode: 'repeated', minCount: 5, windowSecs: 600, uniqueTargets: i % 2 === 0 } : { mode: 'single' },
      alerts: { dailyLimit: 100_000 },
    });
  }
  return out;
}

function makeEvents(n: number): Activity[] {
  const out: Activity[] = [];
  let t = Date.parse('2026-03-01T00:00:00.000Z');
  let seed = 12345;
  const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(r() * 2000);
    const time = new Date(t).toISOString();
    const user = Math.floor(r() * 5000);
    out.push({
      v: 1,
      id: `e${i}`,
      time,
      receivedAt: time,
      app: APPS[Math.floor(r() * APPS.length)],
      tenant: 'acme',
      source: 'scan',
      action: ACTIONS[Math.floor(r() * ACTIONS.length)],
      category: 'other',
      outcome: r() < 0.1 ? 'failure' : 'success',
      interactive: true,
      isAdminActivity: false,
      impersonated: false,
      impersonator: null,
      actor: { id: `u${user}`, email: `user${user}@example.com`, name: null },
      target: null,
      objects: [{ type: 'file', id: `f${Math.floor(r() * 10_000)}`, name: null }],
      ip: `198.51.${user % 250}.${1 + (user % 200)}`,
      userAgent: `Mozilla/5.0 (Windows NT 10.0) Chrome/1${Math.floor(r() * 30)}.0`,
      geo: { country: COUNTRIES[Math.floor(r() * COUNTRIES.length)], city: null, lat: null, lon: null },
      asn: 64500,
      isp: 'Example ISP',
      ipCategory: null,
      ipTags: [],
      device: null,
      userAgentTags: [],
      raw: null,
    });
  }
  return out;
}

/**
 * Bench-only prototype of the proposed `SqliteStore.scanActivities` (the store driver is another issue's):
 * one streaming statement in (time, id) order, and the `keys` row test on the columns before JSON.parse.
 */
async function* prototypeScan(path: string, scan: ActivityScan): AsyncGenerator<Activity> {
  const db = new Database(path, { readonly: true });
  try {
    // The store keeps time as epoch milliseconds; the row test sees the Activity's ISO text.
    const conds = ['time >= ?', 'time < ?'];
    const params: unknown[] = [Date.parse(scan.from!), Date.parse(scan.to!)];
    if (scan.category) conds.push('category = ?') && params.push(scan.category);
    if (scan.outcome) conds.push('outcome = ?') && params.push(scan.outcome);
    const stmt = db.prepare(`SELECT id, time, app, tenant, action, category, outcome, ip, body FROM activities WHERE ${conds.join(' AND ')} ORDER BY time, id`);
    for (const row of stmt.iterate(...params) as Iterable<Omit<ActivityKeys, 'time'> & { time: number | string; body: string }>) {
      row.time = new Date(row.time).toISOString();
      if (scan.keys && !scan.keys(row as ActivityKeys)) continue;
      yield JSON.parse(row.body) as Activity;
    }
  } finally {
    db.close();
  }
}

const perSec = (n: number, ms: number) => Math.round((n / ms) * 1000);

async function liveResults(): Promise<BenchResult[]> {
  const events = makeEvents(LIVE_EVENTS);
  const results: BenchResult[] = [];
  let sink = 0;
  let t0 = performance.now();
  for (const a of events) sink += a.action.length;
  const ceiling = perSec(events.length, performance.now() - t0);
  results.push({ name: 'live: loop over events alone (ceiling)', value: ceiling, unit: 'events/s' });
  for (const n of [10, 100, 1000]) {
    const set = new PolicySet(makePolicies(n));
    const compiled = set.policies;
    // (1) filters only, every policy tested on every event: no index
    t0 = performance.now();
    let brute = 0;
    for (const a of events) for (const cp of compiled) if (cp.filter.test(a)) brute++;
    const bruteRate = perSec(events.length, performance.now() - t0);
    // (2) filters through the app/action index: PolicySet.match
    t0 = performance.now();
    let indexed = 0;
    for (const a of events) indexed += set.match(a).length;
    const matchRate = perSec(events.length, performance.now() - t0);
    if (indexed !== brute) throw new Error(`index changed the result: ${indexed} != ${brute}`);
    // (3) the whole live path: index, filters, repeated windows, limits, alert drafts
    t0 = performance.now();
    let hits = 0;
    for (const a of events) hits += set.evaluate(a).length;
    const evalRate = perSec(events.length, performance.now() - t0);
    results.push({ name: `live: ${n} policies, filters without the index`, value: bruteRate, unit: 'events/s' });
    results.push({ name: `live: ${n} policies, filters through the index (match)`, value: matchRate, unit: 'events/s', note: `${indexed} matches` });
    results.push({ name: `live: ${n} policies, full evaluate (windows, limits, alerts)`, value: evalRate, unit: 'events/s', note: `${hits} alerts over ${events.length} events` });
  }
  if (sink < 0) console.log(sink);
  return results;
}

async function storedResults(): Promise<BenchResult[]> {
  mkdirSync(DIR, { recursive: true });
  // The file name carries the store schema (time as epoch ms since store c9aa2ba) so an old file is not reused.
  const path = join(DIR, `policy-history-${STORED}-ms.db`);
  const fresh = !existsSync(path);
  const store = new SqliteStore({ path });
  await store.migrate();
  const results: BenchResult[] = [];
  try {
    if (fresh || (await store.countActivities()) !== STORED) {
      const t0 = performance.now();
      let batch: Activity[] = [];
      for (const a of generateHistory({ events: STORED, users: 5000, seed: 3, spacingSecs: 2, raw: true })) {
        batch.push(a);
        if (batch.length === 5000) {
          await store.putActivities(batch);
          batch = [];
        }
      }
      if (batch.length) await store.putActivities(batch);
      results.push({ name: `backtest: write ${STORED.toLocaleString('en-US')} activities to SQLite (setup)`, value: perSec(STORED, performance.now() - t0), unit: 'events/s' });
    }
    // Ceilings measured in the same run: reading the rows alone, and reading + decoding every body.
    {
      const db = new Database(path, { readonly: true });
      const stmt = db.prepare('SELECT id, time, app, tenant, action, category, outcome, ip, body FROM activities ORDER BY time, id');
      const cpuNote = (c: NodeJS.CpuUsage) => `${((c.user + c.system) / 1e6).toFixed(1)} s CPU`;
      let t0 = performance.now();
      let c0 = process.cpuUsage();
      let n = 0;
      for (const row of stmt.iterate() as Iterable<{ body: string }>) n += row.body.length > 0 ? 1 : 0;
      results.push({ name: `ceiling: stream ${STORED.toLocaleString('en-US')} rows from SQLite, no decoding`, value: perSec(n, performance.now() - t0), unit: 'rows/s', note: cpuNote(process.cpuUsage(c0)) });
      t0 = performance.now();
      c0 = process.cpuUsage();
      n = 0;
      for (const row of stmt.iterate() as Iterable<{ body: string }>) n += (JSON.parse(row.body) as Activity).id ? 1 : 0;
      results.push({ name: `ceiling: stream ${STORED.toLocaleString('en-US')} rows and JSON.parse every body`, value: perSec(n, performance.now() - t0), unit: 'rows/s', note: cpuNote(process.cpuUsage(c0)) });
      db.close();
    }
    const templates = loadPolicies([TEMPLATES_DIR], { orgDomains: ['example.com'] }).policies.map((p) => p.policy);
    const from = '2026-01-01T00:00:00.000Z';
    const to = '2027-01-01T00:00:00.000Z';
    for (const name of ['mass-download-by-single-user', 'multiple-failed-sign-ins']) {
      const p = templates.filter((x) => x.name === name);
      const scan = backtestScan(p, from, to);
      const pushed = Object.keys(scan).filter((k) => k !== 'from' && k !== 'to' && k !== 'keys');
      const how = pushed.length ? `SQL push-down ${pushed.join('+')}` : 'no SQL push-down';
      let alerts = -1;
      for (const [label, source] of [
        ['Store.queryActivities pages', () => storeActivities(store, scan)],
        ['streamed scan + column row test (prototype)', () => prototypeScan(path, scan)],
      ] as const) {
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const report = await backtest(p, source(), { env: { orgDomains: ['example.com'] } });
        const ms = performance.now() - t0;
        const cpu = process.cpuUsage(cpu0);
        const cpuSecs = (cpu.user + cpu.system) / 1e6;
        if (alerts >= 0 && report.alerts !== alerts) throw new Error(`${label}: ${report.alerts} alerts, expected ${alerts}`);
        alerts = report.alerts;
        const rate = perSec(STORED, ms);
        results.push({
          name: `backtest ${name}, ${STORED.toLocaleString('en-US')} stored, ${how}, via ${label}`,
          value: rate,
          unit: 'stored events/s',
          target: { op: '>=', value: 166_667 }, // 10M in under a minute
          note: `${(ms / 1000).toFixed(1)} s wall, ${cpuSecs.toFixed(1)} s CPU; ${report.scanned} activities decoded, ${report.alerts} alerts; 10M extrapolated: ${Math.round(10_000_000 / rate)} s wall, ${Math.round(cpuSecs * (10_000_000 / STORED))} s CPU`,
        });
      }
    }
  } finally {
    await store.close();
  }
  return results;
}

/** RAMPART_BENCH_PART=live or =backtest runs one half. */
export async function run(): Promise<BenchResult[]> {
  const part = process.env.RAMPART_BENCH_PART;
  return [...(part === 'backtest' ? [] : await liveResults()), ...(part === 'live' ? [] : await storedResults())];
}

if (process.argv[1]?.endsWith('policy.bench.ts')) {
  const results = await run();
  const w = Math.max(...results.map((r) => r.name.length));
  for (const r of results) process.stdout.write(`${r.name.padEnd(w)}  ${r.value.toLocaleString('en-US').padStart(12)} ${r.unit}${r.note ? `  (${r.note})` : ''}\n`);
}
