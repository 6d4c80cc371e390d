// The governance service end to end against the Okta simulator and a real SMTP server: automatic actions
// from alerts, the stronger-action rule, exactly-once across concurrent triggers and restarts, the safety
// rails (protected accounts, approval, the hourly suspension limit, dry-run), retry and revert.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import type { Alert } from '../schema/alert.ts';
import { GovernanceConfigSchema, type GovernanceConfigInput } from './config.ts';
import { GovernanceService, RATE_LIMIT_DETECTION } from './governance.ts';
import { startOktaSimulator, type OktaSimulator } from './okta/simulator.ts';
import { alertFor, directoryUser, openTestStore, parkedSleep, recordingSleep, startSmtpCapture, type SmtpCapture } from './test-helpers.ts';

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'breakglass', 'manager'].map((n) => `${n}@acme.example`);

let okta: OktaSimulator;
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
  okta = await startOktaSimulator({ users: USERS.map((login) => ({ login, sessions: 2 })) });
  store = await openTestStore();
  await store.putDirectoryUsers([
    directoryUser({ id: '100001', email: 'alice@acme.example', managerId: '100099' }),
    directoryUser({ id: '100099', email: 'manager@acme.example' }),
  ]);
  smtp.messages.length = 0;
});
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  await okta.close();
  await store.dispose();
});

type RuleInput = NonNullable<GovernanceConfigInput['rules']>[number];
const RULE = { detections: ['failed_logins'], apps: ['workplace'], actions: ['require_sign_in', 'suspend_user', 'notify_user'], provider: 'okta' } satisfies RuleInput;

function service(extra: Partial<GovernanceConfigInput> = {}, opts: { now?: () => number; instanceId?: string; sleep?: typeof parkedSleep } = {}) {
  const rec = recordingSleep();
  const raised: Alert[] = [];
  const config = GovernanceConfigSchema.parse({
    rules: [RULE],
    providers: { okta: { orgUrl: okta.orgUrl, apiToken: { env: 'OKTA_TOKEN' } } },
    smtp: { host: smtp.host, port: smtp.port, from: 'security@acme.example', timeoutMs: 5000 },
    notify: { ccManager: true, additionalRecipients: ['soc@acme.example'], logoUrl: 'https://acme.example/logo.png' },
    retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 2000 },
    ...extra,
  });
  const metrics = new Metrics();
  const gov = new GovernanceService({
    config,
    store,
    logger: silentLogger(),
    metrics,
    env: { OKTA_TOKEN: okta.apiToken },
    raiseAlert: (a) => void raised.push(a),
    ...opts,
    sleep: opts.sleep ?? rec.sleep,
  });
  services.push(gov);
  return { gov, raised, waits: rec.waits, metrics };
}

const suspendCalls = () => okta.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/lifecycle/suspend') && r.status === 200).length;

describe('automatic actions from an alert', () => {
  it('suspends (which signs out), records the sign-out as included, and emails the user with the manager in CC', async () => {
    const { gov, metrics } = service();
    await gov.start();
    const alert = alertFor('alice@acme.example', { userId: '100001' });
    await gov.onAlert(alert);
    await gov.idle();

    expect(okta.user('alice@acme.example')!.status).toBe('SUSPENDED');
    expect(okta.user('alice@acme.example')!.sessions).toBe(0);
    expect(okta.sessionClears('alice@acme.example')).toBe(1); // once, by the suspension, not again by require_sign_in

    const log = await gov.list({ alertId: alert.id });
    const by = Object.fromEntries(log.map((e) => [e.action, e]));
    expect(by.suspend_user!.status).toBe('succeeded');
    expect(by.suspend_user!.trigger).toEqual({ kind: 'alert', alertId: alert.id, detection: 'failed_logins', severity: 'high' });
    expect(by.suspend_user!.target.appUserId).toBe('100001');
    expect(by.suspend_user!.attemptCount).toBe(1);
    expect(by.suspend_user!.startedAt).not.toBeNull();
    expect(by.suspend_user!.finishedAt).not.toBeNull();
    expect(by.require_sign_in!.status).toBe('skipped');
    expect(by.require_sign_in!.includedIn).toBe(by.suspend_user!.id);
    expect(by.notify_user!.status).toBe('succeeded');
    expect(by.notify_user!.channel).toBe('smtp');

    expect(smtp.messages).toHaveLength(1);
    const m = smtp.messages[0]!;
    expect(m.rcptTo.sort()).toEqual(['alice@acme.example', 'manager@acme.example', 'soc@acme.example']);
    expect(m.headers.to).toBe('alice@acme.example');
    expect(m.headers.cc).toContain('manager@acme.example');
    expect(m.headers['message-id']).toBe(`<${by.notify_user!.id}@rampart.governance>`);
    expect(m.text).toContain('Multiple failed login attempts followed by a success');
    expect(m.html).toContain('<img src="https://acme.example/logo.png"');
    expect(m.html).not.toContain('%%');
    expect(metrics.get('rampart_governance_actions_total', { action: 'suspend_user', status: 'succeeded' })).toBe(1);
  });

  it('does nothing for alerts no rule matches (other detection, other app, lower severity) or closed alerts', async () => {
    const { gov } = service({ rules: [{ ...RULE, minSeverity: 'high' }] });
    await gov.onAlert(alertFor('bob@acme.example', { detection: 'impossible_travel', id: 'a1' }));
    await gov.onAlert(alertFor('bob@acme.example', { app: 'slack', id: 'a2' }));
    await gov.onAlert(alertFor('bob@acme.example', { severity: 'medium', id: 'a3' }));
    await gov.onAlert(alertFor('bob@acme.example', { status: 'resolved', classification: 'false_positive', id: 'a4' }));
    await gov.idle();
    expect(await gov.list()).toEqual([]);
    expect(okta.user('bob@acme.example')!.status).toBe('ACTIVE');
    expect(smtp.messages).toHaveLength(0);
  });

  it('runs each action once for concurrent and repeated deliveries of the same alert', async () => {
    const { gov, metrics } = service();
    const { gov: other } = service(); // a second instance on the same store
    const alert = alertFor('bob@acme.example');
    await Promise.all([gov.onAlert(alert), gov.onAlert(alert), other.onAlert(alert), other.onAlert({ ...alert, count: 2 })]);
    await Promise.all([gov.idle(), other.idle()]);
    await gov.onAlert(alert);
    await gov.idle();
    expect(suspendCalls()).toBe(1);
    expect(smtp.messages).toHaveLength(1);
    expect((await gov.list({ alertId: alert.id })).map((e) => e.action).sort()).toEqual(['notify_user', 'require_sign_in', 'suspend_user']);
    expect(metrics.total('rampart_governance_duplicates_total')).toBeGreaterThan(0);
  });

  it('runs require_sign_in alone when the rule does not suspend', async () => {
    const { gov } = service({ rules: [{ ...RULE, actions: ['require_sign_in'] }] });
    await gov.onAlert(alertFor('carol@acme.example'));
    await gov.idle();
    expect(okta.user('carol@acme.example')!.sessions).toBe(0);
    expect(okta.user('carol@acme.example')!.status).toBe('ACTIVE');
    const [e] = await gov.list();
    expect(e!.action).toBe('require_sign_in');
    expect(e!.status).toBe('succeeded');
  });
});

describe('faults', () => {
  it('provider down for a while: retries, then failed, then a manual retry succeeds', async () => {
    const { gov, waits } = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] });
    okta.faults.down(100);
    const alert = alertFor('dave@acme.example');
    await gov.onAlert(alert);
    await gov.idle();
    const [failed] = await gov.list();
    expect(failed!.status).toBe('failed');
    expect(failed!.attemptCount).toBe(3);
    expect(failed!.attempts.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(failed!.error!.code).toBe('RAMPART_ERR_ACTION_RETRIES_EXHAUSTED');
    expect(failed!.error!.message).toContain('E0000009');
    expect(waits).toHaveLength(2);
    expect(waits[1]!).toBeGreaterThanOrEqual(10); // exponential: second wait at least half of 2 x base
    expect(okta.user('dave@acme.example')!.status).toBe('ACTIVE');

    okta.faults.reset();
    const retried = await gov.retry(failed!.id, 'oncall@acme.example');
    expect(retried.status).toBe('succeeded');
    expect(retried.attemptCount).toBe(4);
    expect(retried.retries).toEqual([{ by: 'oncall@acme.example', at: expect.any(String) }]);
    expect(okta.user('dave@acme.example')!.status).toBe('SUSPENDED');
    await expect(gov.retry(failed!.id, 'x')).rejects.toMatchObject({ code: 'RAMPART_ERR_ACTION_INVALID_STATE' });
  });

  it('a restart during a pending action completes it once, not twice', async () => {
    let clock = Date.parse('2026-11-27T08:00:00Z');
    const now = () => clock;
    // A's failed attempt parks until A stops, so the "crash" always finds the action pending.
    const a = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] }, { now, instanceId: 'A', sleep: parkedSleep });
    okta.faults.down(1);
    const alert = alertFor('erin@acme.example');
    await a.gov.onAlert(alert);
    while (okta.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    await a.gov.abort(); // as if the process died: the entry stays pending with A's lease
    const [pending] = await a.gov.list();
    expect(pending!.status).toBe('pending');
    expect(pending!.lease!.owner).toBe('A');
    okta.faults.reset();

    // A new instance before the lease ran out leaves it alone (A might still be alive).
    const early = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] }, { now, instanceId: 'B0' });
    expect(await early.gov.start()).toBe(0);

    clock += 120_000; // the lease (60 s) has expired
    const b = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] }, { now, instanceId: 'B' });
    const c = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] }, { now, instanceId: 'C' });
    const taken = await Promise.all([b.gov.start(), c.gov.start(), b.gov.onAlert(alert)]);
    await Promise.all([b.gov.idle(), c.gov.idle()]);
    expect(taken[0]! + taken[1]!).toBe(1);
    expect(suspendCalls()).toBe(1);
    expect(okta.user('erin@acme.example')!.status).toBe('SUSPENDED');
    const [done] = await b.gov.list();
    expect(done!.status).toBe('succeeded');
    expect(done!.lease).toBeNull();
    expect(done!.attemptCount).toBeGreaterThanOrEqual(2);
  });

  it('a graceful close leaves the action pending and the next start resumes it at once', async () => {
    const a = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] }, { sleep: parkedSleep });
    okta.faults.down(1);
    await a.gov.onAlert(alertFor('frank@acme.example'));
    while (okta.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    await a.gov.close();
    const [pending] = await a.gov.list();
    expect(pending!.status).toBe('pending');
    expect(pending!.lease).toBeNull();
    okta.faults.reset();
    const b = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] });
    expect(await b.gov.start()).toBe(1);
    await b.gov.idle();
    expect((await b.gov.get(pending!.id))!.status).toBe('succeeded');
    expect(suspendCalls()).toBe(1);
  });

  it('an SMTP 4xx is retried, a 5xx fails the notification with the server reply', async () => {
    const { gov } = service({ rules: [{ ...RULE, actions: ['notify_user'] }] });
    smtp.failNext(1, 451);
    await gov.onAlert(alertFor('alice@acme.example', { id: 'n1' }));
    await gov.idle();
    const [ok] = await gov.list({ alertId: 'n1' });
    expect(ok!.status).toBe('succeeded');
    expect(ok!.attempts[0]!.status).toBe(451);
    expect(smtp.messages).toHaveLength(1);
    smtp.failNext(1, 550);
    await gov.onAlert(alertFor('alice@acme.example', { id: 'n2' }));
    await gov.idle();
    const [bad] = await gov.list({ alertId: 'n2' });
    expect(bad!.status).toBe('failed');
    expect(bad!.attemptCount).toBe(1);
    expect(bad!.error!.message).toContain('550');
  });
});

describe('safety', () => {
  it('never suspends a protected account automatically; a manual suspension needs force', async () => {
    const { gov } = service({ protectedAccounts: ['BreakGlass@acme.example'] });
    await gov.onAlert(alertFor('breakglass@acme.example'));
    await gov.idle();
    const by = Object.fromEntries((await gov.list()).map((e) => [e.action, e]));
    expect(by.suspend_user!.status).toBe('skipped');
    expect(by.suspend_user!.statusReason).toContain('protected');
    // The suspension is not happening, so the sign-out the rule asked for runs on its own.
    expect(by.require_sign_in!.status).toBe('succeeded');
    expect(okta.user('breakglass@acme.example')!.status).toBe('ACTIVE');
    await expect(gov.act({ action: 'suspend_user', user: 'breakglass@acme.example', provider: 'okta', by: 'admin', reason: 'x' })).rejects.toMatchObject({
      code: 'RAMPART_ERR_ACTION_PROTECTED_ACCOUNT',
    });
    const forced = await gov.act({ action: 'suspend_user', user: 'breakglass@acme.example', provider: 'okta', by: 'admin', reason: 'x', force: true });
    expect(forced.status).toBe('succeeded');
    expect(okta.user('breakglass@acme.example')!.status).toBe('SUSPENDED');
  });

  it('holds automatic suspensions above the hourly limit and raises one governance_rate_limit alert', async () => {
    const { gov, raised } = service({ maxAutoSuspensionsPerHour: 2, rules: [{ ...RULE, actions: ['suspend_user'] }] });
    for (const u of ['alice', 'bob', 'carol', 'dave']) await gov.onAlert(alertFor(`${u}@acme.example`));
    await gov.idle();
    const status = Object.fromEntries((await gov.list()).map((e) => [e.target.user, e.status]));
    expect(status).toEqual({
      'alice@acme.example': 'succeeded',
      'bob@acme.example': 'succeeded',
      'carol@acme.example': 'awaiting_approval',
      'dave@acme.example': 'awaiting_approval',
    });
    expect(okta.user('carol@acme.example')!.status).toBe('ACTIVE');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.detection).toBe(RATE_LIMIT_DETECTION);
    expect(raised[0]!.severity).toBe('high');
    expect(raised[0]!.details).toMatchObject({ limitPerHour: 2, triggeringDetection: 'failed_logins' });
    // The alert goes back through the pipeline to every sink, governance included: it must not act on it.
    await gov.onAlert(raised[0]!);

    // A person approves one of the held suspensions.
    const held = (await gov.list({ status: 'awaiting_approval' })).find((e) => e.target.user === 'carol@acme.example')!;
    expect(held.approval!.why).toBe('rate_limit');
    const approved = await gov.approve(held.id, 'ciso@acme.example');
    expect(approved.status).toBe('succeeded');
    expect(approved.approval!.approvedBy).toBe('ciso@acme.example');
    expect(okta.user('carol@acme.example')!.status).toBe('SUSPENDED');
  });

  it('the hourly limit holds when alerts arrive concurrently', async () => {
    const { gov, raised } = service({ maxAutoSuspensionsPerHour: 2, rules: [{ ...RULE, actions: ['suspend_user'] }] });
    await Promise.all(['alice', 'bob', 'carol', 'dave', 'erin'].map((u) => gov.onAlert(alertFor(`${u}@acme.example`))));
    await gov.idle();
    const log = await gov.list();
    expect(log.filter((e) => e.status === 'succeeded')).toHaveLength(2);
    expect(log.filter((e) => e.status === 'awaiting_approval')).toHaveLength(3);
    expect(suspendCalls()).toBe(2);
    expect(raised).toHaveLength(1);
  });

  it('counts suspensions of the last hour from the log after a restart', async () => {
    const first = service({ maxAutoSuspensionsPerHour: 1, rules: [{ ...RULE, actions: ['suspend_user'] }] });
    await first.gov.start();
    await first.gov.onAlert(alertFor('alice@acme.example'));
    await first.gov.idle();
    await first.gov.close();
    const second = service({ maxAutoSuspensionsPerHour: 1, rules: [{ ...RULE, actions: ['suspend_user'] }] });
    await second.gov.start();
    await second.gov.onAlert(alertFor('bob@acme.example'));
    await second.gov.idle();
    expect((await second.gov.list({ user: 'bob@acme.example' }))[0]!.status).toBe('awaiting_approval');
    expect(second.raised).toHaveLength(1);
  });

  it('approval flow: automatic suspensions wait; approve runs it, reject skips it', async () => {
    const { gov } = service({ requireApproval: true });
    await gov.onAlert(alertFor('alice@acme.example'));
    await gov.onAlert(alertFor('bob@acme.example'));
    await gov.idle();
    const waiting = await gov.list({ status: 'awaiting_approval' });
    expect(waiting.map((e) => e.target.user).sort()).toEqual(['alice@acme.example', 'bob@acme.example']);
    expect(waiting.every((e) => e.action === 'suspend_user' && e.approval!.why === 'approval_required')).toBe(true);
    // Containment does not wait: the sign-out and the email went out already.
    expect(okta.user('alice@acme.example')!.sessions).toBe(0);
    expect(okta.user('alice@acme.example')!.status).toBe('ACTIVE');
    expect(smtp.messages).toHaveLength(2);

    const a = waiting.find((e) => e.target.user === 'alice@acme.example')!;
    const b = waiting.find((e) => e.target.user === 'bob@acme.example')!;
    const ok = await gov.approve(a.id, 'ciso@acme.example');
    expect(ok.status).toBe('succeeded');
    expect(okta.user('alice@acme.example')!.status).toBe('SUSPENDED');
    const no = await gov.reject(b.id, 'ciso@acme.example', 'known travel');
    expect(no.status).toBe('skipped');
    expect(no.statusReason).toBe('rejected by ciso@acme.example: known travel');
    expect(okta.user('bob@acme.example')!.status).toBe('ACTIVE');
    await expect(gov.approve(b.id, 'x')).rejects.toMatchObject({ code: 'RAMPART_ERR_ACTION_INVALID_STATE' });
  });

  it('dry-run logs what would happen and sends nothing', async () => {
    const { gov } = service({ dryRun: true });
    await gov.onAlert(alertFor('alice@acme.example', { userId: '100001' }));
    await gov.idle();
    const log = await gov.list();
    expect(log.map((e) => e.status)).toEqual(['dry_run', 'dry_run', 'dry_run']);
    const suspend = log.find((e) => e.action === 'suspend_user')!;
    expect(suspend.plan.summary).toContain('suspend alice@acme.example');
    expect(suspend.plan.steps.some((s) => s.includes('/lifecycle/suspend'))).toBe(true);
    expect(suspend.plan.steps.some((s) => s.includes('/sessions'))).toBe(true);
    expect(log.find((e) => e.action === 'notify_user')!.plan.summary).toContain('manager@acme.example');
    expect(okta.requests).toHaveLength(0);
    expect(smtp.messages).toHaveLength(0);
  });
});

describe('revert and manual actions', () => {
  it('revert unsuspends the user once and marks the suspension reverted', async () => {
    const { gov } = service({ rules: [{ ...RULE, actions: ['suspend_user'] }] });
    await gov.onAlert(alertFor('bob@acme.example'));
    await gov.idle();
    const [s] = await gov.list();
    expect(okta.user('bob@acme.example')!.status).toBe('SUSPENDED');
    const undo = await gov.revert(s!.id, 'admin@acme.example');
    expect(undo.action).toBe('unsuspend_user');
    expect(undo.status).toBe('succeeded');
    expect(undo.revertOf).toBe(s!.id);
    expect(undo.trigger).toEqual({ kind: 'manual', by: 'admin@acme.example' });
    expect(okta.user('bob@acme.example')!.status).toBe('ACTIVE');
    const original = (await gov.get(s!.id))!;
    expect(original.status).toBe('reverted');
    expect(original.revertedBy).toBe(undo.id);
    const again = await gov.revert(s!.id, 'admin@acme.example');
    expect(again.id).toBe(undo.id);
    expect(okta.requests.filter((r) => r.path.endsWith('/lifecycle/unsuspend')).length).toBe(1);
  });

  it('refuses to revert what cannot be undone and names unknown entries', async () => {
    const { gov } = service();
    const e = await gov.act({ action: 'require_sign_in', user: 'carol@acme.example', provider: 'okta', by: 'admin', reason: 'x' });
    await expect(gov.revert(e.id, 'admin')).rejects.toMatchObject({ code: 'RAMPART_ERR_ACTION_INVALID_STATE' });
    await expect(gov.revert('gov_nope', 'admin')).rejects.toMatchObject({ code: 'RAMPART_ERR_ACTION_ENTRY_NOT_FOUND' });
  });

  it('a provider that is not configured gives a failed entry with a clear code', async () => {
    const { gov } = service();
    const e = await gov.act({ action: 'suspend_user', user: 'carol@acme.example', provider: 'entra', by: 'admin', reason: 'x' });
    expect(e.status).toBe('failed');
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_PROVIDER_NOT_CONFIGURED');
    expect(e.error!.message).toContain('governance.providers.entra');
  });

  it('a notification for a user without a known email fails with RAMPART_ERR_ACTION_NO_RECIPIENT', async () => {
    const { gov } = service({ rules: [{ ...RULE, actions: ['notify_user'] }] });
    await gov.onAlert(alertFor('100555'));
    await gov.idle();
    const [e] = await gov.list();
    expect(e!.status).toBe('failed');
    expect(e!.error!.code).toBe('RAMPART_ERR_ACTION_NO_RECIPIENT');
  });

  it('a notification never goes to an address list taken from event data (one extra recipient was possible)', async () => {
    const { gov } = service({ rules: [{ ...RULE, actions: ['notify_user'] }] });
    await gov.onAlert(alertFor('victim@acme.example, attacker@evil.example'));
    await gov.idle();
    const [e] = await gov.list();
    expect(e!.status).toBe('failed');
    expect(e!.error!.code).toBe('RAMPART_ERR_ACTION_NO_RECIPIENT');
  });

  it('the log survives a restart', async () => {
    const first = service();
    await first.gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'x' });
    await first.gov.close();
    const second = service();
    const log = await second.gov.list();
    expect(log).toHaveLength(1);
    expect(log[0]!.status).toBe('succeeded');
    expect(log[0]!.trigger).toEqual({ kind: 'manual', by: 'admin' });
  });
});
