/**
 * @module store/store.contract
 * The one behavioural contract every Store passes (hono's common.case.test, drizzle's shared tests): each
 * driver's test file calls `runStoreContract(name, factory)`. The factory returns a fresh, migrated, empty store
 * for every test; the suite closes it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActivitySchema, type Activity, type ActivityInput } from '../schema/activity.ts';
import { AlertSchema, type Alert } from '../schema/alert.ts';
import { DirectoryUserSchema, type DirectoryUser } from '../schema/directory.ts';
import { isRampartError } from '../core/errors.ts';
import type { ActivityQuery, Store } from './store.ts';
import { pruneAll, pruneByRetention } from './index.ts';

export interface StoreFactoryOptions {
  /** Use these NNNN_*.sql migrations instead of the driver's own (migration failure tests). */
  migrationsDir?: string;
  /** Skip migrate() (the factory returns the store as constructed). */
  migrate?: boolean;
}
export type StoreFactory = (opts?: StoreFactoryOptions) => Promise<Store>;

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

export function activity(over: Partial<ActivityInput> & { id: string }): Activity {
  return ActivitySchema.parse({
    time: at(0),
    receivedAt: at(0),
    app: 'workplace',
    tenant: 'acme',
    action: 'USER_LOGIN',
    category: 'login',
    outcome: 'success',
    actor: { id: '1001', email: 'Alice@Example.com', name: 'Alice' },
    ip: '198.51.100.7',
    ...over,
  });
}

export function alert(over: Partial<Alert> & { id: string }): Alert {
  return AlertSchema.parse({
    detection: 'impossible_travel',
    title: 'Impossible travel',
    severity: 'medium',
    user: 'alice@example.com',
    app: 'workplace',
    time: at(0),
    firstSeen: at(0),
    lastSeen: at(0),
    activityIds: ['a1'],
    evidence: ['Logged in from FR then US within 10 minutes'],
    details: { distanceKm: 6000 },
    dedupKey: 'impossible_travel|alice@example.com',
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  });
}

export function dirUser(over: Partial<DirectoryUser> & { id: string }): DirectoryUser {
  return DirectoryUserSchema.parse({ app: 'workplace', active: true, updatedAt: at(0), ...over });
}

/** Every page of a query, following `next`; fails on a loop. */
async function allPages(store: Store, q: ActivityQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await store.queryActivities({ ...q, cursor });
    ids.push(...page.items.map((a) => a.id));
    cursor = page.next;
    pages++;
    if (pages > 1000) throw new Error('pagination does not terminate');
  } while (cursor);
  return { ids, pages };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).not.toBeNull();
  expect(isRampartError(err) ? err.code : err).toBe(code);
}

export function runStoreContract(name: string, factory: StoreFactory): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    const open = async (opts?: StoreFactoryOptions): Promise<Store> => {
      const s = await factory(opts);
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    describe('migrations', () => {
      it('migrate() is idempotent', async () => {
        const store = await open();
        await store.migrate();
        await store.migrate();
        expect(await store.countActivities()).toBe(0);
      });

      it('a failing migration raises RAMPART_ERR_STORE_MIGRATION_FAILED naming the step, and keeps earlier steps', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'rampart-migrations-'));
        try {
          writeFileSync(join(dir, '0001_first.sql'), 'CREATE TABLE first_table (x integer);');
          writeFileSync(join(dir, '0002_broken.sql'), 'CREATE TABLE second_table (x integer);\nTHIS IS NOT SQL;');
          const store = await open({ migrationsDir: dir, migrate: false });
          const err = await store.migrate().then(
            () => null,
            (e: unknown) => e,
          );
          expect(isRampartError(err) && err.code).toBe('RAMPART_ERR_STORE_MIGRATION_FAILED');
          expect((err as Error).message).toContain('0002_broken');
          // Fixing the step lets migrate() finish; 0001 is not applied twice (it would fail: table exists).
          writeFileSync(join(dir, '0002_broken.sql'), 'CREATE TABLE second_table (x integer);');
          await store.migrate();
          await store.migrate();
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    });

    describe('activities', () => {
      it('puts idempotently and counts duplicates, in input order', async () => {
        const store = await open();
        const a = activity({ id: 'a1' });
        const b = activity({ id: 'a2', time: at(1) });
        expect(await store.putActivities([a, b])).toEqual({ inserted: 2, duplicates: 0, insertedIds: ['a1', 'a2'] });
        const c = activity({ id: 'a3', time: at(2) });
        expect(await store.putActivities([b, c, a])).toEqual({ inserted: 1, duplicates: 2, insertedIds: ['a3'] });
        // The same id twice inside one batch: stored once, the repeat is a duplicate.
        const d = activity({ id: 'a4', time: at(3) });
        expect(await store.putActivities([d, d])).toEqual({ inserted: 1, duplicates: 1, insertedIds: ['a4'] });
        expect(await store.putActivities([])).toEqual({ inserted: 0, duplicates: 0, insertedIds: [] });
        expect(await store.countActivities()).toBe(4);
      });

      it('keeps the first version of a redelivered id (no overwrite)', async () => {
        const store = await open();
        await store.putActivities([activity({ id: 'x', action: 'FIRST' })]);
        await store.putActivities([activity({ id: 'x', action: 'SECOND' })]);
        expect((await store.getActivity('x'))?.action).toBe('FIRST');
      });

      it('handles batches larger than one insert statement', async () => {
        const store = await open();
        const batch = Array.from({ length: 2345 }, (_, i) => activity({ id: `bulk-${i}`, time: at(i % 60) }));
        const r1 = await store.putActivities(batch.slice(0, 1000));
        expect(r1.inserted).toBe(1000);
        const r2 = await store.putActivities(batch);
        expect(r2).toMatchObject({ inserted: 1345, duplicates: 1000 });
        expect(r2.insertedIds).toEqual(batch.slice(1000).map((a) => a.id));
        expect(await store.countActivities()).toBe(2345);
      });

      it('round-trips every Activity field, unicode and a raw payload', async () => {
        const store = await open();
        const full = activity({
          id: 'full-1',
          time: '2026-03-01T10:11:12.345Z',
          receivedAt: '2026-03-01T10:11:13.000Z',
          app: 'workplace',
          tenant: 'ácme-テナント',
          source: 'webhook',
          action: 'ADMIN_ROLE_CHANGE',
          category: 'admin',
          outcome: 'failure',
          interactive: true,
          isAdminActivity: true,
          impersonated: true,
          impersonator: { id: '9', email: 'admin@example.com' },
          actor: { id: '1001', email: 'Zoë.Ünal@Example.com', name: 'Zoë Ünal 👩‍💻' },
          target: { type: 'user', id: '2002', email: 'bob@example.com', name: 'Bob «B» O’Brien' },
          objects: [
            { type: 'group', id: 'g1', name: 'Финансы' },
            { type: 'file', id: null, name: 'plan "v2".pdf' },
          ],
          ip: '2001:db8::1',
          userAgent: 'Mozilla/5.0 (X11; Linux x86_64) 测试',
          geo: { country: 'DE', city: 'München', lat: 48.137, lon: 11.575 },
          asn: 3320,
          isp: 'Deutsche Telekom AG',
          ipCategory: 'corporate',
          ipTags: ['hq', 'vpn-exit'],
          device: { type: 'desktop', os: 'Linux', browser: 'Firefox', tags: ['managed'] },
          userAgentTags: ['native-client'],
          raw: {
            object: 'page',
            entry: [{ id: '123', time: 1772359872, changes: [{ field: 'security', value: { note: 'quote " backslash \\ tab \t 🚀', n: 1.5, big: 12345678901234, neg: -3, t: true, f: false, z: null } }] }],
            nested: { deep: { deeper: [[1, 2], { k: 'v' }] } },
          },
        });
        await store.putActivities([full]);
        const back = await store.getActivity('full-1');
        expect(back).toEqual(full);
        expect(Object.keys(back!).sort()).toEqual(Object.keys(full).sort());
        const viaQuery = await store.queryActivities({ user: 'zoë.ünal@example.com' });
        expect(viaQuery.items).toEqual([full]);
        expect(await store.getActivity('missing')).toBeNull();
      });

      it('stores control characters and U+0000 without failing the batch', async () => {
        const store = await open();
        const weird = activity({ id: 'nul-1', action: 'WEIRD', actor: { id: '7', email: null, name: 'bad\u0000name\u0001' }, userAgent: 'lone \ud800 surrogate', raw: { s: 'a\u0000b', ctl: '\u0007', lone: '\udc00' } });
        const plain = activity({ id: 'nul-2', time: at(1) });
        expect((await store.putActivities([weird, plain])).inserted).toBe(2);
        const back = (await store.getActivity('nul-1'))!;
        // raw is kept verbatim by both drivers; PostgreSQL text/jsonb cannot hold U+0000 or a lone surrogate in other
        // fields, which become U+FFFD there (docs/store.md, driver differences).
        expect(back.raw).toEqual({ s: 'a\u0000b', ctl: '\u0007', lone: '\udc00' });
        expect(['bad\u0000name\u0001', 'bad\uFFFDname\u0001']).toContain(back.actor.name);
        expect(['lone \ud800 surrogate', 'lone \uFFFD surrogate']).toContain(back.userAgent);
        expect(await store.getActivity('nul-2')).toEqual(plain);
      });

      it('commits the checkpoint with the batch, and a failing batch leaves both unchanged', async () => {
        const store = await open();
        expect(await store.getCheckpoint('workplace', 'since')).toBeNull();
        await store.putActivities([activity({ id: 'c1' })], { connector: 'workplace', key: 'since', value: 'T1' });
        expect(await store.getCheckpoint('workplace', 'since')).toBe('T1');

        // A batch whose last row cannot be stored (no time): nothing of it is written, the checkpoint stays.
        const good = activity({ id: 'c2', time: at(5) });
        const bad = { ...activity({ id: 'c3' }), time: null } as unknown as Activity;
        await expectCode(store.putActivities([good, bad], { connector: 'workplace', key: 'since', value: 'T2' }), 'RAMPART_ERR_STORE_WRITE_FAILED');
        expect(await store.getCheckpoint('workplace', 'since')).toBe('T1');
        expect(await store.getActivity('c2')).toBeNull();
        expect(await store.countActivities()).toBe(1);

        // Same with a failure in a later insert statement of a big batch.
        const big = Array.from({ length: 2100 }, (_, i) => activity({ id: `big-${i}`, time: at(i) }));
        big.push({ ...activity({ id: 'big-bad' }), time: 'not a time' } as unknown as Activity);
        await expectCode(store.putActivities(big, { connector: 'workplace', key: 'since', value: 'T3' }), 'RAMPART_ERR_STORE_WRITE_FAILED');
        expect(await store.getCheckpoint('workplace', 'since')).toBe('T1');
        expect(await store.countActivities()).toBe(1);

        // And the store still works afterwards.
        await store.putActivities([good], { connector: 'workplace', key: 'since', value: 'T2' });
        expect(await store.getCheckpoint('workplace', 'since')).toBe('T2');
        expect(await store.countActivities()).toBe(2);
      });

      it('write errors never carry SQL or the written values in the message', async () => {
        const store = await open();
        const bad = { ...activity({ id: 'secret-value-123' }), time: null } as unknown as Activity;
        const err = (await store.putActivities([bad]).catch((e: unknown) => e)) as Error;
        expect(isRampartError(err)).toBe(true);
        expect(err.message).not.toMatch(/INSERT|SELECT|secret-value-123/i);
      });
    });

    describe('activity queries', () => {
      const seed = async (store: Store): Promise<Activity[]> => {
        const rows = [
          activity({ id: 'q1', time: at(10), actor: { id: '1001', email: 'Alice@Example.com', name: 'Alice' }, ip: '198.51.100.7', action: 'USER_LOGIN', category: 'login', outcome: 'success' }),
          activity({ id: 'q2', time: at(20), actor: { id: '1001', email: 'alice@example.com', name: 'Alice' }, ip: '203.0.113.9', action: 'USER_LOGIN', category: 'login', outcome: 'failure' }),
          activity({ id: 'q3', time: at(30), actor: { id: '1002', email: 'bob@example.com', name: 'Bob' }, ip: '198.51.100.7', action: 'FILE_DOWNLOAD', category: 'file', objects: [{ type: 'file', id: 'f-77', name: 'Salaries Q1.xlsx' }] }),
          activity({ id: 'q4', time: at(40), actor: { id: '1003', email: null, name: 'Service Bot' }, ip: null, action: 'INTEGRATION_INSTALL', category: 'integration', app: 'slack' }),
          activity({ id: 'q5', time: at(50), actor: { id: '1002', email: 'bob@example.com', name: 'Bob' }, ip: '2001:db8::5', action: 'ADMIN_ROLE_CHANGE', category: 'admin', target: { type: 'user', id: '1001', email: 'alice@example.com', name: 'Alice Ärger' } }),
        ];
        await store.putActivities(rows);
        return rows;
      };
      const ids = (p: { items: Activity[] }) => p.items.map((a) => a.id);

      it('returns newest first by default, oldest first on request', async () => {
        const store = await open();
        await seed(store);
        expect(ids(await store.queryActivities({}))).toEqual(['q5', 'q4', 'q3', 'q2', 'q1']);
        expect(ids(await store.queryActivities({ order: 'asc' }))).toEqual(['q1', 'q2', 'q3', 'q4', 'q5']);
      });

      it('filters by user: actor email case-insensitively, or actor id', async () => {
        const store = await open();
        await seed(store);
        expect(ids(await store.queryActivities({ user: 'ALICE@example.COM' }))).toEqual(['q2', 'q1']);
        expect(ids(await store.queryActivities({ user: '1002' }))).toEqual(['q5', 'q3']);
        expect(ids(await store.queryActivities({ user: '1003' }))).toEqual(['q4']);
        expect(ids(await store.queryActivities({ user: 'nobody@example.com' }))).toEqual([]);
      });

      it('filters by ip, action, category, outcome, app', async () => {
        const store = await open();
        await seed(store);
        expect(ids(await store.queryActivities({ ip: '198.51.100.7' }))).toEqual(['q3', 'q1']);
        expect(ids(await store.queryActivities({ ip: '2001:db8::5' }))).toEqual(['q5']);
        expect(ids(await store.queryActivities({ action: 'USER_LOGIN' }))).toEqual(['q2', 'q1']);
        expect(ids(await store.queryActivities({ category: 'file' }))).toEqual(['q3']);
        expect(ids(await store.queryActivities({ outcome: 'failure' }))).toEqual(['q2']);
        expect(ids(await store.queryActivities({ app: 'slack' }))).toEqual(['q4']);
        expect(ids(await store.queryActivities({ app: 'workplace', category: 'login', outcome: 'success' }))).toEqual(['q1']);
        expect(ids(await store.queryActivities({ user: 'alice@example.com', ip: '203.0.113.9' }))).toEqual(['q2']);
      });

      it('filters by time range: from inclusive, to exclusive', async () => {
        const store = await open();
        await seed(store);
        expect(ids(await store.queryActivities({ from: at(20), to: at(40) }))).toEqual(['q3', 'q2']);
        expect(ids(await store.queryActivities({ from: at(50) }))).toEqual(['q5']);
        expect(ids(await store.queryActivities({ to: at(10) }))).toEqual([]);
        // Bounds in another offset are normalised to UTC.
        expect(ids(await store.queryActivities({ from: '2026-03-01T01:20:00+01:00', to: at(31) }))).toEqual(['q3', 'q2']);
        await expectCode(store.queryActivities({ from: 'yesterday-ish' }), 'RAMPART_ERR_STORE_INVALID_QUERY');
      });

      it('free text: case-insensitive substring over action, actor, target and objects', async () => {
        const store = await open();
        await seed(store);
        expect(ids(await store.queryActivities({ text: 'login' }))).toEqual(['q2', 'q1']);
        expect(ids(await store.queryActivities({ text: 'service bot' }))).toEqual(['q4']);
        expect(ids(await store.queryActivities({ text: 'SALARIES' }))).toEqual(['q3']);
        expect(ids(await store.queryActivities({ text: 'f-77' }))).toEqual(['q3']);
        expect(ids(await store.queryActivities({ text: 'äRGER' }))).toEqual(['q5']);
        expect(ids(await store.queryActivities({ text: 'bob@' }))).toEqual(['q5', 'q3']);
        // Not matched: the IP is not a text field, nor are JSON key names.
        expect(ids(await store.queryActivities({ text: '198.51' }))).toEqual([]);
        expect(ids(await store.queryActivities({ text: 'email' }))).toEqual([]);
        // LIKE wildcards are literal.
        expect(ids(await store.queryActivities({ text: '%' }))).toEqual([]);
        expect(ids(await store.queryActivities({ text: 'user_' }))).toEqual(['q2', 'q1']);
      });

      it('paginates with a cursor that neither repeats nor skips rows, including equal timestamps', async () => {
        const store = await open();
        // 57 rows over 6 distinct timestamps, inserted in scrambled order.
        const rows = Array.from({ length: 57 }, (_, i) => activity({ id: `p-${String((i * 37) % 57).padStart(3, '0')}`, time: at(i % 6) }));
        await store.putActivities(rows);
        const expectedDesc = [...rows].sort((a, b) => (a.time === b.time ? (a.id < b.id ? 1 : -1) : a.time < b.time ? 1 : -1)).map((a) => a.id);
        for (const limit of [1, 5, 10, 56, 57, 100]) {
          const desc = await allPages(store, { limit });
          expect(desc.ids).toEqual(expectedDesc);
          expect(desc.pages).toBe(Math.ceil(57 / limit));
          const asc = await allPages(store, { limit, order: 'asc' });
          expect(asc.ids).toEqual([...expectedDesc].reverse());
        }
        // Filters still apply on later pages; the last page has no cursor.
        const filtered = await allPages(store, { limit: 4, from: at(2), to: at(4) });
        expect(filtered.ids).toEqual(expectedDesc.filter((id) => rows.find((r) => r.id === id)!.time >= at(2) && rows.find((r) => r.id === id)!.time < at(4)));
        const page = await store.queryActivities({ limit: 57 });
        expect(page.next).toBeNull();
      });

      it('paginates a user query across both the email and the id branches', async () => {
        const store = await open();
        const rows = Array.from({ length: 30 }, (_, i) =>
          activity({ id: `u-${i}`, time: at(i % 4), actor: i % 3 === 0 ? { id: 'carol@example.com', email: null, name: null } : { id: '55', email: 'Carol@Example.com', name: 'Carol' } }),
        );
        rows.push(activity({ id: 'other', actor: { id: '66', email: 'dave@example.com', name: null } }));
        await store.putActivities(rows);
        const got = await allPages(store, { user: 'carol@example.com', limit: 7 });
        expect([...got.ids].sort()).toEqual(rows.filter((r) => r.id !== 'other').map((r) => r.id).sort());
        expect(new Set(got.ids).size).toBe(got.ids.length);
      });

      it('limits pages to 1..1000 and rejects a foreign cursor', async () => {
        const store = await open();
        await store.putActivities(Array.from({ length: 5 }, (_, i) => activity({ id: `l-${i}`, time: at(i) })));
        expect((await store.queryActivities({ limit: 0 })).items).toHaveLength(1);
        expect((await store.queryActivities({ limit: 2 })).items).toHaveLength(2);
        await expectCode(store.queryActivities({ cursor: 'not-a-cursor' }), 'RAMPART_ERR_STORE_INVALID_QUERY');
        await expectCode(store.queryActivities({ cursor: Buffer.from('["x","y"]').toString('base64url') }), 'RAMPART_ERR_STORE_INVALID_QUERY');
      });
    });

    describe('retention', () => {
      it('prunes activities before the instant, in batches, and keeps the rest', async () => {
        const store = await open();
        const rows = Array.from({ length: 12_000 }, (_, i) => activity({ id: `r-${i}`, time: at(i) }));
        await store.putActivities(rows);
        expect(await store.pruneActivities(at(11_000))).toBe(11_000);
        expect(await store.countActivities()).toBe(1000);
        expect(await store.getActivity('r-10999')).toBeNull();
        expect(await store.getActivity('r-11000')).not.toBeNull();
        expect(await store.pruneActivities(at(11_000))).toBe(0);
      });

      it('pruneByRetention deletes what is older than retentionDays', async () => {
        const store = await open();
        const now = new Date('2026-06-30T12:00:00.000Z');
        const day = 86_400_000;
        await store.putActivities([
          activity({ id: 'old', time: new Date(now.getTime() - 181 * day).toISOString() }),
          activity({ id: 'edge', time: new Date(now.getTime() - 180 * day).toISOString() }),
          activity({ id: 'new', time: new Date(now.getTime() - 1 * day).toISOString() }),
        ]);
        expect(await pruneByRetention(store, 180, now)).toBe(1);
        expect(await store.getActivity('old')).toBeNull();
        expect(await store.getActivity('edge')).not.toBeNull();
        expect(await pruneByRetention(store, 1, now)).toBe(1);
        expect((await store.queryActivities({})).items.map((a) => a.id)).toEqual(['new']);
      });

      it('prunes rejects and log documents by age, in batches, and never other document kinds', async () => {
        const store = await open();
        const doc = (kind: string, id: string, minutes: number) => ({ kind, id, body: { id }, updatedAt: at(minutes) });
        await store.putRejects(Array.from({ length: 5_002 }, (_, i) => ({ id: `rj-${i}`, source: 's', code: 'C', reason: 'r', sample: 'x', receivedAt: at(i < 5_001 ? 1 : 100) })));
        for (let i = 0; i < 3; i++) await store.putDoc(doc('audit', `old-${i}`, 1));
        await store.putDoc(doc('audit', 'new', 100));
        await store.putDoc(doc('policy', 'old-policy', 1));
        expect(await store.pruneRejects(at(50))).toBe(5_001);
        expect((await store.listRejects()).items.map((r) => r.id)).toEqual(['rj-5001']);
        expect(await store.pruneDocs('audit', at(50))).toBe(3);
        expect((await store.listDocs('audit')).map((d) => d.id)).toEqual(['new']);
        expect(await store.getDoc('policy', 'old-policy')).not.toBeNull();
        expect(await store.pruneDocs('audit', at(50))).toBe(0);
      });

      it('pruneAll applies retentionDays to activities and rejects, logRetentionDays to log kinds only', async () => {
        const store = await open();
        const now = new Date('2026-06-30T12:00:00.000Z');
        const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
        await store.putActivities([activity({ id: 'a-old', time: daysAgo(200) }), activity({ id: 'a-new', time: daysAgo(10) })]);
        await store.putRejects([{ id: 'r-old', source: 's', code: 'C', reason: 'r', sample: '', receivedAt: daysAgo(200) }]);
        await store.putDoc({ kind: 'audit', id: 'log-old', body: {}, updatedAt: daysAgo(400) });
        await store.putDoc({ kind: 'audit', id: 'log-200', body: {}, updatedAt: daysAgo(200) });
        await store.putDoc({ kind: 'quota', id: 'q-old', body: {}, updatedAt: daysAgo(3) });
        await store.putDoc({ kind: 'policy', id: 'p-old', body: {}, updatedAt: daysAgo(999) });
        const r = await pruneAll(store, { retentionDays: 180, logRetentionDays: 365, logDocKinds: ['audit'], shortDocKinds: ['quota'], shortDays: 2 }, now);
        expect(r).toEqual({ activities: 1, rejects: 1, docs: { audit: 1, quota: 1 } });
        expect(await store.getActivity('a-new')).not.toBeNull();
        expect((await store.listDocs('audit')).map((d) => d.id)).toEqual(['log-200']);
        expect(await store.getDoc('policy', 'p-old')).not.toBeNull();
      });
    });

    describe('alerts', () => {
      it('upserts on id and round-trips every field', async () => {
        const store = await open();
        const a = alert({ id: 'al-1', mitreTactic: 'initial_access', ips: ['198.51.100.7'], details: { from: 'FR', to: 'US', nested: { km: 6000 } } });
        await store.putAlert(a);
        expect(await store.getAlert('al-1')).toEqual(a);
        const resolved = { ...a, status: 'resolved' as const, classification: 'false_positive' as const, classificationReason: 'travel', comment: 'ok', count: 3, updatedAt: at(5) };
        await store.putAlert(resolved);
        expect(await store.getAlert('al-1')).toEqual(resolved);
        expect((await store.listAlerts({})).items).toHaveLength(1);
        expect(await store.getAlert('nope')).toBeNull();
      });

      it('lists newest first with filters and a cursor', async () => {
        const store = await open();
        const alerts = [
          alert({ id: 'b1', time: at(1), severity: 'low', status: 'new', detection: 'impossible_travel', user: 'Alice@Example.com' }),
          alert({ id: 'b2', time: at(2), severity: 'high', status: 'in_progress', detection: 'mass_download', user: 'bob@example.com' }),
          alert({ id: 'b3', time: at(3), severity: 'high', status: 'new', detection: 'policy:admin-from-risky-ip', user: 'alice@example.com' }),
          alert({ id: 'b4', time: at(3), severity: 'medium', status: 'resolved', detection: 'impossible_travel', user: null }),
        ];
        for (const a of alerts) await store.putAlert(a);
        const ids = async (q: Parameters<Store['listAlerts']>[0]) => (await store.listAlerts(q)).items.map((a) => a.id);
        expect(await ids({})).toEqual(['b4', 'b3', 'b2', 'b1']);
        expect(await ids({ status: 'new' })).toEqual(['b3', 'b1']);
        expect(await ids({ severity: 'high' })).toEqual(['b3', 'b2']);
        expect(await ids({ detection: 'impossible_travel' })).toEqual(['b4', 'b1']);
        expect(await ids({ user: 'ALICE@example.com' })).toEqual(['b3', 'b1']);
        expect(await ids({ from: at(2), to: at(3) })).toEqual(['b2']);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page = await store.listAlerts({ limit: 1, cursor });
          seen.push(...page.items.map((a) => a.id));
          cursor = page.next;
        } while (cursor);
        expect(seen).toEqual(['b4', 'b3', 'b2', 'b1']);
      });

      it('sorts by severity and by user over every stored alert, paging with the cursor of that sort', async () => {
        const store = await open();
        const alerts = [
          alert({ id: 's1', time: at(1), severity: 'high', status: 'resolved', user: 'carol@example.com' }), // oldest: still first by severity
          alert({ id: 's2', time: at(2), severity: 'low', user: 'Bob@example.com' }),
          alert({ id: 's3', time: at(3), severity: 'informational', user: null }),
          alert({ id: 's4', time: at(4), severity: 'medium', user: 'alice@example.com' }),
          alert({ id: 's5', time: at(4), severity: 'high', user: 'bob@example.com' }), // same time as s4: id breaks the tie
          alert({ id: 's6', time: at(5), severity: 'low', user: null }),
          alert({ id: 's7', time: at(6), severity: 'medium', user: 'alice@example.com' }),
        ];
        for (const a of alerts) await store.putAlert(a);
        const all = async (q: Parameters<Store['listAlerts']>[0], limit: number) => {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const page = await store.listAlerts({ ...q, limit, cursor });
            seen.push(...page.items.map((a) => a.id));
            cursor = page.next;
          } while (cursor);
          return seen;
        };
        const bySeverity = ['s5', 's1', 's7', 's4', 's6', 's2', 's3'];
        const byUser = ['s7', 's4', 's5', 's2', 's1', 's6', 's3']; // A→Z (case-insensitive), newest first per user, no user last
        for (const limit of [1, 2, 3, 100]) {
          expect(await all({ sort: 'severity' }, limit)).toEqual(bySeverity);
          expect(await all({ sort: 'user' }, limit)).toEqual(byUser);
          expect(await all({ sort: 'time' }, limit)).toEqual(['s7', 's6', 's5', 's4', 's3', 's2', 's1']);
        }
        // Filters apply before the sort: the first page of a sorted, filtered list.
        expect((await store.listAlerts({ sort: 'severity', status: 'new', limit: 2 })).items.map((a) => a.id)).toEqual(['s5', 's7']);
        expect((await store.listAlerts({ sort: 'severity', from: at(2), to: at(5), limit: 10 })).items.map((a) => a.id)).toEqual(['s5', 's4', 's2', 's3']);
        // A cursor belongs to the sort that issued it.
        const sevCursor = (await store.listAlerts({ sort: 'severity', limit: 2 })).next!;
        const timeCursor = (await store.listAlerts({ limit: 2 })).next!;
        const userCursor = (await store.listAlerts({ sort: 'user', limit: 6 })).next!; // ends on an alert without a user
        expect((await store.listAlerts({ sort: 'user', limit: 6, cursor: userCursor })).items.map((a) => a.id)).toEqual(['s3']);
        for (const [sort, cursor] of [['time', sevCursor], ['user', sevCursor], ['severity', timeCursor], ['severity', userCursor]] as const) {
          await expectCode(store.listAlerts({ sort, cursor }), 'RAMPART_ERR_STORE_INVALID_QUERY');
        }
      });
    });

    describe('directory', () => {
      it('upserts by app + id and finds users by id or email case-insensitively', async () => {
        const store = await open();
        const alice = dirUser({ id: '1001', email: 'Alice.Smith@Example.com', name: 'Alice', department: 'Finance', groups: ['g1'] });
        const bob = dirUser({ id: '1002', email: 'bob@example.com', active: false, deactivatedAt: at(3), termDate: '2026-02-28' });
        const other = dirUser({ app: 'slack', id: '1001', email: 'alice.smith@example.com', name: 'Alice on Slack' });
        await store.putDirectoryUsers([alice, bob, other]);
        expect(await store.getDirectoryUser('workplace', '1001')).toEqual(alice);
        expect(await store.getDirectoryUser('workplace', 'ALICE.SMITH@example.COM')).toEqual(alice);
        expect(await store.getDirectoryUser('slack', 'alice.smith@example.com')).toEqual(other);
        expect(await store.getDirectoryUser('workplace', 'carol@example.com')).toBeNull();
        expect(await store.getDirectoryUser('teams', '1001')).toBeNull();

        const moved = { ...alice, email: 'alice@new.example.com', department: 'Legal', updatedAt: at(9) };
        await store.putDirectoryUsers([moved]);
        expect(await store.getDirectoryUser('workplace', 'alice@NEW.example.com')).toEqual(moved);
        expect(await store.getDirectoryUser('workplace', 'alice.smith@example.com')).toBeNull();
        expect((await store.listDirectoryUsers('workplace')).map((u) => u.id)).toEqual(['1001', '1002']);
        expect(await store.listDirectoryUsers()).toHaveLength(3);
        // Last one wins when a batch names the same user twice.
        await store.putDirectoryUsers([{ ...bob, name: 'B1' }, { ...bob, name: 'B2' }]);
        expect((await store.getDirectoryUser('workplace', '1002'))?.name).toBe('B2');
      });
    });

    describe('IP ranges', () => {
      it('puts, replaces, lists by name and deletes', async () => {
        const store = await open();
        await store.putIpRange({ name: 'HQ', category: 'corporate', subnets: ['203.0.113.0/24', '2001:db8::/32'], tags: ['hq'], location: { country: 'US', city: 'Austin', lat: 30.27, lon: -97.74 }, isp: 'Corp ISP' });
        await store.putIpRange({ name: 'Bad', category: 'risky', subnets: ['192.0.2.0/24'], tags: [] });
        await store.putIpRange({ name: 'HQ', category: 'corporate', subnets: ['203.0.113.0/25'], tags: ['hq', 'v2'] });
        const list = await store.listIpRanges();
        expect(list.map((r) => r.name)).toEqual(['Bad', 'HQ']);
        expect(list[1]).toEqual({ name: 'HQ', category: 'corporate', subnets: ['203.0.113.0/25'], tags: ['hq', 'v2'] });
        expect(await store.deleteIpRange('Bad')).toBe(true);
        expect(await store.deleteIpRange('Bad')).toBe(false);
        expect((await store.listIpRanges()).map((r) => r.name)).toEqual(['HQ']);
      });
    });

    describe('checkpoints', () => {
      it('sets and reads per connector and key', async () => {
        const store = await open();
        await store.setCheckpoint({ connector: 'workplace', key: 'audit', value: '2026-03-01T00:00:00Z' });
        await store.setCheckpoint({ connector: 'workplace', key: 'scim', value: 'page-2' });
        await store.setCheckpoint({ connector: 'workplace', key: 'audit', value: '2026-03-02T00:00:00Z' });
        expect(await store.getCheckpoint('workplace', 'audit')).toBe('2026-03-02T00:00:00Z');
        expect(await store.getCheckpoint('workplace', 'scim')).toBe('page-2');
        expect(await store.getCheckpoint('slack', 'audit')).toBeNull();
      });
    });

    describe('stats', () => {
      it('counts what the store holds, how far back its activities go, and its size growing with them', async () => {
        const store = await open();
        const empty = await store.stats();
        expect(empty).toMatchObject({ driver: store.driver, activities: 0, oldestActivity: null, newestActivity: null, alerts: 0, rejects: 0, directoryUsers: 0 });
        expect(empty.bytes).toBeGreaterThan(0); // the schema itself
        await store.putActivities([activity({ id: 's2', time: at(20) }), activity({ id: 's1', time: at(-5) }), activity({ id: 's3', time: at(7) })]);
        await store.putAlert(alert({ id: 'al-s1' }));
        await store.putRejects([{ source: 'webhook:workplace', code: 'RAMPART_ERR_INPUT_NOT_OBJECT', reason: 'got array', sample: '[1]', receivedAt: at(1) }]);
        await store.putDirectoryUsers([dirUser({ id: 'd1', email: 'd1@acme.example' }), dirUser({ id: 'd2', email: 'd2@acme.example' })]);
        const some = await store.stats();
        expect(some).toMatchObject({ activities: 3, oldestActivity: at(-5), newestActivity: at(20), alerts: 1, rejects: 1, directoryUsers: 2 });
        await store.putActivities(Array.from({ length: 2000 }, (_, i) => activity({ id: `bulk-${i}`, time: at(i), objects: [{ type: 'file', id: `f${i}`, name: 'x'.repeat(400) }] })));
        const more = await store.stats();
        expect(more.activities).toBe(2003);
        expect(more.newestActivity).toBe(at(1999));
        expect(more.bytes).toBeGreaterThan(some.bytes + 2000 * 400);
      });
    });

    describe('rejects', () => {
      it('keeps rejected input, newest first, bounded in size, idempotent on id', async () => {
        const store = await open();
        await store.putRejects([
          { id: 'rj-1', source: 'scan:/tmp/a.ndjson:3', code: 'RAMPART_ERR_INPUT_MALFORMED_JSON', reason: 'Unexpected end', sample: '{"id":', receivedAt: at(1) },
          { source: 'webhook:workplace', code: 'RAMPART_ERR_INPUT_NOT_OBJECT', reason: 'got array', sample: '[1,2]', receivedAt: at(2) },
        ]);
        await store.putRejects([{ source: 'scan:/tmp/a.ndjson:9', code: 'RAMPART_ERR_INPUT_LINE_TOO_LONG', reason: 'too long', sample: 'x'.repeat(200_000), receivedAt: at(3) }]);
        await store.putRejects([{ id: 'rj-1', source: 'again', code: 'X', reason: 'dup', sample: '', receivedAt: at(4) }]);
        await store.putRejects([]);
        const { items: list, next } = await store.listRejects();
        expect(next).toBeNull();
        expect(list.map((r) => r.source)).toEqual(['scan:/tmp/a.ndjson:9', 'webhook:workplace', 'scan:/tmp/a.ndjson:3']);
        expect(list[2]).toEqual({ id: 'rj-1', source: 'scan:/tmp/a.ndjson:3', code: 'RAMPART_ERR_INPUT_MALFORMED_JSON', reason: 'Unexpected end', sample: '{"id":', receivedAt: at(1) });
        expect(list[0].sample.length).toBeLessThanOrEqual(4096);
        expect(list[0].sample.length).toBeGreaterThan(0);
        expect(list[1].id).toBeTruthy();
        expect((await store.listRejects(2)).items).toHaveLength(2);
      });

      it('pages rejects newest first with a cursor that neither repeats nor skips, including equal receive times', async () => {
        const store = await open();
        // Five at one instant (arrival order breaks the tie), then four later ones.
        await store.putRejects(Array.from({ length: 5 }, (_, i) => ({ id: `same-${i}`, source: 's', code: 'C', reason: 'r', sample: '', receivedAt: at(1) })));
        await store.putRejects(Array.from({ length: 4 }, (_, i) => ({ id: `later-${i}`, source: 's', code: 'C', reason: 'r', sample: '', receivedAt: at(2 + i) })));
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Awaited<ReturnType<Store['listRejects']>> = await store.listRejects(2, cursor);
          seen.push(...page.items.map((r) => r.id!));
          cursor = page.next;
          pages++;
        } while (cursor && pages < 20);
        expect(pages).toBe(5);
        expect(seen).toEqual(['later-3', 'later-2', 'later-1', 'later-0', 'same-4', 'same-3', 'same-2', 'same-1', 'same-0']);
        await expectCode(store.listRejects(2, 'not-a-cursor'), 'RAMPART_ERR_STORE_INVALID_QUERY');
        await expectCode(store.listRejects(2, Buffer.from(JSON.stringify([at(1), 'x'])).toString('base64url')), 'RAMPART_ERR_STORE_INVALID_QUERY');
      });
    });

    describe('documents', () => {
      it('puts, replaces, gets, lists by kind and deletes', async () => {
        const store = await open();
        const policy = { name: 'mass download', enabled: true, filters: [{ field: 'action', op: 'eq', value: 'FILE_DOWNLOAD' }], threshold: 50, note: 'ünïcødé ✓' };
        await store.putDoc({ kind: 'policy', id: 'mass-download', body: policy, updatedAt: at(1) });
        await store.putDoc({ kind: 'policy', id: 'admin-risky', body: { name: 'admin', enabled: false }, updatedAt: at(1) });
        await store.putDoc({ kind: 'settings', id: 'global', body: ['a', 1, null], updatedAt: at(1) });
        expect(await store.getDoc('policy', 'mass-download')).toEqual({ kind: 'policy', id: 'mass-download', body: policy, updatedAt: at(1) });
        await store.putDoc({ kind: 'policy', id: 'mass-download', body: { ...policy, enabled: false }, updatedAt: at(2) });
        expect(await store.getDoc('policy', 'mass-download')).toEqual({ kind: 'policy', id: 'mass-download', body: { ...policy, enabled: false }, updatedAt: at(2) });
        expect((await store.listDocs('policy')).map((d) => d.id)).toEqual(['admin-risky', 'mass-download']);
        expect(await store.getDoc('settings', 'global')).toMatchObject({ body: ['a', 1, null] });
        expect(await store.listDocs('nothing')).toEqual([]);
        expect(await store.deleteDoc('policy', 'admin-risky')).toBe(true);
        expect(await store.deleteDoc('policy', 'admin-risky')).toBe(false);
        expect(await store.getDoc('policy', 'admin-risky')).toBeNull();
      });

      it('putDocIf writes only when the stored version is the expected one (compare-and-set)', async () => {
        const store = await open();
        expect(store.putDocIf).toBeTypeOf('function');
        const doc = (v: number, body: unknown) => ({ kind: 'governance', id: 'a1', body, updatedAt: at(v) });
        expect(await store.putDocIf!(doc(1, { s: 'pending' }), null)).toBe(true);
        expect(await store.putDocIf!(doc(1, { s: 'other' }), null)).toBe(false); // already exists
        expect(await store.putDocIf!(doc(2, { s: 'running' }), at(9))).toBe(false); // stale expectation
        expect((await store.getDoc('governance', 'a1'))?.body).toEqual({ s: 'pending' });
        expect(await store.putDocIf!(doc(2, { s: 'running' }), at(1))).toBe(true);
        expect(await store.getDoc('governance', 'a1')).toEqual(doc(2, { s: 'running' }));
        // Two racing claims from the same version: exactly one wins.
        const results = await Promise.all([store.putDocIf!(doc(3, { by: 'x' }), at(2)), store.putDocIf!(doc(3, { by: 'y' }), at(2))]);
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
