/**
 * The posture API inside a real `rampart serve` (test/api/harness.ts: SQLite store, loopback HTTP, the API's
 * guard with sessions and roles). Every response is parsed with its zod schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness, type Session } from '../../test/api/harness.ts';
import { ActivitySchema } from '../schema/activity.ts';
import { RecommendationSchema, RecommendationsResponse, RecomputeResponse, ScoreResponse } from './api-schemas.ts';
import { user } from './test/fixtures.ts';

let h: Harness;
let admin: Session;
let analyst: Session;
let viewer: Session;

const daysAgo = (d: number) => new Date(Date.now() - d * 86_400_000).toISOString();
const act = (id: string, action: string, actor: string, time: string, extra: Record<string, unknown> = {}) =>
  ActivitySchema.parse({ id, time, receivedAt: time, app: 'workplace', action, actor: { id: actor }, ...extra });

beforeAll(async () => {
  h = await startHarness({ yaml: 'organization: { domains: [acme.example] }\nposture: { intervalSecs: 0 }' });
  const store = h.service.store;
  await store.putDirectoryUsers([user({ id: 'adm', isAdmin: true }), user({ id: 'u1' }), user({ id: 'u2', authMethod: 'password' }), user({ id: 'ext', email: 'p@partner.example' })]);
  await store.putActivities([
    act('p-old', 'USER_LOGOUT', 'x', daysAgo(200)),
    act('p-int', 'CUSTOM_INTEGRATION_EDIT', 'adm', daysAgo(2), { target: { type: 'integration', id: 'int-1', name: 'Exporter' } }),
  ]);
  admin = await h.account('posture-admin@acme.example', 'admin');
  analyst = await h.account('posture-analyst@acme.example', 'analyst');
  viewer = await h.account('posture-viewer@acme.example', 'viewer');
});
afterAll(async () => h?.close());

describe('posture API in rampart serve', () => {
  it('POST /api/posture/recompute (analyst) then GET /api/posture (viewer): score and trend', async () => {
    expect((await h.call('POST', '/api/posture/recompute', { session: viewer })).status).toBe(403);
    const rc = await h.call('POST', '/api/posture/recompute', { session: analyst });
    expect(rc.status).toBe(200);
    RecomputeResponse.parse(rc.body);
    const score = await h.call('GET', '/api/posture?days=30', { session: viewer });
    expect(score.status).toBe(200);
    const s = ScoreResponse.parse(score.body);
    expect(s.instances.map((i) => i.instance)).toEqual(['workplace:c1']);
    expect(s.overall.possible).toBe(53);
    expect(s.trend).toHaveLength(1);
    expect(s.trend[0].overall).toEqual(s.overall);
    expect((await h.call('GET', '/api/posture')).status).toBe(401);
  });

  it('GET /api/posture/recommendations: ranked by points left, filterable, evidence reduced to counts', async () => {
    const list = RecommendationsResponse.parse((await h.call('GET', '/api/posture/recommendations', { session: viewer })).body);
    const left = list.items.map((i) => i.pointsLeft);
    expect(left).toEqual([...left].sort((a, b) => b - a));
    expect(list.items[0]).not.toHaveProperty('evidence');
    expect(list.items.find((i) => i.id === 'workplace.adopt_sso')!.evidenceCounts).toMatchObject({ activeUsers: 4, sso: 3, password: 1 });
    const unknown = RecommendationsResponse.parse((await h.call('GET', '/api/posture/recommendations?result=unknown', { session: viewer })).body);
    expect(unknown.items.length).toBeGreaterThan(0);
    expect(unknown.items.every((i) => i.result === 'unknown')).toBe(true);
    const bad = await h.call('GET', '/api/posture/recommendations?result=maybe', { session: viewer });
    expect(bad).toMatchObject({ status: 400, body: { code: 'RAMPART_ERR_API_BAD_REQUEST' } });
  });

  it('GET /api/posture/recommendations/:id: evidence and remediation; unknown check or instance is 404', async () => {
    const one = RecommendationSchema.parse((await h.call('GET', '/api/posture/recommendations/workplace.adopt_sso', { session: viewer })).body);
    expect(one.evidence.accounts.map((a) => a.id)).toEqual(['u2']);
    expect(one.remediation).toMatch(/SAML/);
    expect(await h.call('GET', '/api/posture/recommendations/workplace.nope', { session: viewer })).toMatchObject({ status: 404, body: { code: 'RAMPART_ERR_POSTURE_UNKNOWN_CHECK' } });
    expect(await h.call('GET', '/api/posture/recommendations/workplace.adopt_sso?instance=workplace:zz', { session: viewer })).toMatchObject({
      status: 404,
      body: { code: 'RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE' },
    });
  });

  it('PUT status (admin) records who and why, moves the score, and is audited; a reason is required', async () => {
    const path = '/api/posture/recommendations/workplace.adopt_sso/status';
    const before = ScoreResponse.parse((await h.call('GET', '/api/posture', { session: viewer })).body).overall.earned;
    expect((await h.call('PUT', path, { session: analyst, body: { status: 'risk_accepted', reason: 'x' } })).status).toBe(403);
    const noReason = await h.call('PUT', path, { session: admin, body: { status: 'risk_accepted', reason: ' ' } });
    expect(noReason).toMatchObject({ status: 400, body: { code: 'RAMPART_ERR_API_BAD_REQUEST' } });
    expect(noReason.body.message).toMatch(/reason/);
    const r = RecommendationSchema.parse((await h.call('PUT', path, { session: admin, body: { status: 'risk_accepted', reason: 'contractors' } })).body);
    expect(r).toMatchObject({ status: 'risk_accepted', statusBy: 'posture-admin@acme.example', statusReason: 'contractors', scoreEarned: 0 });
    const after = ScoreResponse.parse((await h.call('GET', '/api/posture', { session: viewer })).body).overall.earned;
    expect(after).toBeCloseTo(before - r.evaluatedScore, 5);
    expect((await h.call('PUT', path, { session: admin, body: { status: 'ignored', reason: 'x' } })).status).toBe(400);
    const audit = await h.call('GET', '/api/audit?limit=20', { session: admin });
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).toContain('posture.status');
  });

  it('PUT declaration needs a justification and shows the result as declared', async () => {
    const path = '/api/posture/recommendations/workplace.require_two_factor/declaration';
    const noWhy = await h.call('PUT', path, { session: admin, body: { state: 'compliant' } });
    expect(noWhy.status).toBe(400);
    expect(noWhy.body.message).toMatch(/justification/);
    const r = RecommendationSchema.parse((await h.call('PUT', path, { session: admin, body: { state: 'compliant', justification: 'Admin Panel setting on since May' } })).body);
    expect(r).toMatchObject({ result: 'compliant', observed: 'declared', declaration: { by: 'posture-admin@acme.example' } });
    const withdrawn = RecommendationSchema.parse((await h.call('PUT', path, { session: admin, body: { state: null } })).body);
    expect(withdrawn).toMatchObject({ result: 'unknown', observed: 'observed', declaration: null });
  });

  it('PUT reviews/:item marks an integration and an external account reviewed', async () => {
    const pending = RecommendationSchema.parse((await h.call('GET', '/api/posture/recommendations/workplace.custom_integrations_reviewed', { session: viewer })).body);
    expect(pending).toMatchObject({ result: 'not_compliant', evidence: { accounts: [{ id: 'int-1', name: 'Exporter', reviewed: null }] } });
    const integ = RecommendationSchema.parse(
      (await h.call('PUT', '/api/posture/recommendations/workplace.custom_integrations_reviewed/reviews/int-1', { session: admin, body: { reason: 'scopes checked' } })).body,
    );
    expect(integ).toMatchObject({ result: 'compliant', scoreEarned: 5 });
    const ext = RecommendationSchema.parse((await h.call('PUT', '/api/posture/recommendations/workplace.external_accounts/reviews/ext', { session: admin, body: { reason: 'partner, until Q4' } })).body);
    expect(ext.result).toBe('compliant');
    expect(ext.evidence.accounts[0].reviewed).toMatchObject({ by: 'posture-admin@acme.example', reason: 'partner, until Q4' });
    expect((await h.call('PUT', '/api/posture/recommendations/workplace.adopt_sso/reviews/x', { session: admin, body: { reason: 'r' } })).status).toBe(400);
  });

  it('is in the OpenAPI document with its access roles', async () => {
    const doc = (await h.call('GET', '/api/openapi.json')).body;
    expect(doc.paths['/api/posture'].get['x-rampart-access']).toBe('viewer');
    expect(doc.paths['/api/posture/recommendations/{id}/status'].put['x-rampart-access']).toBe('admin');
    expect(doc.paths['/api/posture/recompute'].post['x-rampart-access']).toBe('analyst');
  });
});
