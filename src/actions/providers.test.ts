// Each action on each identity provider, over real loopback HTTP against the Entra and Okta simulators,
// through the governance service (so the log is checked too). Workplace is covered in workplace.test.ts.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.ts';
import { Metrics } from '../core/metrics.ts';
import { GovernanceConfigSchema, type GovernanceConfigInput } from './config.ts';
import { GovernanceService } from './governance.ts';
import { startEntraSimulator, type EntraSimulator } from './entra/simulator.ts';
import { startOktaSimulator, type OktaSimulator } from './okta/simulator.ts';
import { openTestStore, recordingSleep } from './test-helpers.ts';

let entra: EntraSimulator;
let okta: OktaSimulator;
let store: Awaited<ReturnType<typeof openTestStore>> | undefined;
const services: GovernanceService[] = [];

beforeAll(async () => {
  entra = await startEntraSimulator({ users: [{ userPrincipalName: 'alice@acme.example' }, { userPrincipalName: 'bob@acme.example' }] });
  okta = await startOktaSimulator({ users: [{ login: 'alice@acme.example', sessions: 3 }, { login: 'bob@acme.example' }] });
});
afterAll(async () => {
  await entra.close();
  await okta.close();
});
afterEach(async () => {
  for (const s of services.splice(0)) await s.close();
  await store?.dispose();
  store = undefined;
  entra.faults.reset();
  okta.faults.reset();
});

async function service(extra: Partial<GovernanceConfigInput> = {}, env: Record<string, string> = {}, sims: { entra?: EntraSimulator; okta?: OktaSimulator } = {}) {
  const e = sims.entra ?? entra;
  const o = sims.okta ?? okta;
  store = await openTestStore();
  const rec = recordingSleep();
  const config = GovernanceConfigSchema.parse({
    providers: {
      entra: { tenantId: e.tenantId, clientId: e.clientId, clientSecret: { env: 'ENTRA_SECRET' }, authorityUrl: e.authorityUrl, graphUrl: e.graphUrl },
      okta: { orgUrl: o.orgUrl, apiToken: { env: 'OKTA_TOKEN' } },
    },
    retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 2000 },
    ...extra,
  });
  const metrics = new Metrics();
  const gov = new GovernanceService({
    config,
    store,
    logger: silentLogger(),
    metrics,
    env: { ENTRA_SECRET: e.clientSecret, OKTA_TOKEN: o.apiToken, ...env },
    sleep: rec.sleep,
  });
  services.push(gov);
  return { gov, waits: rec.waits, metrics };
}

describe('Microsoft Entra ID provider', () => {
  it('require_sign_in revokes sign-in sessions with a client-credentials token', async () => {
    const { gov } = await service();
    const before = entra.revocations('alice@acme.example');
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'entra', by: 'admin@acme.example', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.attemptCount).toBe(1);
    expect(entra.revocations('alice@acme.example')).toBe(before + 1);
    expect(entra.user('alice@acme.example')!.signInSessionsValidFromDateTime).not.toBeNull();
    expect(entra.user('alice@acme.example')!.accountEnabled).toBe(true);
    expect(entra.requests.some((r) => r.method === 'POST' && r.path.endsWith('/oauth2/v2.0/token') && r.status === 200)).toBe(true);
  });

  it('suspend_user disables the account and revokes sessions; unsuspend_user enables it again', async () => {
    const { gov } = await service();
    const revokes = entra.revocations('bob@acme.example');
    const s = await gov.act({ action: 'suspend_user', user: 'bob@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(s.status).toBe('succeeded');
    expect(entra.user('bob@acme.example')!.accountEnabled).toBe(false);
    expect(entra.revocations('bob@acme.example')).toBe(revokes + 1);
    const u = await gov.act({ action: 'unsuspend_user', user: 'bob@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(u.status).toBe('succeeded');
    expect(entra.user('bob@acme.example')!.accountEnabled).toBe(true);
  });

  it('fails fast on a wrong client secret (401 invalid_client), without retrying', async () => {
    const { gov, waits } = await service({}, { ENTRA_SECRET: 'not-the-secret' });
    const e = await gov.act({ action: 'suspend_user', user: 'alice@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_AUTH_FAILED');
    expect(e.error!.message).toContain('invalid_client');
    expect(e.attemptCount).toBe(1);
    expect(waits).toEqual([]);
    expect(entra.user('alice@acme.example')!.accountEnabled).toBe(true);
  });

  it('fails fast on an unknown user (404 Request_ResourceNotFound)', async () => {
    const { gov } = await service();
    const e = await gov.act({ action: 'require_sign_in', user: 'nobody@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_TARGET_NOT_FOUND');
    expect(e.error!.message).toContain('Request_ResourceNotFound');
    expect(e.attemptCount).toBe(1);
  });

  it('honours Retry-After on 429 and then succeeds', async () => {
    const { gov, waits } = await service();
    entra.faults.throttle(2, 3);
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.attemptCount).toBe(3);
    expect(e.attempts.map((a) => a.outcome)).toEqual(['transient', 'transient', 'ok']);
    expect(e.attempts[0]!.status).toBe(429);
    // The provider asked for 3 s: the wait is at least that, though the backoff alone would be ~10 ms.
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeGreaterThanOrEqual(3000);
  });

  it('retries a token endpoint that is briefly unavailable', async () => {
    const { gov } = await service();
    entra.tokenFaults.down(1);
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.attempts[0]!.status).toBe(503);
    expect(e.attempts[0]!.message).toContain('oauth2/v2.0/token');
  });

  it('names the missing permission case: 403 Authorization_RequestDenied fails fast', async () => {
    const bare = await startEntraSimulator({ users: [{ userPrincipalName: 'alice@acme.example' }], roles: ['User.Read.All'] });
    try {
      const { gov } = await service({}, {}, { entra: bare });
      const e = await gov.act({ action: 'suspend_user', user: 'alice@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
      expect(e.status).toBe('failed');
      expect(e.error!.code).toBe('RAMPART_ERR_ACTION_AUTH_FAILED');
      expect(e.error!.message).toContain('Authorization_RequestDenied');
      expect(e.attemptCount).toBe(1);
      expect(bare.user('alice@acme.example')!.accountEnabled).toBe(true);
    } finally {
      await bare.close();
    }
  });

  it('gets a new token when Graph rejects the cached one', async () => {
    const { gov } = await service();
    await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'entra', by: 'admin', reason: 'warm the token' });
    const issued = entra.tokensIssued();
    entra.revokeTokens();
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'entra', by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(entra.tokensIssued()).toBe(issued + 1);
  });
});

describe('Okta provider', () => {
  it('require_sign_in clears all sessions (SSWS token, user looked up by login)', async () => {
    const { gov } = await service();
    expect(okta.user('alice@acme.example')!.sessions).toBeGreaterThan(0);
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(okta.user('alice@acme.example')!.sessions).toBe(0);
    expect(okta.user('alice@acme.example')!.status).toBe('ACTIVE');
    expect(okta.requests.some((r) => r.method === 'DELETE' && r.path === `/api/v1/users/${okta.user('alice@acme.example')!.id}/sessions`)).toBe(true);
  });

  it('suspend_user suspends and clears sessions; unsuspend_user reactivates; both are idempotent', async () => {
    const { gov } = await service();
    const clears = okta.sessionClears('bob@acme.example');
    const s = await gov.act({ action: 'suspend_user', user: 'bob@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(s.status).toBe('succeeded');
    expect(okta.user('bob@acme.example')!.status).toBe('SUSPENDED');
    expect(okta.sessionClears('bob@acme.example')).toBe(clears + 1);
    // Suspending again: Okta would answer 400 E0000001; the provider sees the status and succeeds without calling it.
    const again = await gov.act({ action: 'suspend_user', user: 'bob@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(again.status).toBe('succeeded');
    expect(again.result).toContain('already SUSPENDED');
    const u = await gov.act({ action: 'unsuspend_user', user: 'bob@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(u.status).toBe('succeeded');
    expect(okta.user('bob@acme.example')!.status).toBe('ACTIVE');
  });

  it('fails fast on a bad API token (401 E0000011)', async () => {
    const { gov } = await service({}, { OKTA_TOKEN: 'wrong' });
    const e = await gov.act({ action: 'suspend_user', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_AUTH_FAILED');
    expect(e.error!.message).toContain('E0000011');
    expect(e.attemptCount).toBe(1);
  });

  it('fails fast without okta.users.manage (403 E0000006) and on an unknown login (404 E0000007)', async () => {
    const readOnly = await startOktaSimulator({ users: [{ login: 'alice@acme.example' }], canManageUsers: false });
    try {
      const { gov } = await service({}, {}, { okta: readOnly });
      const denied = await gov.act({ action: 'suspend_user', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
      expect(denied.error!.code).toBe('RAMPART_ERR_ACTION_AUTH_FAILED');
      expect(denied.error!.message).toContain('E0000006');
      expect(readOnly.user('alice@acme.example')!.status).toBe('ACTIVE');
      const unknown = await gov.act({ action: 'require_sign_in', user: 'ghost@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
      expect(unknown.error!.code).toBe('RAMPART_ERR_ACTION_TARGET_NOT_FOUND');
      expect(unknown.error!.message).toContain('E0000007');
      expect(unknown.attemptCount).toBe(1);
    } finally {
      await readOnly.close();
    }
  });

  it('waits for X-Rate-Limit-Reset on 429 E0000047, then succeeds', async () => {
    const { gov, waits } = await service();
    okta.faults.throttle(1, 5);
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.attempts[0]!.status).toBe(429);
    expect(e.attempts[0]!.message).toContain('E0000047');
    // The reset is whole epoch seconds 5 s ahead: at least 4 s away whatever the sub-second phase.
    expect(waits[0]).toBeGreaterThanOrEqual(4000);
  });

  it('gives up on a wait longer than retry.maxRetryAfterMs and says so', async () => {
    const { gov, waits } = await service({ retry: { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 2000, maxRetryAfterMs: 1000 } });
    okta.faults.throttle(1, 600);
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(e.status).toBe('failed');
    expect(e.error!.code).toBe('RAMPART_ERR_ACTION_RETRIES_EXHAUSTED');
    expect(e.error!.message).toMatch(/asked to wait \d+ s/);
    expect(waits).toEqual([]);
  });

  it('treats a request that gets no answer as a timeout and retries it', async () => {
    const { gov } = await service({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 300 } });
    okta.faults.hang(1);
    const e = await gov.act({ action: 'require_sign_in', user: 'alice@acme.example', provider: 'okta', by: 'admin', reason: 'test' });
    expect(e.status).toBe('succeeded');
    expect(e.attempts[0]!.reason).toBe('timeout');
    expect(e.attempts[0]!.outcome).toBe('transient');
  });
});
