/**
 * The posture API plugin mounted on Rampart's HTTP server (src/api/server.ts), over real HTTP on loopback.
 * Every response is parsed with its zod schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from '../api/server.ts';
import { ConfigSchema } from '../config/schema.ts';
import { Metrics } from '../core/metrics.ts';
import { silentLogger } from '../core/logger.ts';
import { SqliteStore } from '../store/sqlite/index.ts';
import { PostureService } from './service.ts';
import { registerPostureRoutes } from './routes.ts';
import { RecommendationSchema, RecommendationsResponse, RecomputeResponse, ScoreResponse, postureJsonSchemas } from './api-schemas.ts';
import { ago, event, NOW, user } from './test/fixtures.ts';

let app: FastifyInstance;
let base: string;
let store: SqliteStore;
let svc: PostureService;

beforeAll(async () => {
  store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  await store.putDirectoryUsers([user({ id: 'adm', isAdmin: true }), user({ id: 'u1' }), user({ id: 'u2', authMethod: 'password' }), user({ id: 'ext', email: 'p@partner.example' })]);
  await store.putActivities([event('USER_LOGOUT', 'x', ago(200)), event('CUSTOM_INTEGRATION_EDIT', 'adm', ago(2), { target: { type: 'integration', id: 'int-1', name: 'Exporter' } })]);
  const metrics = new Metrics();
  svc = new PostureService({ store, organizationDomains: ['acme.example'], logger: silentLogger(), metrics, now: () => new Date(NOW) });
  app = createHttpServer({ config: ConfigSchema.parse({}), logger: silentLogger(), metrics, ready: () => true });
  await app.register(registerPostureRoutes, {
    prefix: '/api',
    service: svc,
    actor: (req) => String(req.headers['x-test-user'] ?? 'anonymous'),
    writeGuard: async (req, reply) => {
      if (req.headers['x-test-role'] !== 'admin') return reply.status(403).send({ code: 'RAMPART_ERR_API_FORBIDDEN', message: 'role viewer may not write' });
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api`;
});
afterAll(async () => {
  await app.close();
  await svc.stop();
  await store.close();
});

async function call(method: string, path: string, body?: unknown, role = 'admin'): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { 'x-test-user': 'ana', 'x-test-role': role, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

describe('posture API', () => {
  it('POST /posture/recompute then GET /posture: score and trend', async () => {
    const rc = await call('POST', '/posture/recompute');
    expect(rc.status).toBe(200);
    RecomputeResponse.parse(rc.body);
    const score = await call('GET', '/posture?days=30');
    expect(score.status).toBe(200);
    const s = ScoreResponse.parse(score.body);
    expect(s.instances.map((i) => i.instance)).toEqual(['workplace:c1']);
    expect(s.overall.possible).toBe(53);
    expect(s.trend).toHaveLength(1);
    expect(s.trend[0].overall).toEqual(s.overall);
  });

  it('GET /posture/recommendations: ranked by points left, filterable, evidence reduced to counts', async () => {
    const res = await call('GET', '/posture/recommendations');
    const list = RecommendationsResponse.parse(res.body);
    const left = list.items.map((i) => i.pointsLeft);
    expect(left).toEqual([...left].sort((a, b) => b - a));
    expect(list.items[0]).not.toHaveProperty('evidence');
    const sso = list.items.find((i) => i.id === 'workplace.adopt_sso')!;
    expect(sso.evidenceCounts).toMatchObject({ activeUsers: 4, sso: 3, password: 1 });
    const unknown = RecommendationsResponse.parse((await call('GET', '/posture/recommendations?result=unknown')).body);
    expect(unknown.items.length).toBeGreaterThan(0);
    expect(unknown.items.every((i) => i.result === 'unknown')).toBe(true);
    const bad = await call('GET', '/posture/recommendations?result=maybe');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('RAMPART_ERR_API_BAD_REQUEST');
  });

  it('GET /posture/recommendations/:id: evidence and remediation; unknown ids are 404', async () => {
    const one = RecommendationSchema.parse((await call('GET', '/posture/recommendations/workplace.adopt_sso')).body);
    expect(one.evidence.accounts.map((a) => a.id)).toEqual(['u2']);
    expect(one.remediation).toMatch(/SAML/);
    const missing = await call('GET', '/posture/recommendations/workplace.nope');
    expect(missing).toMatchObject({ status: 404, body: { code: 'RAMPART_ERR_POSTURE_UNKNOWN_CHECK' } });
    const wrongInstance = await call('GET', '/posture/recommendations/workplace.adopt_sso?instance=workplace:zz');
    expect(wrongInstance).toMatchObject({ status: 404, body: { code: 'RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE' } });
  });

  it('PUT status records who and why and moves the score; a reason is required; writes pass the guard', async () => {
    const before = ScoreResponse.parse((await call('GET', '/posture')).body).overall.earned;
    const noReason = await call('PUT', '/posture/recommendations/workplace.adopt_sso/status', { status: 'risk_accepted', reason: ' ' });
    expect(noReason).toMatchObject({ status: 400, body: { code: 'RAMPART_ERR_API_BAD_REQUEST' } });
    expect(noReason.body.message).toMatch(/reason/);
    const viewer = await call('PUT', '/posture/recommendations/workplace.adopt_sso/status', { status: 'risk_accepted', reason: 'x' }, 'viewer');
    expect(viewer.status).toBe(403);
    const res = await call('PUT', '/posture/recommendations/workplace.adopt_sso/status', { status: 'risk_accepted', reason: 'contractors' });
    const r = RecommendationSchema.parse(res.body);
    expect(r).toMatchObject({ status: 'risk_accepted', statusBy: 'ana', statusReason: 'contractors', scoreEarned: 0 });
    const after = ScoreResponse.parse((await call('GET', '/posture')).body).overall.earned;
    expect(after).toBeCloseTo(before - r.evaluatedScore, 5);
    const bad = await call('PUT', '/posture/recommendations/workplace.adopt_sso/status', { status: 'ignored', reason: 'x' });
    expect(bad.status).toBe(400);
  });

  it('PUT declaration needs a justification and shows the result as declared', async () => {
    const noWhy = await call('PUT', '/posture/recommendations/workplace.require_two_factor/declaration', { state: 'compliant' });
    expect(noWhy.status).toBe(400);
    expect(noWhy.body.message).toMatch(/justification/);
    const r = RecommendationSchema.parse(
      (await call('PUT', '/posture/recommendations/workplace.require_two_factor/declaration', { state: 'compliant', justification: 'Admin Panel setting on since May' })).body,
    );
    expect(r).toMatchObject({ result: 'compliant', observed: 'declared', declaration: { by: 'ana' } });
    const withdrawn = RecommendationSchema.parse((await call('PUT', '/posture/recommendations/workplace.require_two_factor/declaration', { state: null })).body);
    expect(withdrawn).toMatchObject({ result: 'unknown', observed: 'observed', declaration: null });
  });

  it('PUT reviews/:item marks an integration and an external account reviewed', async () => {
    const pending = RecommendationSchema.parse((await call('GET', '/posture/recommendations/workplace.custom_integrations_reviewed')).body);
    expect(pending).toMatchObject({ result: 'not_compliant', evidence: { accounts: [{ id: 'int-1', name: 'Exporter', reviewed: null }] } });
    const integ = RecommendationSchema.parse((await call('PUT', '/posture/recommendations/workplace.custom_integrations_reviewed/reviews/int-1', { reason: 'scopes checked' })).body);
    expect(integ).toMatchObject({ result: 'compliant', scoreEarned: 5 });
    const ext = RecommendationSchema.parse((await call('PUT', '/posture/recommendations/workplace.external_accounts/reviews/ext', { reason: 'partner, until Q4' })).body);
    expect(ext.result).toBe('compliant');
    expect(ext.evidence.accounts[0].reviewed).toMatchObject({ by: 'ana', reason: 'partner, until Q4' });
  });

  it('publishes JSON Schemas of its requests and responses', () => {
    const schemas = postureJsonSchemas();
    expect(Object.keys(schemas)).toContain('RecommendationSchema');
    expect(JSON.stringify(schemas.StatusBody)).toContain('risk_accepted');
  });
});
