import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { activity, runStoreContract } from '../store.contract.ts';
import { fillRow, SqliteStore } from './index.ts';
import { layoutProblems } from './layout.fixture.ts';
import { prepareMergeStep } from './activity-writer.js';

const dir = mkdtempSync(join(tmpdir(), 'rampart-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite', async (opts) => {
  const store = new SqliteStore({ path: join(dir, `store-${n++}.db`), migrationsDir: opts?.migrationsDir });
  if (opts?.migrate !== false) await store.migrate();
  return store;
});

// The same contract with activity batches written on the writer thread.
runStoreContract('sqlite (worker writer)', async (opts) => {
  const store = new SqliteStore({ path: join(dir, `store-${n++}.db`), migrationsDir: opts?.migrationsDir, writer: 'worker' });
  if (opts?.migrate !== false) await store.migrate();
  return store;
});

// Every contract test again with merges after every few rows (`_recent` into `_mid` at 3, `_mid` into the big
// tables at 5), in steps of two, so duplicates, queries, pages, counts and prunes all meet rows at every level of
// the lookups, and part-way through a merge.
runStoreContract('sqlite (merge every 3 rows)', async (opts) => {
  const store = new SqliteStore({ path: join(dir, `store-${n++}.db`), migrationsDir: opts?.migrationsDir, mergeRows: 3, midRows: 5, mergeStepRows: 2, logRows: 2 });
  if (opts?.migrate !== false) await store.migrate();
  return store;
});

runStoreContract('sqlite (worker writer, merge every 3 rows)', async (opts) => {
  const store = new SqliteStore({ path: join(dir, `store-${n++}.db`), migrationsDir: opts?.migrationsDir, writer: 'worker', mergeRows: 3, midRows: 5, mergeStepRows: 2, logRows: 2 });
  if (opts?.migrate !== false) await store.migrate();
  return store;
});

describe('SqliteStore worker writer', () => {
  it('close() settles when the idle writer is the only thing left (child process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-close-'));
    const activity = {
      v: 1, id: 'a1', time: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:00.000Z', app: 'workplace', tenant: '', source: 'scan',
      action: 'USER_LOGIN', category: 'login', outcome: 'success', interactive: true, isAdminActivity: false, impersonated: false, impersonator: null,
      actor: { id: 'u1', email: null, name: null }, target: null, objects: [], ip: null, userAgent: null, geo: null, asn: null, isp: null,
      ipCategory: null, ipTags: [], device: null, userAgentTags: [], raw: null,
    };
    const fixture = new URL('./close-worker.fixture.ts', import.meta.url).pathname;
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture, join(dir, 's.db'), JSON.stringify(activity)], { timeout: 60_000 });
    expect(r.stdout).toBe('closed\n');
  });
});

describe('SqliteStore query plans', () => {
  it('walks the user (or IP) lookup tables (all three levels), never the broad action index', async () => {
    const { SqliteStore, SQLITE_DIALECT } = await import('./index.ts');
    const { buildSqliteActivityQuery } = await import('./query.ts');
    const dir = mkdtempSync(join(tmpdir(), 'rampart-plan-'));
    const path = join(dir, 'p.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (q: Parameters<typeof buildSqliteActivityQuery>[1]) => {
      const { sql, params } = buildSqliteActivityQuery(SQLITE_DIALECT, q, 100);
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail).join('\n');
    };
    const from = '2026-01-01T00:00:00.000Z';
    const byUser = plan({ user: 'ana@acme.example', action: 'USER_LOGIN', category: 'login', from });
    // Six lookup walks (email, actor id; big, mid, recent), each by key and time range, never a scan.
    expect(byUser.match(/SEARCH x USING PRIMARY KEY \(k=\? AND t>\?\)/g)).toHaveLength(6);
    expect(byUser).not.toContain('activities_action_time');
    expect(byUser).not.toContain('activities_time');
    expect(byUser).not.toMatch(/SCAN (a|x)\b/);
    const byIp = plan({ ip: '203.0.113.9', action: 'USER_LOGIN' });
    expect(byIp.match(/SEARCH x USING PRIMARY KEY \(k=\?\)/g)).toHaveLength(3);
    expect(byIp).not.toContain('activities_action_time');
    expect(plan({ action: 'USER_LOGIN', from })).toContain('activities_action_time');
    expect(plan({ from })).toContain('activities_time');
    // A category alone walks its own (category, time) index; beside an action, the action's.
    const byCategory = plan({ category: 'admin', outcome: 'failure', from });
    expect(byCategory).toMatch(/SEARCH a USING INDEX activities_category_time \(category=\? AND time>\?\)/);
    expect(byCategory).not.toContain('USE TEMP B-TREE FOR ORDER BY'); // in time order already (only ties sorted by id)
    expect(plan({ category: 'admin', action: 'USER_LOGIN' })).toContain('activities_action_time');
    expect(plan({ user: 'ana@acme.example', category: 'admin' })).not.toContain('activities_category_time');
    db.close();
  });
});

describe('SqliteStore activity layout (merged lookups and recent rows)', () => {
  const at = (m: number) => new Date(Date.parse('2026-03-01T00:00:00.000Z') + m * 60_000).toISOString();
  const act = (id: string, m: number, user = 'u1', ip = '198.51.100.7') =>
    activity({ id, time: at(m), actor: { id: user, email: `${user}@Example.com`, name: null }, ip });

  it('finds duplicates and rows on both sides of the merge, and merges nothing twice', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const store = new SqliteStore({ path, mergeRows: 1_000_000, mergeStepRows: 1 });
    await store.migrate();
    try {
      expect((await store.putActivities([act('a', 1), act('b', 2)])).inserted).toBe(2);
      expect(await store.mergeActivities()).toBe(2);
      // a, b merged; c unmerged. A redelivery of either kind is a duplicate, also twice in one batch.
      const r = await store.putActivities([act('a', 1), act('c', 3), act('b', 2), act('c', 3)]);
      expect(r).toEqual({ inserted: 1, duplicates: 3, insertedIds: ['c'] });
      expect((await store.putActivities([act('c', 3)])).duplicates).toBe(1);
      expect(await store.countActivities()).toBe(3);
      for (const q of [{ user: 'U1@example.com' }, { user: 'u1' }, { ip: '198.51.100.7' }, {}]) {
        expect((await store.queryActivities(q)).items.map((a) => a.id)).toEqual(['c', 'b', 'a']);
      }
      expect((await store.getActivity('a'))?.id).toBe('a');
      expect((await store.getActivity('c'))?.id).toBe('c');
      expect(await store.mergeActivities()).toBe(1);
      expect(await store.mergeActivities()).toBe(0);
      expect((await store.putActivities([act('c', 3)])).duplicates).toBe(1);
      expect((await store.queryActivities({ user: 'u1' })).items.map((a) => a.id)).toEqual(['c', 'b', 'a']);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('keeps the newest rows in the log (level 0): found, deduplicated, still there after reopening, moved on in key order', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const db = new Database(path);
    const count = (t: string) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    const first = new SqliteStore({ path, logRows: 5 });
    await first.migrate();
    try {
      expect((await first.putActivities([act('l1', 1), act('l2', 2, 'u2', '203.0.113.9')])).inserted).toBe(2);
      // In the log only: no `_recent` entry was written for them.
      expect([count('activity_log'), count('activity_ids_recent'), count('activities_by_email_recent')]).toEqual([2, 0, 0]);
      expect((await first.putActivities([act('l1', 1), act('l2', 2)])).duplicates).toBe(2);
      expect((await first.queryActivities({ user: 'U2@example.com' })).items.map((a) => a.id)).toEqual(['l2']);
      expect((await first.queryActivities({ ip: '198.51.100.7' })).items.map((a) => a.id)).toEqual(['l1']);
      expect((await first.getActivity('l2'))?.actor.id).toBe('u2');
    } finally {
      await first.close();
    }
    // A new writer has never seen these ids: it reads them from the log before its first batch.
    const second = new SqliteStore({ path, logRows: 5 });
    await second.migrate();
    try {
      expect(await second.putActivities([act('l1', 1), act('l3', 3)])).toEqual({ inserted: 1, duplicates: 1, insertedIds: ['l3'] });
      expect(await second.putActivities([act('l4', 4), act('l5', 5), act('l2', 2)])).toEqual({ inserted: 2, duplicates: 1, insertedIds: ['l4', 'l5'] });
      // 5 rows: moved into `_recent` after that batch, and deduplicated there.
      expect([count('activity_log'), count('activity_ids_recent'), count('activities_by_ip_recent')]).toEqual([0, 5, 5]);
      expect((await second.putActivities([act('l1', 1), act('l5', 5)])).duplicates).toBe(2);
      expect((await second.queryActivities({ user: 'u1', limit: 10 })).items.map((a) => a.id)).toEqual(['l5', 'l4', 'l3', 'l1']);
    } finally {
      await second.close();
    }
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('deduplicates across two writers on one file while the log fills and moves (each reads what the other appended)', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const a = new SqliteStore({ path, logRows: 4, mergeRows: 6, mergeStepRows: 2 });
    const b = new SqliteStore({ path, logRows: 4, mergeRows: 6, mergeStepRows: 2 });
    await a.migrate();
    await b.migrate();
    try {
      const all: string[] = [];
      for (let i = 0; i < 12; i++) {
        const [mine, other] = i % 2 ? [a, b] : [b, a];
        const id = `w${i}`;
        all.push(id);
        expect((await mine.putActivities([act(id, i)])).inserted).toBe(1);
        // The other writer sees it as stored, whether it is still in the log or has moved on.
        expect((await other.putActivities([act(id, i)])).duplicates).toBe(1);
        // And every earlier id is a duplicate for both.
        expect((await mine.putActivities(all.map((x) => act(x, Number(x.slice(1)))))).duplicates).toBe(all.length);
      }
      expect(await a.countActivities()).toBe(12);
    } finally {
      await a.close();
      await b.close();
    }
    const db = new Database(path, { readonly: true });
    expect(layoutProblems(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM activity_ids_mid').pluck().get()).toBeGreaterThan(0); // moved and merged on
    db.close();
  });

  it('forgets the ids of a batch that failed and rolled back, so they are stored when sent again', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const store = new SqliteStore({ path });
    await store.migrate();
    try {
      const bad = { ...act('f2', 2), time: 'not a time' };
      // f1 is written, then the batch fails on f2 and rolls back: f1 is not stored.
      await expect(store.putActivities([act('f1', 1), bad])).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE_WRITE_FAILED' });
      expect(await store.countActivities()).toBe(0);
      expect(await store.putActivities([act('f1', 1), act('f2', 2)])).toEqual({ inserted: 2, duplicates: 0, insertedIds: ['f1', 'f2'] });
    } finally {
      await store.close();
    }
  });

  it('keeps a merge ahead of batches larger than a step, so the recent tables stay bounded and the merge ends', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const store = new SqliteStore({ path, mergeRows: 20, mergeStepRows: 4, logRows: 10 });
    await store.migrate();
    const db = new Database(path, { readonly: true });
    const recent = () => db.prepare('SELECT count(*) FROM activity_ids_recent').pluck().get() as number;
    const seen: number[] = [];
    try {
      for (let b = 0; b < 30; b++) {
        await store.putActivities(Array.from({ length: 10 }, (_, i) => act(`r${b}-${i}`, b * 10 + i, `u${i}`, `198.51.100.${i}`)));
        seen.push(recent());
      }
      expect(await store.countActivities()).toBe(300);
    } finally {
      await store.close();
    }
    // A merge starts at 20 unmerged rows and then moves at least 2 x 10 after each 10-row batch (steps of 4): the
    // unmerged rows never pile up (one step per batch would leave 6 more after each, ~190 by the end).
    expect(Math.max(...seen)).toBeLessThanOrEqual(30);
    expect(seen.filter((c) => c < 20).length).toBeGreaterThan(10);
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('merges _recent into _mid and _mid into the big tables, each level bounded, every row found at every stage', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const store = new SqliteStore({ path, mergeRows: 20, midRows: 60, mergeStepRows: 4, logRows: 5 });
    await store.migrate();
    const db = new Database(path, { readonly: true });
    const count = (t: string) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    const levels: { log: number; recent: number; mid: number; big: number }[] = [];
    try {
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 10 }, (_, i) => act(`m${b}-${i}`, b * 10 + i, `u${i}`, `198.51.100.${i}`));
        expect((await store.putActivities(batch)).inserted).toBe(10);
        levels.push({ log: count('activity_log'), recent: count('activity_ids_recent'), mid: count('activity_ids_mid'), big: count('activity_ids') });
        // Redeliveries are duplicates whichever level their ids have reached.
        if (b % 5 === 4) {
          const again = Array.from({ length: (b + 1) * 10 }, (_, k) => act(`m${Math.floor(k / 10)}-${k % 10}`, k, `u${k % 10}`, `198.51.100.${k % 10}`));
          expect((await store.putActivities(again)).duplicates).toBe(again.length);
        }
        // Every row stays reachable by its user and IP while entries move between levels.
        const u3 = (await store.queryActivities({ user: 'u3', limit: 1000 })).items.map((a) => a.id);
        expect(u3).toEqual(Array.from({ length: b + 1 }, (_, k) => `m${b - k}-3`));
        expect((await store.queryActivities({ ip: '198.51.100.3', limit: 1000 })).items).toHaveLength(b + 1);
      }
      expect((await store.getActivity('m0-0'))?.id).toBe('m0-0');
      expect((await store.getActivity('m39-9'))?.id).toBe('m39-9');
    } finally {
      await store.close();
    }
    // The log moved after every batch, both merges ran: rows reached the big tables in runs, and no smaller level
    // piled up.
    expect(levels.at(-1)!.big).toBeGreaterThanOrEqual(60);
    expect(levels.some((l) => l.mid > 0 && l.recent > 0 && l.big > 0)).toBe(true);
    expect(Math.max(...levels.map((l) => l.log))).toBe(0); // moved after each 10-row batch (logRows 5)
    expect(Math.max(...levels.map((l) => l.recent))).toBeLessThanOrEqual(40);
    // _mid's threshold: 60, or sqrt(20 x rows in the big tables) when more (at most sqrt(20 x 400) here).
    expect(Math.max(...levels.map((l) => l.mid))).toBeLessThanOrEqual(Math.sqrt(20 * 400) + 20);
    for (const l of levels) expect(l.log + l.recent + l.mid + l.big).toBe(levels.indexOf(l) * 10 + 10);
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('spreads a merge over small batches: a step only when the batches have earned one, never a step per batch', async () => {
    const path = join(dir, `layout-${n++}.db`);
    // Single-row batches (a live commit), steps of 10: the merge moves 2 rows per row inserted (x2 for _mid's, whose
    // threshold is twice mergeRows), so a step every 5 batches out of `_recent` and every ~3 out of `_mid`.
    const store = new SqliteStore({ path, mergeRows: 20, midRows: 40, mergeStepRows: 10, logRows: 1 });
    await store.migrate();
    const db = new Database(path, { readonly: true });
    const count = (t: string) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    const moved: boolean[] = [];
    try {
      let before = { mid: 0, big: 0 };
      for (let i = 0; i < 200; i++) {
        await store.putActivities([act(`s${i}`, i, `u${i % 5}`, `198.51.100.${i % 9}`)]);
        const now = { mid: count('activity_ids_mid'), big: count('activity_ids') };
        moved.push(now.mid !== before.mid || now.big !== before.big);
        before = now;
      }
      expect((await store.queryActivities({ user: 'u3', limit: 100 })).items).toHaveLength(40);
      expect((await store.putActivities([act('s0', 0), act('s199', 199)])).duplicates).toBe(2);
    } finally {
      await store.close();
    }
    const steps = moved.filter(Boolean).length;
    // Both merges ran, in steps earned by the batches: far fewer steps than batches, and never four batches in a row
    // (three: one merge's last step, the next merge's first, then its paced steps; a step per batch would move rows
    // after every batch while `_mid` empties, 4-5 in a row here).
    expect(count('activity_ids')).toBeGreaterThanOrEqual(40);
    expect(steps).toBeGreaterThan(10);
    expect(steps).toBeLessThan(80);
    expect(moved.some((m, i) => m && moved[i + 1] && moved[i + 2] && moved[i + 3])).toBe(false);
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('prunes rows at every level with their ids and lookups, so a pruned id can be stored again', async () => {
    const path = join(dir, `layout-${n++}.db`);
    // The log moves into _recent at 2 rows, so a pair lands in _recent and a single row stays in the log.
    const store = new SqliteStore({ path, mergeRows: 1_000_000, midRows: 1_000_000, logRows: 2 });
    await store.migrate();
    const db = new Database(path, { readonly: true });
    const count = (t: string) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    const idLevels = () => [count('activity_ids'), count('activity_ids_mid'), count('activity_ids_recent'), count('activity_log')];
    try {
      // old1/new1 in the big tables (mergeActivities), old2/new2 in _mid (a raw step), old3/new3 in _recent, old4 in
      // the log.
      await store.putActivities([act('old1', 1), act('new1', 100)]);
      await store.mergeActivities();
      await store.putActivities([act('old2', 2), act('new2', 101)]);
      const raw = new Database(path);
      const step = prepareMergeStep(raw, 'recent', 'mid');
      raw.transaction(() => step(100))();
      raw.close();
      await store.putActivities([act('old3', 3), act('new3', 102)]);
      await store.putActivities([act('old4', 4)]);
      expect(idLevels()).toEqual([2, 2, 2, 1]);
      expect((await store.putActivities([act('new1', 100), act('new2', 101), act('new3', 102), act('old4', 4)])).duplicates).toBe(4);
      expect(await store.pruneActivities(at(50))).toBe(4);
      expect(idLevels()).toEqual([1, 1, 1, 0]);
      expect(count('activities_by_ip') + count('activities_by_ip_mid') + count('activities_by_ip_recent') + count('activities_by_ip_log')).toBe(3);
      expect((await store.queryActivities({ user: 'u1' })).items.map((a) => a.id)).toEqual(['new3', 'new2', 'new1']);
      // old4 was pruned from the log: the writer forgets the id it remembered there, so it can be stored again.
      expect((await store.putActivities([act('old1', 1), act('old2', 2), act('old3', 3), act('old4', 4)])).inserted).toBe(4);
    } finally {
      await store.close();
    }
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('prunes merged and recent rows with their ids and lookups, so a pruned id can be stored again', async () => {
    const path = join(dir, `layout-${n++}.db`);
    const store = new SqliteStore({ path, mergeRows: 1_000_000 });
    await store.migrate();
    try {
      await store.putActivities([act('old1', 1), act('new1', 100)]);
      await store.mergeActivities();
      await store.putActivities([act('old2', 2), act('new2', 101)]);
      expect(await store.pruneActivities(at(50))).toBe(2);
      expect((await store.queryActivities({ user: 'u1' })).items.map((a) => a.id)).toEqual(['new2', 'new1']);
      expect((await store.putActivities([act('old1', 1), act('old2', 2)])).inserted).toBe(2);
      expect((await store.queryActivities({ ip: '198.51.100.7' })).items.map((a) => a.id)).toEqual(['new2', 'new1', 'old2', 'old1']);
      // Pruning the newest rows never lets a new row take a merged rid (it would be taken for merged).
      expect(await store.pruneActivities(at(1000))).toBe(4);
      await store.putActivities([act('after', 5, 'u2', '203.0.113.1')]);
      expect((await store.queryActivities({ user: 'u2' })).items.map((a) => a.id)).toEqual(['after']);
      expect((await store.queryActivities({ ip: '203.0.113.1' })).items.map((a) => a.id)).toEqual(['after']);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('migrates a database written by the 0001 layout: rows, lookups, duplicates and new writes', async () => {
    const old = mkdtempSync(join(tmpdir(), 'rampart-0001-'));
    copyFileSync(new URL('./migrations/0001_init.sql', import.meta.url), join(old, '0001_init.sql'));
    const path = join(dir, `layout-${n++}.db`);
    const before = new SqliteStore({ path, migrationsDir: old });
    await before.migrate();
    await before.close();
    const raw = new Database(path);
    const insert = raw.prepare('INSERT INTO activities (id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const a of [act('x1', 1), act('x2', 2, 'u2', '203.0.113.5'), act('x3', 3)]) {
      const row: unknown[] = new Array(11);
      fillRow(row, a);
      insert.run(row);
    }
    raw.close();
    const store = new SqliteStore({ path, mergeRows: 1_000_000 });
    await store.migrate();
    try {
      expect(await store.countActivities()).toBe(3);
      expect((await store.queryActivities({ user: 'u1' })).items.map((a) => a.id)).toEqual(['x3', 'x1']);
      expect((await store.queryActivities({ ip: '203.0.113.5' })).items.map((a) => a.id)).toEqual(['x2']);
      expect((await store.getActivity('x2'))?.actor.id).toBe('u2');
      expect(await store.putActivities([act('x1', 1), act('x4', 4)])).toEqual({ inserted: 1, duplicates: 1, insertedIds: ['x4'] });
      expect((await store.queryActivities({ user: 'U1@EXAMPLE.COM' })).items.map((a) => a.id)).toEqual(['x4', 'x3', 'x1']);
    } finally {
      await store.close();
      rmSync(old, { recursive: true, force: true });
    }
    const db = new Database(path, { readonly: true });
    expect(layoutProblems(db)).toEqual([]);
    db.close();
  });

  it('upgrades a database of the two-level layout (0002) with rows merged and unmerged: found, deduplicated, merged on', async () => {
    const old = mkdtempSync(join(tmpdir(), 'rampart-0002-'));
    for (const f of ['0001_init.sql', '0002_activity_lookups.sql']) copyFileSync(new URL(`./migrations/${f}`, import.meta.url), join(old, f));
    const path = join(dir, `layout-${n++}.db`);
    const before = new SqliteStore({ path, migrationsDir: old });
    await before.migrate();
    await before.close();
    // Rows as the two-level writer left them: y1, y2 merged into the big tables, y3 still in the _recent ones.
    const raw = new Database(path);
    const insert = raw.prepare('INSERT INTO activities (id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body, rid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const rows = [act('y1', 1), act('y2', 2, 'u2', '203.0.113.5'), act('y3', 3)].map((a, i) => {
      const row: unknown[] = new Array(12);
      fillRow(row, a);
      row[11] = i + 1;
      insert.run(row);
      return row;
    });
    rows.forEach((row, i) => {
      const level = i < 2 ? '' : '_recent';
      raw.prepare(`INSERT INTO activity_ids${level} (id, rid) VALUES (?, ?)`).run(row[0], row[11]);
      for (const [k, c] of [['email', 5], ['actor', 4], ['ip', 6]] as const) raw.prepare(`INSERT INTO activities_by_${k}${level} (k, t, r) VALUES (?, ?, ?)`).run(row[c], row[1], row[11]);
    });
    raw.prepare('UPDATE activity_merge SET merged_rid = 2').run();
    raw.close();

    const store = new SqliteStore({ path, mergeRows: 2, midRows: 3, mergeStepRows: 1, logRows: 1 });
    await store.migrate();
    try {
      expect((await store.queryActivities({ user: 'u1' })).items.map((a) => a.id)).toEqual(['y3', 'y1']);
      expect((await store.queryActivities({ ip: '203.0.113.5' })).items.map((a) => a.id)).toEqual(['y2']);
      expect(await store.putActivities([act('y1', 1), act('y3', 3), act('y4', 4)])).toEqual({ inserted: 1, duplicates: 2, insertedIds: ['y4'] });
      // New batches push the old rows through _mid into the big tables.
      for (let b = 0; b < 6; b++) await store.putActivities([act(`z${b}`, 10 + b)]);
      expect((await store.queryActivities({ user: 'U1@EXAMPLE.COM', limit: 100 })).items.map((a) => a.id)).toEqual(['z5', 'z4', 'z3', 'z2', 'z1', 'z0', 'y4', 'y3', 'y1']);
      expect((await store.putActivities([act('y3', 3), act('z0', 10)])).duplicates).toBe(2);
      expect((await store.stats()).activities).toBe(10);
    } finally {
      await store.close();
      rmSync(old, { recursive: true, force: true });
    }
    const db = new Database(path, { readonly: true });
    expect(layoutProblems(db)).toEqual([]);
    expect(db.prepare('SELECT count(*) FROM activity_ids').pluck().get()).toBeGreaterThan(2); // merged on, past _mid
    db.close();
  });
});

describe('SqliteStore WAL checkpoints', () => {
  // Pages a batch writes live only in the WAL until a checkpoint copies them into the database file, so the file's
  // size tells whether a checkpoint ran. One batch stays far below the writers' automatic checkpoint (10,000 pages).
  const batch = (tag: string) =>
    Array.from({ length: 2_000 }, (_, i) => activity({ id: `${tag}-${i}`, raw: { note: 'x'.repeat(400), i } }));
  const fileBytes = (path: string) => statSync(path).size;
  const waitFor = async (test: () => boolean, ms: number) => {
    for (const end = Date.now() + ms; Date.now() < end; ) {
      if (test()) return true;
      await new Promise((r) => setTimeout(r, 25));
    }
    return test();
  };

  it.each(['inline', 'worker'] as const)('copies committed pages into the database file on its own thread (%s writer)', async (writer) => {
    const path = join(dir, `ckpt-thread-${writer}.db`);
    const store = new SqliteStore({ path, writer });
    await store.migrate();
    const before = fileBytes(path);
    expect((await store.putActivities(batch('t'))).inserted).toBe(2_000);
    // The writer itself did not checkpoint (the WAL is far below its threshold): only the checkpointer grows the file.
    expect(await waitFor(() => fileBytes(path) > before + 1_000_000, 10_000)).toBe(true);
    expect(store.checkpointFailures).toBe(0);
    await store.close();
    // Closed last, the store's own connection checkpointed the rest and removed the WAL.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new SqliteStore({ path });
    await reopened.migrate();
    expect(await reopened.countActivities()).toBe(2_000);
    expect((await reopened.getActivity('t-1999'))?.raw).toEqual({ note: 'x'.repeat(400), i: 1999 });
    await reopened.close();
  });

  it('leaves the copy to the writers with checkpoints: writer', async () => {
    const path = join(dir, 'ckpt-writer.db');
    const store = new SqliteStore({ path, checkpoints: 'writer' });
    await store.migrate();
    const before = fileBytes(path);
    await store.putActivities(batch('w'));
    // Nothing copies pages below the writers' threshold: the file keeps its size while the WAL holds the batch.
    await new Promise((r) => setTimeout(r, 300));
    expect(fileBytes(path)).toBe(before);
    expect(fileBytes(`${path}-wal`)).toBeGreaterThan(1_000_000);
    await store.close();
    expect(fileBytes(path)).toBeGreaterThan(before + 1_000_000);
  });

  it('keeps every row when readers and the checkpointer overlap the writes', async () => {
    const path = join(dir, 'ckpt-readers.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    const reader = new Database(path, { readonly: true });
    const count = reader.prepare('SELECT count(*) FROM activities').pluck();
    const seen: number[] = [];
    for (let b = 0; b < 5; b++) {
      // A read transaction held across a batch pins an old snapshot: PASSIVE checkpoints stop short of it, never wait.
      reader.exec('BEGIN');
      seen.push(count.get() as number);
      await store.putActivities(batch(`r${b}`));
      seen.push(count.get() as number);
      reader.exec('COMMIT');
    }
    expect(seen).toEqual([0, 0, 2_000, 2_000, 4_000, 4_000, 6_000, 6_000, 8_000, 8_000]);
    expect(count.get()).toBe(10_000);
    reader.close();
    expect(await store.countActivities()).toBe(10_000);
    await store.close();
  });
});

describe('SqliteStore checkpointer failures', () => {
  it('reports a checkpointer that cannot open the database; the writers go on and checkpoint themselves', async () => {
    const path = join(dir, 'ckpt-fail.db');
    const failures: string[] = [];
    const store = new SqliteStore({ path, onCheckpointFailure: (reason) => failures.push(reason) });
    await store.migrate();
    // The store's connection keeps its open file; a thread opening the path now meets a folder.
    rmSync(path);
    mkdirSync(path);
    expect((await store.putActivities([activity({ id: 'f-1' })])).inserted).toBe(1);
    for (const end = Date.now() + 10_000; failures.length === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 25));
    expect(failures).toEqual(['checkpointer_stopped']);
    expect(store.checkpointFailures).toBe(1);
    // Not started again, and nothing lost: the next batches are stored and read back.
    expect((await store.putActivities([activity({ id: 'f-2' })])).inserted).toBe(1);
    expect(await store.countActivities()).toBe(2);
    await store.close();
    expect(failures).toEqual(['checkpointer_stopped']);
  });
});
