import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernanceConfigSchema } from '../../src/actions/config.ts';
import { GovernanceService } from '../../src/actions/governance.ts';
import { startOktaSimulator, type OktaSimulator } from '../../src/actions/okta/simulator.ts';
import type { Connector, ConnectorContext, ConnectorHealth } from '../../src/connectors/connector.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Metrics } from '../../src/core/metrics.ts';
import type { Policy } from '../../src/detect/policy/index.ts';
import { activity } from './fixtures.ts';
import { startHarness, type Harness, type Session } from './harness.ts';

/** A connector that keeps a real checkpoint in the store, as a pull connector does. */
class CheckpointConnector implements Connector {
  readonly id = 'testapp';
  #ctx: ConnectorContext | null = null;
  async start(ctx: ConnectorContext): Promise<void> {
    this.#ctx = ctx;
    await ctx.ingest([activity({ app: 'testapp', user: 'conn@acme.example' })], { connector: this.id, key: 'audit', value: 'cursor-42' });
  }
  async stop(): Promise<void> {}
  health(): ConnectorHealth {
    return { connector: this.id, status: this.#ctx ? 'ok' : 'starting', lastEventTime: null, eventsPerMin: 0, errorsByKind: {}, checkpoint: { audit: 'cursor-42' }, message: null };
  }
}

let h: Harness;
let okta: OktaSimulator;
let gov: GovernanceService;
let admin: Session;
let analyst: Session;
let viewer: Session;
const policyReloads: Policy[][] = [];
const policyChanged: string[] = [];

beforeAll(async () => {
  okta = await startOktaSimulator({ users: [{ login: 'suspect@acme.example', sessions: 1 }, { login: 'breakglass@acme.example' }] });
  h = await startHarness({
    yaml: `ipRanges: [{ name: hq, category: corporate, subnets: [203.0.113.0/25] }]`,
    serve: {
      connectors: [new CheckpointConnector()],
      api: {
        onPoliciesChanged: (p, changed) => {
          policyReloads.push(p);
          policyChanged.push(changed);
        },
      },
    },
  });
  // Governance against the Okta simulator, on the service's own store.
  gov = new GovernanceService({
    config: GovernanceConfigSchema.parse({
      defaultProvider: 'okta',
      protectedAccounts: ['breakglass@acme.example'],
      providers: { okta: { orgUrl: okta.orgUrl, apiToken: { env: 'OKTA_TOKEN' } } },
      retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 20, timeoutMs: 2000 },
    }),
    store: h.service.store,
    logger: silentLogger(),
    metrics: new Metrics(),
    env: { OKTA_TOKEN: okta.apiToken },
  });
  h.service.api.setGovernance(gov);
  admin = await h.login('admin@localhost', h.adminPassword);
  analyst = await h.account('ana@acme.example', 'analyst');
  viewer = await h.account('vic@acme.example', 'viewer');
});
afterAll(async () => {
  await gov?.close();
  await h?.close();
  await okta?.close();
});

describe('IP ranges', () => {
  it('creates a range, applies it to the live enricher, and lists config ranges read-only', async () => {
    const r = await h.call('POST', '/api/ip-ranges', { session: admin, body: { name: 'branch', category: 'corporate', subnets: ['198.18.0.0/24'], tags: ['Branch'], location: { country: 'FR' } } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ name: 'branch', source: 'api' });
    const list = await h.call('GET', '/api/ip-ranges', { session: viewer });
    expect(list.body.items.map((x: { name: string; source: string }) => `${x.name}:${x.source}`)).toEqual(['hq:config', 'branch:api']);
    await h.service.pipeline.ingest([activity({ id: 'act-branch', ip: '198.18.0.10' })]);
    const stored = await h.service.store.getActivity('act-branch');
    expect(stored!.ipCategory).toBe('corporate');
    expect(stored!.ipTags).toContain('Branch');
    expect(stored!.geo?.country).toBe('FR');
  });

  it('refuses overlaps with 409 naming both ranges, invalid subnets with 400, duplicates with 409', async () => {
    const overlap = await h.call('POST', '/api/ip-ranges', { session: admin, body: { name: 'inside-hq', category: 'vpn', subnets: ['203.0.113.64/26'] } });
    expect(overlap.status).toBe(409);
    expect(overlap.body.code).toBe('RAMPART_ERR_ENRICH_RANGE_OVERLAP');
    expect(overlap.body.message).toContain('inside-hq');
    expect(overlap.body.message).toContain('hq');
    const invalid = await h.call('PUT', '/api/ip-ranges/broken', { session: admin, body: { category: 'vpn', subnets: ['300.1.1.1/8'] } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.code).toBe('RAMPART_ERR_ENRICH_RANGE_INVALID');
    const dup = await h.call('POST', '/api/ip-ranges', { session: admin, body: { name: 'branch', category: 'vpn', subnets: ['198.19.0.0/24'] } });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('RAMPART_ERR_API_CONFLICT');
    const configOne = await h.call('DELETE', '/api/ip-ranges/hq', { session: admin });
    expect(configOne.status).toBe(400);
    expect((await h.service.store.listIpRanges()).map((r) => r.name)).toEqual(['branch']);
  });

  it('replaces and deletes; the enricher follows', async () => {
    const put = await h.call('PUT', '/api/ip-ranges/branch', { session: admin, body: { category: 'risky', subnets: ['198.18.0.0/24'] } });
    expect(put.status).toBe(200);
    await h.service.pipeline.ingest([activity({ id: 'act-risky', ip: '198.18.0.11' })]);
    expect((await h.service.store.getActivity('act-risky'))!.ipCategory).toBe('risky');
    expect((await h.call('DELETE', '/api/ip-ranges/branch', { session: admin })).status).toBe(200);
    await h.service.pipeline.ingest([activity({ id: 'act-after', ip: '198.18.0.12' })]);
    expect((await h.service.store.getActivity('act-after'))!.ipCategory).not.toBe('risky');
    expect((await h.call('DELETE', '/api/ip-ranges/branch', { session: admin })).status).toBe(404);
    expect((await h.call('POST', '/api/ip-ranges', { session: analyst, body: { name: 'x', category: 'vpn', subnets: ['10.9.0.0/16'] } })).status).toBe(403);
  });
});

describe('policies', () => {
  const massDownload = {
    name: 'mass-download',
    severity: 'high',
    filters: [{ field: 'action', op: 'eq', value: 'file.download' }],
    actOn: { mode: 'repeated', minCount: 3, windowSecs: 60 },
  };

  it('validates with errors and lint warnings, without saving', async () => {
    const ok = await h.call('POST', '/api/policies/validate', { session: viewer, body: { policy: { name: 'neq', filters: [{ field: 'geo.country', op: 'neq', value: 'US' }] } } });
    expect(ok.status).toBe(200);
    expect(ok.body.valid).toBe(true);
    expect(ok.body.warnings.map((w: { path: string }) => w.path)).toContain('filters.0');
    const bad = await h.call('POST', '/api/policies/validate', { session: viewer, body: { policy: { name: 'bad', filters: [{ field: 'action', op: 'regex', value: '(' }] } } });
    expect(bad.body.valid).toBe(false);
    expect(bad.body.errors[0].path).toMatch(/^filters\.0/);
    expect((await h.call('GET', '/api/policies', { session: viewer })).body.items).toEqual([]);
  });

  it('creates, reads, disables, replaces and deletes, telling the service each time', async () => {
    const c = await h.call('POST', '/api/policies', { session: analyst, body: massDownload });
    expect(c.status).toBe(201);
    expect(c.body.policy).toMatchObject({ name: 'mass-download', enabled: true, severity: 'high' });
    expect(policyReloads.at(-1)!.map((p) => p.name)).toEqual(['mass-download']);
    expect(policyChanged.at(-1)).toBe('mass-download');
    expect((await h.call('POST', '/api/policies', { session: analyst, body: massDownload })).status).toBe(409);
    const off = await h.call('PATCH', '/api/policies/mass-download', { session: analyst, body: { enabled: false } });
    expect(off.body.policy.enabled).toBe(false);
    expect(policyReloads.at(-1)![0].enabled).toBe(false);
    const put = await h.call('PUT', '/api/policies/mass-download', { session: analyst, body: { ...massDownload, name: undefined, severity: 'low' } });
    expect(put.status).toBe(200);
    expect((await h.call('GET', '/api/policies/mass-download', { session: viewer })).body.policy.severity).toBe('low');
    const badRegex = await h.call('PUT', '/api/policies/regex', { session: analyst, body: { filters: [{ field: 'action', op: 'regex', value: '(' }] } });
    expect(badRegex.status).toBe(400);
    expect(badRegex.body.message).toContain('body.filters.0');
    expect((await h.call('DELETE', '/api/policies/mass-download', { session: analyst })).status).toBe(200);
    expect(policyReloads.at(-1)).toEqual([]);
    expect((await h.call('GET', '/api/policies/mass-download', { session: viewer })).status).toBe(404);
  });

  it('only an admin may write a policy that suspends accounts', async () => {
    const suspending = { name: 'lockout', filters: [{ field: 'action', op: 'eq', value: 'x' }], actions: [{ action: 'suspend_user' }] };
    const r = await h.call('POST', '/api/policies', { session: analyst, body: suspending });
    expect(r.status).toBe(403);
    expect(r.body.message).toContain('suspends accounts');
    expect((await h.call('POST', '/api/policies', { session: admin, body: suspending })).status).toBe(201);
    // Nor may an analyst take it away: delete it, replace it with one that does not suspend, or disable it.
    const del = await h.call('DELETE', '/api/policies/lockout', { session: analyst });
    expect(del.status).toBe(403);
    expect(del.body.message).toContain('suspends accounts');
    const { name: _name, ...rest } = suspending;
    expect((await h.call('PUT', '/api/policies/lockout', { session: analyst, body: { ...rest, actions: [] } })).status).toBe(403);
    expect((await h.call('PATCH', '/api/policies/lockout', { session: analyst, body: { enabled: false } })).status).toBe(403);
    const kept = await h.call('GET', '/api/policies/lockout', { session: analyst });
    expect(kept.body.policy.actions.map((a: { action: string }) => a.action)).toEqual(['suspend_user']);
    expect(kept.body.policy.enabled).toBe(true);
    expect((await h.call('PUT', '/api/policies/lockout', { session: admin, body: rest })).status).toBe(200);
  });

  it('shows a policy disabled automatically for too many matches', async () => {
    await h.call('POST', '/api/policies', { session: analyst, body: { name: 'noisy', filters: [{ field: 'action', op: 'eq', value: 'login' }] } });
    const rec = { policy: 'noisy', reason: 'matches_per_3_hours', count: 100_001, threshold: 100_000, at: '2026-01-01T00:00:00.000Z', recordedAt: new Date(Date.now() + 1000).toISOString(), message: 'policy noisy disabled' };
    await h.service.store.putDoc({ kind: 'policy_auto_disable', id: `noisy:${rec.recordedAt}`, body: rec, updatedAt: rec.recordedAt });
    const list = await h.call('GET', '/api/policies', { session: viewer });
    const noisy = list.body.items.find((p: { policy: { name: string } }) => p.policy.name === 'noisy');
    expect(noisy.autoDisabled).toMatchObject({ reason: 'matches_per_3_hours', threshold: 100_000 });
    expect(list.body.items.find((p: { policy: { name: string } }) => p.policy.name === 'lockout').autoDisabled).toBeNull();
  });

  it('lists policies of the policies folder read-only', async () => {
    const dir = h.service.api ? join(h.dir, 'policies') : '';
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'from-file.yaml'), 'name: from-file\nfilters:\n  - { field: action, op: eq, value: login }\n');
    const list = await h.call('GET', '/api/policies', { session: viewer });
    expect(list.body.items.find((p: { policy: { name: string } }) => p.policy.name === 'from-file')).toMatchObject({ source: 'file' });
    const edit = await h.call('PATCH', '/api/policies/from-file', { session: analyst, body: { enabled: false } });
    expect(edit.status).toBe(400);
    expect(edit.body.message).toContain('policies folder');
  });

  it('backtests a stored or unsaved policy over the stored history', async () => {
    const t0 = Date.parse('2026-01-10T10:00:00Z');
    const acts = [];
    // Day 1: 4 downloads within a minute by dora (one alert); day 2: 2 downloads (none); other actions ignored.
    for (let i = 0; i < 4; i++) acts.push(activity({ user: 'dora@acme.example', action: 'file.download', category: 'file', time: new Date(t0 + i * 5000).toISOString() }));
    for (let i = 0; i < 2; i++) acts.push(activity({ user: 'dora@acme.example', action: 'file.download', category: 'file', time: new Date(t0 + 86_400_000 + i * 5000).toISOString() }));
    for (let i = 0; i < 10; i++) acts.push(activity({ user: 'dora@acme.example', action: 'login', time: new Date(t0 + i * 1000).toISOString() }));
    await h.service.store.putActivities(acts);
    const body = { policy: massDownload, from: '2026-01-01T00:00:00Z', to: '2026-02-01T00:00:00Z' };
    const r = await h.call('POST', '/api/policies/backtest', { session: analyst, body });
    expect(r.status).toBe(200);
    expect(r.body.alerts).toBe(1);
    expect(r.body.matches).toBe(6);
    expect(r.body.perDay).toEqual([
      { day: '2026-01-10', matches: 4, alerts: 1 },
      { day: '2026-01-11', matches: 2, alerts: 0 },
    ]);
    expect(r.body.samples[0]).toMatchObject({ policy: 'mass-download', user: 'dora@acme.example' });
    await h.call('POST', '/api/policies', { session: analyst, body: massDownload });
    const byName = await h.call('POST', '/api/policies/backtest', { session: analyst, body: { name: 'mass-download', from: body.from, to: body.to } });
    expect(byName.body.alerts).toBe(1);
    const both = await h.call('POST', '/api/policies/backtest', { session: analyst, body: { name: 'x', policy: massDownload } });
    expect(both.status).toBe(400);
  });
});

describe('detections, connectors, settings', () => {
  it('lists the built-in detections with their settings', async () => {
    const r = await h.call('GET', '/api/detections', { session: viewer });
    expect(r.status).toBe(200);
    const ids = r.body.items.map((d: { id: string }) => d.id);
    expect(ids).toEqual(expect.arrayContaining(['impossible_travel', 'failed_logins', 'anonymous_ip']));
    const travel = r.body.items.find((d: { id: string }) => d.id === 'impossible_travel');
    expect(travel.settings.enabled).toBe(true);
    expect(travel.kind).toBe('builtin');
    expect(r.body.learningDays).toBeGreaterThan(0);
  });

  it('shows connector health and the checkpoints committed in the store', async () => {
    const list = await h.call('GET', '/api/connectors', { session: viewer });
    expect(list.body.items).toEqual([expect.objectContaining({ connector: 'testapp', status: 'ok' })]);
    const cp = await h.call('GET', '/api/connectors/testapp/checkpoints', { session: viewer });
    expect(cp.body).toEqual({ connector: 'testapp', checkpoints: { audit: 'cursor-42' } });
    expect((await h.call('GET', '/api/connectors/nope', { session: viewer })).status).toBe(404);
  });

  it('tells an admin what the store holds and how far back (the store stats), and no one else', async () => {
    const r = await h.call('GET', '/api/store/stats', { session: admin });
    expect(r.status).toBe(200);
    const stored = await h.service.store.countActivities();
    expect(r.body).toMatchObject({ driver: 'sqlite', activities: stored, retentionDays: expect.any(Number) });
    expect(r.body.bytes).toBeGreaterThan(0);
    expect(stored).toBeGreaterThan(0); // the suite's fixtures
    expect(Date.parse(r.body.oldestActivity)).toBeLessThanOrEqual(Date.parse(r.body.newestActivity));
    expect((await h.call('GET', '/api/store/stats', { session: viewer })).status).toBe(403);
  });

  it('reads and changes settings (admin), nothing secret in them', async () => {
    const r = await h.call('GET', '/api/settings', { session: viewer });
    expect(r.body.service).toMatchObject({ store: 'sqlite', tls: false, connectors: ['testapp'], governance: true, lockoutThreshold: 3 });
    expect(JSON.stringify(r.body)).not.toContain(okta.apiToken);
    const p = await h.call('PATCH', '/api/settings', { session: admin, body: { organizationName: 'Acme Corp' } });
    expect(p.body.organizationName).toBe('Acme Corp');
    expect((await h.call('GET', '/api/settings', { session: viewer })).body.settings.organizationName).toBe('Acme Corp');
  });
});

describe('governance actions', () => {
  it('suspends a user through the provider, logs it, and reverts it', async () => {
    const r = await h.call('POST', '/api/actions', { session: analyst, body: { action: 'suspend_user', user: 'suspect@acme.example', app: 'okta', reason: 'credential stuffing' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ action: 'suspend_user', status: 'succeeded', trigger: { kind: 'manual', by: 'ana@acme.example' } });
    expect(okta.user('suspect@acme.example')!.status).toBe('SUSPENDED');
    const log = await h.call('GET', '/api/actions?user=suspect@acme.example', { session: viewer });
    expect(log.body.items.map((e: { id: string }) => e.id)).toContain(r.body.id);
    const rev = await h.call('POST', `/api/actions/${r.body.id}/revert`, { session: analyst, body: {} });
    expect(rev.status).toBe(200);
    expect(rev.body).toMatchObject({ action: 'unsuspend_user', status: 'succeeded', revertOf: r.body.id });
    expect(okta.user('suspect@acme.example')!.status).toBe('ACTIVE');
    expect((await h.call('GET', `/api/actions/${r.body.id}`, { session: viewer })).body.status).toBe('reverted');
    const retry = await h.call('POST', `/api/actions/${r.body.id}/retry`, { session: analyst, body: {} });
    expect(retry.status).toBe(409);
    expect(retry.body.code).toBe('RAMPART_ERR_ACTION_INVALID_STATE');
  });

  it('protected accounts need force, which only an admin may give', async () => {
    const body = { action: 'suspend_user', user: 'breakglass@acme.example', app: 'okta', reason: 'test' };
    const plain = await h.call('POST', '/api/actions', { session: analyst, body });
    expect(plain.status).toBe(403);
    expect(plain.body.code).toBe('RAMPART_ERR_ACTION_PROTECTED_ACCOUNT');
    expect((await h.call('POST', '/api/actions', { session: analyst, body: { ...body, force: true } })).status).toBe(403);
    expect(okta.user('breakglass@acme.example')!.status).toBe('ACTIVE');
    const forced = await h.call('POST', '/api/actions', { session: admin, body: { ...body, force: true } });
    expect(forced.status).toBe(201);
    expect(okta.user('breakglass@acme.example')!.status).toBe('SUSPENDED');
    expect((await h.call('GET', '/api/actions/nope', { session: viewer })).status).toBe(404);
  });
});

describe('rejected input', () => {
  it('pages newest first with the cursor, admin only, and refuses a forged cursor with 400', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 10, 1, 0, 0, s)).toISOString();
    await h.service.store.putRejects([1, 2, 3].map((s) => ({ id: `api-rj-${s}`, source: 'webhook:workplace', code: 'RAMPART_ERR_CONN_BAD_PAYLOAD', reason: 'x', sample: '{}', receivedAt: at(s) })));
    const first = await h.call('GET', '/api/rejects?limit=2', { session: admin });
    expect(first.status).toBe(200);
    expect(first.body.items.map((r: { id: string }) => r.id)).toEqual(['api-rj-3', 'api-rj-2']);
    expect(first.body.next).toEqual(expect.any(String));
    const second = await h.call('GET', `/api/rejects?limit=2&cursor=${encodeURIComponent(first.body.next)}`, { session: admin });
    expect(second.body.items.map((r: { id: string }) => r.id)).toEqual(['api-rj-1']);
    expect(second.body.next).toBeNull();
    const forged = await h.call('GET', '/api/rejects?cursor=bm9wZQ', { session: admin });
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('RAMPART_ERR_STORE_INVALID_QUERY');
    const analyst = await h.account('rj-analyst@acme.example', 'analyst');
    expect((await h.call('GET', '/api/rejects', { session: analyst })).status).toBe(403);
  });
});
