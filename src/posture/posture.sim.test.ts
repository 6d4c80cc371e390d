/**
 * End to end against the Workplace simulator over real HTTP: the simulator's SCIM and Graph APIs, the real
 * Workplace connector's directory sync, a real SqliteStore, and the posture service on top.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkplaceSimulator, type WorkplaceSimulator } from '../connectors/workplace/simulator/index.ts';
import { startHarness, type Harness } from '../connectors/workplace/test/harness.ts';
import { Metrics } from '../core/metrics.ts';
import { silentLogger } from '../core/logger.ts';
import type { Alert } from '../schema/alert.ts';
import { PostureService } from './service.ts';
import type { PostureReport } from './service.ts';

const FAST_RETRY = { maxRetries: 4, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 40 };
const SSO = 'workplace.adopt_sso';

describe('posture against the Workplace simulator', () => {
  let sim: WorkplaceSimulator;
  let h: Harness;
  let svc: PostureService;
  const alerts: Alert[] = [];

  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ seed: 21, users: 60 });
    h = await startHarness(
      {
        communityId: sim.org.communityId,
        accessToken: { env: 'T' },
        appSecret: { env: 'S' },
        verifyToken: { env: 'V' },
        graphBaseUrl: sim.graphUrl,
        scimBaseUrl: sim.scimUrl,
        directorySyncIntervalSecs: 0,
      },
      { env: { T: sim.accessToken, S: sim.appSecret, V: 'vt-posture' }, retry: FAST_RETRY },
    );
    svc = new PostureService({
      store: h.store,
      organizationDomains: [sim.org.domain],
      logger: silentLogger(),
      metrics: new Metrics(),
      onAlert: (a) => {
        alerts.push(a);
      },
    });
  });
  afterAll(async () => {
    await svc?.stop();
    await h?.close();
    await sim?.close();
  });

  const active = () => sim.org.users.filter((u) => u.active);
  const sso = (r: PostureReport) => r.recommendations.find((x) => x.id === SSO)!;

  it('Adopt SSO and the score follow the directory: all on password, then half switched to SSO', async () => {
    for (const u of sim.org.users) sim.setAuthMethod(u.id, 'password');
    await h.connector.syncDirectory();
    const before = await svc.recompute();
    expect(before.instances.map((i) => i.instance)).toEqual([`workplace:${sim.org.communityId}`]);
    expect(sso(before)).toMatchObject({ result: 'not_compliant', scoreEarned: 0, observed: 'observed' });
    expect(sso(before).evidence.counts).toMatchObject({ activeUsers: active().length, sso: 0, password: active().length });
    expect(sso(before).evidence.accountsTotal).toBe(active().length);
    const admins = before.recommendations.find((x) => x.id === 'workplace.admins_few_sso')!;
    expect(admins.result).toBe('not_compliant'); // the simulator's admins are on password too now

    const half = active().slice(0, Math.floor(active().length / 2));
    for (const u of half) sim.setAuthMethod(u.id, 'sso');
    const sync = await h.connector.syncDirectory();
    expect(sync.users).toBe(sim.org.users.length);
    const after = await svc.recompute();
    const expectedShare = half.length / active().length;
    expect(sso(after).evidence.counts).toMatchObject({ sso: half.length, password: active().length - half.length });
    expect(sso(after).scoreEarned).toBeCloseTo(10 * expectedShare, 2);
    expect(sso(after).result).toBe('not_compliant');
    // The listed password users are exactly the ones not switched.
    const switched = new Set(half.map((u) => u.id));
    expect(sso(after).evidence.accounts.every((a) => !switched.has(a.id))).toBe(true);
    // The score moved by the SSO points plus whatever the admins check gained from admins in the switched half.
    const adminGain = after.recommendations.find((x) => x.id === 'workplace.admins_few_sso')!.scoreEarned - admins.scoreEarned;
    expect(after.overall.earned).toBeCloseTo(before.overall.earned + sso(after).scoreEarned + adminGain, 2);
    expect(after.overall.earned).toBeGreaterThan(before.overall.earned);
    expect(alerts).toEqual([]); // an improvement is not a regression
  });

  it('"risk accepted" on Adopt SSO removes its points from the score; "resolved through third party" grants them all', async () => {
    const before = await svc.report();
    const earned = sso(before).scoreEarned;
    expect(earned).toBeGreaterThan(0);
    const accepted = await svc.setStatus(SSO, { status: 'risk_accepted', by: 'ana@e2e', reason: 'frontline staff on shared devices' });
    expect(accepted.scoreEarned).toBe(0);
    expect((await svc.report()).overall.earned).toBeCloseTo(before.overall.earned - earned, 2);
    const third = await svc.setStatus(SSO, { status: 'resolved_through_third_party', by: 'ana@e2e', reason: 'VPN with MFA in front' });
    expect(third.scoreEarned).toBe(10);
    expect((await svc.report()).overall.earned).toBeCloseTo(before.overall.earned - earned + 10, 2);
    await svc.setStatus(SSO, { status: 'to_address', by: 'ana@e2e', reason: 'back to the plan' });
    expect((await svc.report()).overall.earned).toBeCloseTo(before.overall.earned, 2);
  });

  it('a regression (users switched back to password) raises one informational alert, once', async () => {
    for (const u of active().slice(0, 5)) sim.setAuthMethod(u.id, 'password');
    await h.connector.syncDirectory();
    await svc.recompute();
    const raised = alerts.filter((a) => a.detection === `posture:${SSO}`);
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ severity: 'informational', app: 'workplace', tenant: sim.org.communityId });
    await h.connector.syncDirectory();
    await svc.recompute();
    expect(alerts.filter((a) => a.detection === `posture:${SSO}`)).toHaveLength(1);
  });

  it('two-factor disabled for an admin, delivered as a signed webhook by the simulator, makes that check not compliant', async () => {
    const TWO_FA = 'workplace.admin_two_factor_disabled';
    const before = (await svc.recompute()).recommendations.find((x) => x.id === TWO_FA)!;
    expect(before.result).toBe('unknown'); // nothing found, and the log is younger than 90 days
    await sim.webhooks.subscribe(`${h.url}/webhooks/workplace`, 'vt-posture');
    const admin = sim.org.admins[0];
    const injected = await sim.inject('impersonation', { userId: admin.id, deliver: true });
    expect(injected.report?.unacked.length).toBe(0);
    const after = (await svc.recompute()).recommendations.find((x) => x.id === TWO_FA)!;
    expect(after).toMatchObject({ result: 'not_compliant', scoreEarned: 0, observed: 'observed' });
    expect(after.evidence.accounts.map((a) => a.id)).toEqual([admin.id]);
    expect(after.evidence.accounts[0].activityIds).toHaveLength(1);
  });
});
