import { standaloneContext } from '../../src/detect/testing.ts';
import { describe, expect, it } from 'vitest';
import { backtest, backtestScan, storeActivities, warmupStart } from '../../src/detect/policy/backtest.ts';
import { PolicySet } from '../../src/detect/policy/compile.ts';
import { loadPolicies } from '../../src/detect/policy/load.ts';
import { TEMPLATES_DIR } from '../../src/detect/policy/index.ts';
import type { Policy, PolicyInput } from '../../src/detect/policy/schema.ts';
import { PolicySchema } from '../../src/detect/policy/schema.ts';
import { ActivitySchema, type Activity } from '../../src/schema/activity.ts';
import type { Store } from '../../src/store/store.ts';
import { generateHistory } from './history.ts';

const env = { orgDomains: ['example.com'] };
const autoDisable = { maxMatchesPerDay: 5000, maxMatchesPer3Hours: 100_000 };

const extra: PolicyInput[] = [
  {
    name: 'many-distinct-files',
    filters: [{ field: 'category', op: 'eq', value: 'file' }],
    actOn: { mode: 'repeated', minCount: 30, windowSecs: 120, uniqueTargets: true, singleApp: true },
  },
  // Capped: fires on every admin activity but only 5 alerts a day.
  { name: 'capped-admin', filters: [{ field: 'isAdminActivity', op: 'eq', value: true }], alerts: { dailyLimit: 5 } },
  // Noisy: every successful activity; the lowered auto-disable threshold stops it part-way.
  { name: 'every-success', filters: [{ field: 'outcome', op: 'eq', value: 'success' }], alerts: { dailyLimit: 100_000 } },
];

const policies: Policy[] = [...loadPolicies([TEMPLATES_DIR], env).policies.map((p) => p.policy), ...extra.map((p) => PolicySchema.parse(p))];
const history = [...generateHistory({ events: 20_000, users: 150, seed: 11, spacingSecs: 20 })];

interface Raised {
  detection: string;
  time: string;
  title: string;
  activityIds: string[];
}

/** Live: the engine's way, one Detection per policy, activity by activity. */
function live(acts: Iterable<Activity>): { raised: Raised[]; disabled: string[] } {
  const set = new PolicySet(policies, { env, autoDisable });
  const detections = set.detections();
  const ctx = standaloneContext();
  const raised: Raised[] = [];
  for (const a of acts)
    for (const d of detections) for (const draft of d.evaluate(a, ctx)) raised.push({ detection: d.id, time: a.time, title: draft.title, activityIds: draft.activityIds });
  return { raised, disabled: set.autoDisabled().map((r) => `${r.policy}@${r.at}`) };
}

async function viaBacktest(source: AsyncIterable<Activity> | Iterable<Activity>) {
  const raised: Raised[] = [];
  const report = await backtest(policies, source, {
    env,
    autoDisable,
    onHit: (hit, a) => raised.push({ detection: hit.policy.detectionId, time: a.time, title: hit.draft.title, activityIds: hit.draft.activityIds }),
  });
  return { raised, report };
}

describe('backtest equals live', () => {
  const expected = live(history);

  it('the generated history exercises every policy', () => {
    const perPolicy = new Map<string, number>();
    for (const r of expected.raised) perPolicy.set(r.detection, (perPolicy.get(r.detection) ?? 0) + 1);
    for (const p of policies) expect(perPolicy.get(`policy:${p.name}`) ?? 0, p.name).toBeGreaterThan(0);
    expect(expected.disabled).toHaveLength(1);
    expect(expected.disabled[0]).toMatch(/^every-success@/);
  });

  it('over the same events in memory: same alerts, same order, same auto-disable', async () => {
    const { raised, report } = await viaBacktest(history);
    expect(raised).toEqual(expected.raised);
    expect(report.alerts).toBe(expected.raised.length);
    expect(report.autoDisabled.map((r) => `${r.policy}@${r.at}`)).toEqual(expected.disabled);
    expect(report.scanned).toBe(history.length);
    // per-day counts add up, and the capped policy never exceeds its limit on any day
    expect(report.perDay.reduce((s, d) => s + d.alerts, 0)).toBe(report.alerts);
    expect(report.perDay.reduce((s, d) => s + d.matches, 0)).toBe(report.matches);
    const cappedPerDay = new Map<string, number>();
    for (const r of raised.filter((x) => x.detection === 'policy:capped-admin')) cappedPerDay.set(r.time.slice(0, 10), (cappedPerDay.get(r.time.slice(0, 10)) ?? 0) + 1);
    expect(Math.max(...cappedPerDay.values())).toBe(5);
    expect(report.perPolicy['capped-admin'].suppressedByDailyLimit).toBeGreaterThan(0);
    expect(report.samples.length).toBe(20);
  });

  it('over a SqliteStore: paged through queryActivities, or through scanActivities when a store has it', async (ctx) => {
    let store: Store;
    try {
      const mod = (await import('../../src/store/index.ts')) as { SqliteStore: new (o: { path: string }) => Store };
      store = new mod.SqliteStore({ path: ':memory:' });
    } catch (e) {
      ctx.skip(`no SqliteStore on this branch yet (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    await store.migrate();
    try {
      // a third of the history keeps the test quick; the store, not the insert order, must give time order
      const part = history.slice(0, 8_000);
      const partExpected = live(part);
      expect(partExpected.raised.length).toBeGreaterThan(10);
      const shuffled = [...part].sort((a, b) => (a.id.charCodeAt(a.id.length - 1) % 7) - (b.id.charCodeAt(b.id.length - 1) % 7));
      for (let i = 0; i < shuffled.length; i += 5000) await store.putActivities(shuffled.slice(i, i + 5000));
      const from = '2026-01-01T00:00:00.000Z';
      const to = '2027-01-01T00:00:00.000Z';
      const { raised } = await viaBacktest(storeActivities(store, { from, to }));
      expect(raised).toEqual(partExpected.raised);
      // the paging fallback (a store seen without scanActivities) gives the same
      const paged = { queryActivities: (q) => store.queryActivities(q) } as Pick<Store, 'queryActivities'> as Store;
      const again = await viaBacktest(storeActivities(paged, { from, to }));
      expect(again.raised).toEqual(partExpected.raised);
      // a store with scanActivities is streamed through it, row test included
      let scans = 0;
      const streaming = {
        queryActivities: () => Promise.reject(new Error('must not page when scanActivities exists')),
        async *scanActivities(q: Parameters<NonNullable<Store['scanActivities']>>[0]) {
          scans++;
          const { keys, ...query } = q;
          for await (const a of storeActivities({ queryActivities: (x) => store.queryActivities(x) } as Store, query)) if (!keys || keys(a)) yield a;
        },
      } as unknown as Store;
      const streamed = await viaBacktest(storeActivities(streaming, { from, to }));
      expect(scans).toBe(1);
      expect(streamed.raised).toEqual(partExpected.raised);
    } finally {
      await store.close();
    }
  });

  it('push-down narrows the scan of a single policy without changing its alerts', async () => {
    const failed = policies.find((p) => p.name === 'multiple-failed-sign-ins')!;
    const scan = backtestScan([failed], '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
    expect(scan).toMatchObject({ category: 'login', outcome: 'failure' });
    const narrowed = history.filter((a) => a.category === scan.category && a.outcome === scan.outcome);
    const all = await backtest([failed], history);
    const few = await backtest([failed], narrowed);
    expect(few.alerts).toBe(all.alerts);
    expect(few.alerts).toBeGreaterThan(0);
    expect(few.samples).toEqual(all.samples);
  });
});

describe('store scans', () => {
  it('the column row test of a scan is exact: it accepts every row a policy would match', () => {
    const mass = policies.find((p) => p.name === 'mass-download-by-single-user')!;
    const scan = backtestScan([mass], '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z');
    expect(scan.keys).toBeTypeOf('function');
    const set = new PolicySet([mass]);
    let kept = 0;
    for (const a of history) {
      const keep = scan.keys!(a);
      if (set.match(a).length) expect(keep).toBe(true);
      if (keep) kept++;
    }
    expect(kept).toBeLessThan(history.length / 2);
    // a policy without column conditions gets no row test, and neither does a set containing one
    const ext = policies.find((p) => p.name === 'activity-by-external-user')!;
    expect(backtestScan([ext], 'a', 'b').keys).toBeUndefined();
    expect(backtestScan([mass, ext], 'a', 'b').keys).toBeUndefined();
  });
});

describe('warm-up before the reported period', () => {
  it('catches a burst that straddles the start, without reporting the warm-up', async () => {
    const mass = policies.find((p) => p.name === 'mass-download-by-single-user')!;
    const start = Date.parse('2026-05-01T00:00:00.000Z');
    const burst = Array.from({ length: 60 }, (_, i) =>
      ActivitySchema.parse({
        id: `b${i}`,
        time: new Date(start - 30_000 + i * 900).toISOString(),
        receivedAt: '2026-05-01T00:00:00.000Z',
        app: 'workplace',
        action: 'FILE_DOWNLOAD',
        category: 'file',
        actor: { id: 'u1', email: 'alice@example.com', name: null },
      }),
    );
    const from = new Date(start).toISOString();
    const after = burst.filter((a) => a.time >= from);
    const cold = await backtest([mass], after);
    expect(cold.alerts).toBe(0);
    const warmFrom = warmupStart([mass], from);
    expect(warmFrom).toBe('2026-04-30T23:59:00.000Z');
    const warm = await backtest([mass], burst.filter((a) => a.time >= warmFrom), { reportFrom: from });
    expect(warm.alerts).toBe(1);
    expect(warm.scanned).toBe(after.length);
    expect(warm.matches).toBe(after.length);
    expect(warm.perPolicy[mass.name].matches).toBe(after.length);
    expect(warm.perDay).toEqual([{ day: '2026-05-01', matches: after.length, alerts: 1 }]);
  });
});
