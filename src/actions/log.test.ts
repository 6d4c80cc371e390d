// The governance log's claim: compare-and-set through Store.putDocIf when the store has it (separate
// connections, as separate processes would have), and the in-process fallback otherwise.
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import { GovernanceConfigSchema } from './config.ts';
import { GovernanceService } from './governance.ts';
import { GovernanceLog, type GovernanceEntry } from './log.ts';
import { startOktaSimulator } from './okta/simulator.ts';
import { alertFor, CasDocStore, openTestStore } from './test-helpers.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function entry(id: string, updatedAt: string): GovernanceEntry {
  return {
    id,
    action: 'suspend_user',
    channel: 'okta',
    provider: 'okta',
    target: { app: 'workplace', user: 'a@acme.example', appUserId: null, email: 'a@acme.example' },
    trigger: { kind: 'manual', by: 't' },
    reason: 't',
    status: 'pending',
    statusReason: null,
    plan: { summary: '', steps: [] },
    attemptCount: 0,
    attempts: [],
    result: null,
    error: null,
    approval: null,
    includedIn: null,
    revertOf: null,
    revertedBy: null,
    revertedAt: null,
    retries: [],
    alert: null,
    lease: null,
    createdAt: updatedAt,
    updatedAt,
    startedAt: null,
    finishedAt: null,
  };
}

describe('governance log claims', () => {
  it('with putDocIf: one of two connections creates an entry, a stale update is refused', async () => {
    const one = new CasDocStore();
    const two = new CasDocStore(one.path);
    cleanups.push(() => one.close(), () => two.close());
    const [a, b] = [new GovernanceLog(one), new GovernanceLog(two)];
    const results = await Promise.all([a.create(entry('g1', '2026-11-27T08:00:00.000Z')), b.create(entry('g1', '2026-11-27T08:00:00.000Z'))]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const stored = (await a.get('g1'))!;
    const first = await a.update(stored, { attemptCount: 1 });
    expect(first).not.toBeNull();
    expect(await b.update(stored, { attemptCount: 99 })).toBeNull(); // based on the old version
    expect((await b.get('g1'))!.attemptCount).toBe(1);
  });

  it('without putDocIf (SqliteStore today): claims are serialised in the process', async () => {
    const store = await openTestStore();
    cleanups.push(() => store.dispose());
    const logs = [new GovernanceLog(store), new GovernanceLog(store), new GovernanceLog(store)];
    const results = await Promise.all(logs.map((l) => l.create(entry('g2', '2026-11-27T08:00:00.000Z'))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('gives every write a strictly later version, even within one millisecond', () => {
    const log = new GovernanceLog(new CasDocStore(), () => Date.parse('2026-11-27T08:00:00.000Z'));
    const v1 = log.stamp(null);
    const v2 = log.stamp(v1);
    expect(v2 > v1).toBe(true);
  });

  it('two processes on one database suspend once for the same alert', async () => {
    const okta = await startOktaSimulator({ users: [{ login: 'alice@acme.example' }] });
    cleanups.push(() => okta.close());
    const one = new CasDocStore();
    const two = new CasDocStore(one.path);
    cleanups.push(() => one.close(), () => two.close());
    const config = GovernanceConfigSchema.parse({
      rules: [{ detections: '*', actions: ['suspend_user'], provider: 'okta' }],
      providers: { okta: { orgUrl: okta.orgUrl, apiToken: { env: 'T' } } },
    });
    const make = (store: CasDocStore) => new GovernanceService({ config, store, logger: silentLogger(), metrics: new Metrics(), env: { T: okta.apiToken } });
    const [p1, p2] = [make(one), make(two)];
    cleanups.push(() => p1.close(), () => p2.close());
    const alert = alertFor('alice@acme.example');
    await Promise.all([p1.onAlert(alert), p2.onAlert(alert)]);
    await Promise.all([p1.idle(), p2.idle()]);
    expect(okta.requests.filter((r) => r.path.endsWith('/lifecycle/suspend')).length).toBe(1);
    expect(okta.user('alice@acme.example')!.status).toBe('SUSPENDED');
  });
});
