// The Workplace provider against the Workplace simulator (Graph logout and activate/deactivate, SCIM PATCH),
// and the acceptance flow: credential stuffing -> failed_logins alert -> automatic sign-out + suspension +
// email -> revert restores the user.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import { startWorkplaceSimulator, type SimUser, type WorkplaceSimulator } from '../connectors/workplace/simulator/index.ts';
import { GovernanceConfigSchema, type GovernanceConfigInput } from './config.ts';
import { GovernanceService } from './governance.ts';
import { alertFor, directoryUser, openTestStore, recordingSleep, startSmtpCapture, type SmtpCapture } from './test-helpers.ts';

let sim: WorkplaceSimulator;
let smtp: SmtpCapture;
let store: Awaited<ReturnType<typeof openTestStore>>;
const services: GovernanceService[] = [];

beforeAll(async () => {
  smtp = await startSmtpCapture();
});
afterAll(async () => {
  await smtp.close();
});
beforeEach(async () => {
  sim = await startWorkplaceSimulator({ seed: 7, users: 40 });
  store = await openTestStore();
  // What the Workplace connector's directory sync would have written.
  await store.putDirectoryUsers(sim.org.users.map(toDirectoryUser));
  smtp.messages.length = 0;
});
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  await sim.close();
  await store.dispose();
});

const toDirectoryUser = (u: SimUser): DirectoryUser => directoryUser({ id: u.id, email: u.email, name: u.name, managerId: u.managerId, active: u.active, isAdmin: u.isAdmin });

function service(extra: Partial<GovernanceConfigInput> = {}, workplace: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  const rec = recordingSleep();
  const config = GovernanceConfigSchema.parse({
    providers: { workplace: { graphUrl: sim.graphUrl, scimUrl: sim.scimUrl, accessToken: { env: 'WP_TOKEN' }, ...workplace } },
    smtp: { host: smtp.host, port: smtp.port, from: 'security@acme.example', timeoutMs: 5000 },
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 3000 },
    ...extra,
  });
  const gov = new GovernanceService({ config, store, logger: silentLogger(), metrics: new Metrics(), env: { WP_TOKEN: sim.accessToken, ...env }, sleep: rec.sleep });
  services.push(gov);
  return { gov, waits: rec.waits };
}

/** A claimed, active, non-admin user with a manager. */
const victim = (): SimUser => sim.org.users.find((u) => u.active && u.claimed && !u.isAdmin && u.managerId && sim.userById(u.managerId)?.active)!;

describe('Workplace provider', () => {
  it('require_sign_in calls POST /{id}/logout', async () => {
    const { gov } = service();
    const u = victim();
    const e = await gov.act({ action: 'require_sign_in', user: u.email, by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.target.appUserId).toBe(u.id); // from the directory
    expect(sim.loggedOut(u.id)).toBe(1);
    expect(sim.userById(u.id)!.active).toBe(true);
  });

  it('suspend_user deactivates through SCIM PATCH active:false and logs out; unsuspend reactivates', async () => {
    const { gov } = service();
    const u = victim();
    const s = await gov.act({ action: 'suspend_user', user: u.email, by: 'admin', reason: 'test' });
    expect(s.status).toBe('succeeded');
    expect(sim.userById(u.id)!.active).toBe(false);
    expect(sim.loggedOut(u.id)).toBe(1);
    expect(sim.requests.some((r) => r.method === 'PATCH' && r.path === `/scim/Users/${u.id}` && r.status === 200)).toBe(true);
    const back = await gov.act({ action: 'unsuspend_user', user: u.email, by: 'admin', reason: 'test' });
    expect(back.status).toBe('succeeded');
    expect(sim.userById(u.id)!.active).toBe(true);
  });

  it('finds the SCIM id by userName when the directory does not know the user', async () => {
    await store.putDirectoryUsers([]); // nothing new; the user below is looked up in SCIM
    const { gov } = service();
    const u = sim.org.users.filter((x) => x.active && x.claimed && !x.isAdmin)[3]!;
    const e = await gov.act({ action: 'suspend_user', user: u.email.toUpperCase(), app: 'other-app', by: 'admin', reason: 'test' });
    expect(e.error?.message ?? null).toBeNull();
    expect(e.status).toBe('succeeded');
    expect(e.target.appUserId).toBeNull();
    expect(sim.userById(u.id)!.active).toBe(false);
    expect(sim.requests.some((r) => r.method === 'GET' && r.path === '/scim/Users' && r.url.includes('filter='))).toBe(true);
  });

  it('never acts on another SCIM user: a server that ignores the filter gets no PATCH for its first user', async () => {
    const patches: string[] = [];
    const fake = createServer((req, res) => {
      if (req.method === 'PATCH') patches.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/scim+json' });
      res.end(JSON.stringify({ totalResults: 2, Resources: [{ id: '1001', userName: 'ceo@example.com' }, { id: '1002', userName: 'cfo@example.com' }] }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
    try {
      const { gov } = service({}, { scimUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}/scim` });
      const e = await gov.act({ action: 'suspend_user', user: 'attacker@example.com', app: 'other-app', by: 'admin', reason: 'test' });
      expect(e.status).toBe('failed');
      expect(e.error?.message).toContain('SCIM has no user with userName attacker@example.com');
      expect(patches).toEqual([]);
    } finally {
      fake.closeAllConnections();
      await new Promise((r) => fake.close(r));
    }
  });

  it('suspends through Graph POST /{id}?active=false when suspendVia is graph', async () => {
    const { gov } = service({}, { suspendVia: 'graph' });
    const u = victim();
    const e = await gov.act({ action: 'suspend_user', user: u.email, by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(sim.userById(u.id)!.active).toBe(false);
    expect(sim.requests.some((r) => r.method === 'POST' && r.path === `/graph/${u.id}` && r.url.includes('active=false'))).toBe(true);
  });

  it('a rejected token (Graph code 190) fails fast with RAMPART_ERR_ACTION_AUTH_FAILED', async () => {
    const { gov, waits } = service({}, {}, { WP_TOKEN: 'DQnot-a-token' });
    const e = await gov.act({ action: 'require_sign_in', user: victim().email, by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_AUTH_FAILED');
    expect(e.attemptCount).toBe(1);
    expect(waits).toEqual([]);
  });

  it('an unknown member fails fast as not found', async () => {
    const { gov } = service();
    const e = await gov.act({ action: 'require_sign_in', user: 'ghost@nowhere.example', by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.attemptCount).toBe(1);
    expect(e.error!.message).toMatch(/ghost@nowhere\.example/);
  });

  it('retries Graph throttling (429 with Retry-After, and code 4 in a 4xx body) and succeeds', async () => {
    const { gov, waits } = service();
    const u = victim();
    sim.faults.next('graph', '429', 1);
    sim.faults.next('graph', 'throttle', 1, { code: 4 });
    const e = await gov.act({ action: 'require_sign_in', user: u.email, by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.attempts.map((a) => a.reason)).toEqual(['throttled', 'throttled', null]);
    expect(waits[0]).toBeGreaterThanOrEqual(1000); // Retry-After is whole seconds
    expect(sim.loggedOut(u.id)).toBe(1);
  });

  it('SCIM down for a while: failed after the retries, then a manual retry succeeds', async () => {
    const { gov } = service();
    const u = victim();
    sim.faults.next('scim', '5xx', 100, { status: 503 });
    const e = await gov.act({ action: 'suspend_user', user: u.email, by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.attemptCount).toBe(3);
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_RETRIES_EXHAUSTED');
    expect(sim.userById(u.id)!.active).toBe(true);
    sim.faults.clear();
    const ok = await gov.retry(e.id, 'oncall');
    expect(ok.status).toBe('succeeded');
    expect(sim.userById(u.id)!.active).toBe(false);
  });
});

describe('acceptance: credential stuffing to automatic containment', () => {
  it('sign-out + suspension + email from a failed_logins alert; the log shows each step; revert restores the user', async () => {
    const { gov } = service({
      rules: [{ detections: ['failed_logins'], apps: ['workplace'], actions: ['require_sign_in', 'suspend_user', 'notify_user'] }],
      notify: { ccManager: true },
    });
    await gov.start();
    const u = victim();
    const manager = sim.userById(u.managerId!)!;
    const attack = await sim.inject('credential_stuffing', { userId: u.id });
    expect(attack.userId).toBe(u.id);

    // Until the detection engine lands, the failed_logins alert is built by hand from the scenario.
    const alert = alertFor(u.email, {
      id: `alert_failed_logins_${u.id}`,
      userId: u.id,
      title: 'Multiple failed login attempts followed by a success',
      description: attack.label,
      ips: attack.ips,
      activityIds: attack.events.map((e, i) => `act_${i}`),
    });
    await gov.onAlert(alert);
    await gov.idle();

    const user = sim.userById(u.id)!;
    expect(user.active).toBe(false);
    expect(sim.loggedOut(u.id)).toBe(1);

    expect(smtp.messages).toHaveLength(1);
    const mail = smtp.messages[0]!;
    expect(mail.rcptTo.sort()).toEqual([u.email, manager.email].sort());
    expect(mail.text).toContain('Multiple failed login attempts followed by a success');
    expect(mail.html).toContain('Multiple failed login attempts followed by a success');

    const log = await gov.list({ alertId: alert.id });
    const by = Object.fromEntries(log.map((e) => [e.action, e]));
    expect(by.suspend_user!.status).toBe('succeeded');
    expect(by.suspend_user!.result).toContain('deactivated');
    expect(by.suspend_user!.result).toContain('signed');
    expect(by.require_sign_in!.status).toBe('skipped');
    expect(by.require_sign_in!.includedIn).toBe(by.suspend_user!.id);
    expect(by.notify_user!.status).toBe('succeeded');
    for (const e of log) expect(e.trigger).toMatchObject({ kind: 'alert', alertId: alert.id, detection: 'failed_logins' });

    // The same alert again (updated count) changes nothing.
    await gov.onAlert({ ...alert, count: 2 });
    await gov.idle();
    expect(sim.loggedOut(u.id)).toBe(1);
    expect(smtp.messages).toHaveLength(1);

    const undo = await gov.revert(by.suspend_user!.id, 'soc@acme.example');
    expect(undo.status).toBe('succeeded');
    expect(sim.userById(u.id)!.active).toBe(true);
    expect((await gov.get(by.suspend_user!.id))!.status).toBe('reverted');
  });
});
