// The governance log on PostgreSQL (own random schema): claim once, resume after a crash, survive a reopen.
// Runs when RAMPART_TEST_PG_URL is set, like the store's own PostgreSQL tests.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import { PostgresStore } from '../store/postgres/index.ts';
import { GovernanceConfigSchema } from './config.ts';
import { GovernanceService } from './governance.ts';
import { startOktaSimulator, type OktaSimulator } from './okta/simulator.ts';
import { alertFor, parkedSleep } from './test-helpers.ts';

const url = process.env.RAMPART_TEST_PG_URL;
if (!url) console.warn('governance postgres tests skipped: set RAMPART_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them');

describe.skipIf(!url)('governance log on PostgreSQL', () => {
  const schema = `rampart_gov_${randomBytes(6).toString('hex')}`;
  let okta: OktaSimulator;
  const open = () => new PostgresStore({ url: url!, schema, poolSize: 3 });
  let store: PostgresStore;

  beforeAll(async () => {
    okta = await startOktaSimulator({ users: [{ login: 'alice@acme.example' }, { login: 'bob@acme.example' }] });
    store = open();
    await store.migrate();
  });
  afterAll(async () => {
    await okta?.close();
    await store?.dropSchema().catch(() => undefined);
    await store?.close();
  });

  const service = (s: PostgresStore, now: () => number, instanceId: string) =>
    new GovernanceService({
      config: GovernanceConfigSchema.parse({
        rules: [{ detections: ['failed_logins'], actions: ['suspend_user'], provider: 'okta' }],
        providers: { okta: { orgUrl: okta.orgUrl, apiToken: { env: 'T' } } },
        retry: { maxAttempts: 5, baseDelayMs: 5, maxDelayMs: 20 },
      }),
      store: s,
      logger: silentLogger(),
      metrics: new Metrics(),
      env: { T: okta.apiToken },
      // A failed attempt parks until the service stops: the crash below always finds the action pending.
      sleep: parkedSleep,
      now,
      instanceId,
    });

  it('claims once, resumes an interrupted suspension once, and keeps the log across a reopen', async () => {
    let clock = Date.parse('2026-11-27T08:00:00Z');
    const now = () => clock;
    const a = service(store, now, 'A');
    const b = service(store, now, 'B');
    okta.faults.down(1);
    const alert = alertFor('alice@acme.example');
    await Promise.all([a.onAlert(alert), b.onAlert(alert)]);
    while (okta.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    await a.abort();
    await b.abort();
    const pending = await a.list();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.status).toBe('pending');
    okta.faults.reset();

    clock += 10 * 60_000;
    const reopened = open();
    const c = service(reopened, now, 'C');
    expect(await c.start()).toBe(1);
    await c.idle();
    await c.close();
    await reopened.close();
    expect(okta.requests.filter((r) => r.path.endsWith('/lifecycle/suspend') && r.status === 200)).toHaveLength(1);
    expect(okta.user('alice@acme.example')!.status).toBe('SUSPENDED');
    const [done] = await service(store, now, 'D').list();
    expect(done!.status).toBe('succeeded');
    expect(done!.attempts.at(-1)!.outcome).toBe('ok');
  });
});
