/**
 * The posture service over a real SQLite store (and PostgreSQL, own schema, when RAMPART_TEST_PG_URL is set): score arithmetic, statuses, declarations, reviews,
 * regression alerts (once), daily snapshots and the schedule.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { SqliteStore } from '../store/sqlite/index.ts';
import { PostgresStore } from '../store/postgres/index.ts';
import type { Store } from '../store/store.ts';
import { Metrics } from '../core/metrics.ts';
import { silentLogger } from '../core/logger.ts';
import type { Alert } from '../schema/alert.ts';
import type { PostureCheck } from './check.ts';
import { PostureConfigSchema, type PostureConfigInput } from './config.ts';
import { DOC_KINDS, PostureService } from './service.ts';
import { rankRecommendations, recommendation } from './score.ts';
import { adoptSso } from './checks/workplace/adopt-sso.ts';
import { ago, event, NOW, user } from './test/fixtures.ts';

const pgUrl = process.env.RAMPART_TEST_PG_URL;
if (!pgUrl) console.warn('posture postgres tests skipped: set RAMPART_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them');
const DRIVERS: { name: string; open: () => Store }[] = [
  { name: 'sqlite', open: () => new SqliteStore({ path: ':memory:' }) },
  ...(pgUrl ? [{ name: 'postgres', open: () => new PostgresStore({ url: pgUrl, schema: `rampart_posture_${randomBytes(6).toString('hex')}`, poolSize: 2 }) }] : []),
];

describe.each(DRIVERS)('posture service on $name', ({ open }) => {
  let store: Store;
  let alerts: Alert[];
  let metrics: Metrics;
  let clock: string;

  beforeEach(async () => {
    store = open();
    await store.migrate();
    alerts = [];
    metrics = new Metrics();
    clock = NOW;
  });
  afterEach(async () => {
    if (store instanceof PostgresStore) await store.dropSchema().catch(() => undefined);
    await store.close();
  });

  const service = (config: PostureConfigInput = {}, checks?: Record<string, PostureCheck[]>, domains: string[] = ['acme.example']) =>
    new PostureService({
      store,
      config: PostureConfigSchema.parse(config),
      organizationDomains: domains,
      logger: silentLogger(),
      metrics,
      onAlert: (a) => {
        alerts.push(a);
      },
      checks,
      now: () => new Date(clock),
    });

  /** 4 active users (1 admin), half on password; a log long enough for the 90-day checks. */
  async function seed(): Promise<void> {
    await store.putDirectoryUsers([
      user({ id: 'adm', isAdmin: true }),
      user({ id: 'u1' }),
      user({ id: 'u2', authMethod: 'password' }),
      user({ id: 'u3', authMethod: 'password' }),
    ]);
    await store.putActivities([event('USER_LOGOUT', 'x', ago(200)), ...['adm', 'u1', 'u2', 'u3'].map((id) => event('USER_LOGIN', id, ago(1)))]);
  }

  describe('score', () => {
    it('is points earned over points possible, per instance and overall', async () => {
      await seed();
      await store.putDirectoryUsers([user({ id: 'other', tenant: 'c2' })]);
      const svc = service();
      const report = await svc.recompute();
      expect(report.instances.map((i) => i.instance)).toEqual(['workplace:c1', 'workplace:c2']);
      for (const i of report.instances) {
        const recs = report.recommendations.filter((r) => r.instance === i.instance);
        expect(recs).toHaveLength(svc.checks.length);
        expect(i.possible).toBe(recs.reduce((s, r) => s + r.maxScore, 0));
        expect(i.earned).toBeCloseTo(recs.reduce((s, r) => s + r.scoreEarned, 0), 5);
        expect(i.pct).toBeCloseTo((i.earned / i.possible) * 100, 0);
      }
      expect(report.overall.earned).toBeCloseTo(report.instances[0].earned + report.instances[1].earned, 5);
      const sso = report.recommendations.find((r) => r.id === 'workplace.adopt_sso' && r.instance === 'workplace:c1')!;
      expect(sso).toMatchObject({ result: 'not_compliant', scoreEarned: 5, pointsLeft: 5, status: 'to_address', statusSource: 'derived', observed: 'observed' });
      expect(sso.evidence.accounts.map((a) => a.id)).toEqual(['u2', 'u3']);
      // A compliant check shows "completed", derived from data.
      expect(report.recommendations.find((r) => r.id === 'workplace.no_inactive_admins' && r.instance === 'workplace:c1')).toMatchObject({ status: 'completed', statusSource: 'derived' });
      expect(metrics.get('rampart_posture_score_pct', { instance: 'workplace:c1' })).toBe(report.instances[0].pct);
    });

    it('ranks by points left, then implementation cost, then user impact', () => {
      const inst = { id: 'w', app: 'workplace', tenant: '' };
      const ev = (score: number) => ({ status: 'not_compliant' as const, scoreEarned: score, observed: 'observed' as const, evidence: { counts: {}, accounts: [], accountsTotal: 0, notes: [] } });
      const mk = (id: string, max: number, cost: PostureCheck['implementationCost'], impact: PostureCheck['userImpact'], score: number, rank: number) =>
        recommendation({ ...adoptSso, id, maxScore: max, implementationCost: cost, userImpact: impact, rank }, inst, ev(score), NOW, null, null);
      const ranked = rankRecommendations([
        mk('small-left', 10, 'low', 'low', 9, 1),
        mk('big-high-cost', 8, 'high', 'low', 0, 2),
        mk('big-low-cost-high-impact', 8, 'low', 'high', 0, 3),
        mk('big-low-cost-low-impact', 8, 'low', 'low', 0, 4),
      ]);
      expect(ranked.map((r) => r.id)).toEqual(['big-low-cost-low-impact', 'big-low-cost-high-impact', 'big-high-cost', 'small-left']);
    });
  });

  describe('statuses', () => {
    it('risk accepted earns no points, the resolved-through statuses earn full points, and who/when/why is kept', async () => {
      await seed();
      const svc = service();
      const before = await svc.recompute();
      const accepted = await svc.setStatus('workplace.adopt_sso', { status: 'risk_accepted', by: 'ana', reason: 'contractors cannot use our IdP' });
      expect(accepted).toMatchObject({ status: 'risk_accepted', statusSource: 'set', statusBy: 'ana', statusReason: 'contractors cannot use our IdP', scoreEarned: 0, evaluatedScore: 5 });
      const afterAccept = await svc.report();
      expect(afterAccept.overall.earned).toBeCloseTo(before.overall.earned - 5, 5);

      clock = new Date(Date.parse(NOW) + 60_000).toISOString();
      const third = await svc.setStatus('workplace.adopt_sso', { status: 'resolved_through_third_party', by: 'bo', reason: 'password users go through the VPN with MFA' });
      expect(third.scoreEarned).toBe(10);
      expect((await svc.report()).overall.earned).toBeCloseTo(before.overall.earned + 5, 5);
      expect(third.controlStateUpdates.map((u) => [u.status, u.by])).toEqual([
        ['resolved_through_third_party', 'bo'],
        ['risk_accepted', 'ana'],
      ]);
      const alt = await svc.setStatus('workplace.adopt_sso', { status: 'resolved_through_alternate_mitigation', by: 'bo', reason: 'x' });
      expect(alt.scoreEarned).toBe(10);
      // Statuses survive a restart (they are docs).
      const again = await service().recompute();
      expect(again.recommendations.find((r) => r.id === 'workplace.adopt_sso')!.status).toBe('resolved_through_alternate_mitigation');
    });

    it('"completed" must be confirmed by data: a conflict is shown and the data decides the points', async () => {
      await seed();
      const svc = service();
      await svc.recompute();
      const r = await svc.setStatus('workplace.adopt_sso', { status: 'completed', by: 'ana', reason: 'done' });
      expect(r.scoreEarned).toBe(5);
      expect(r.conflict).toMatch(/data says not compliant/);
      expect((await svc.report()).instances[0].counts.conflicts).toBe(1);
      const planned = await svc.setStatus('workplace.adopt_sso', { status: 'planned', by: 'ana', reason: 'Q3' });
      expect(planned).toMatchObject({ conflict: null, scoreEarned: 5 });
    });

    it('rejects an unknown check and an ambiguous instance', async () => {
      await seed();
      await store.putDirectoryUsers([user({ id: 'other', tenant: 'c2' })]);
      const svc = service();
      await expect(svc.setStatus('nope', { status: 'planned', by: 'a', reason: 'b' })).rejects.toMatchObject({ code: 'RAMPART_ERR_POSTURE_UNKNOWN_CHECK' });
      await expect(svc.setStatus('workplace.adopt_sso', { status: 'planned', by: 'a', reason: 'b' })).rejects.toMatchObject({ code: 'RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE' });
      await expect(svc.setStatus('workplace.adopt_sso', { status: 'planned', by: 'a', reason: 'b', instance: 'workplace:zz' })).rejects.toMatchObject({
        code: 'RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE',
      });
      expect((await svc.setStatus('workplace.adopt_sso', { status: 'planned', by: 'a', reason: 'b', instance: 'workplace:c2' })).instance).toBe('workplace:c2');
    });
  });

  describe('declarations', () => {
    it('fill in what cannot be observed, marked declared; observed data wins over a declaration', async () => {
      await seed();
      const svc = service();
      const r0 = await svc.recommendation('workplace.require_two_factor');
      expect(r0).toMatchObject({ result: 'unknown', observed: 'observed', scoreEarned: 0 });

      const declared = await svc.declare('workplace.require_two_factor', { state: 'compliant', justification: 'Enforced in Admin Panel on 2026-05-02 (ticket SEC-12)', by: 'ana' });
      expect(declared).toMatchObject({ result: 'compliant', observed: 'declared', observedResult: 'unknown', scoreEarned: 5, status: 'completed' });
      expect(declared.declaration).toMatchObject({ by: 'ana', justification: 'Enforced in Admin Panel on 2026-05-02 (ticket SEC-12)' });
      expect((await svc.recompute()).instances[0].counts.declared).toBe(1);

      const notHonoured = await svc.declare('workplace.adopt_sso', { state: 'compliant', justification: 'we use SSO', by: 'bo' });
      expect(notHonoured).toMatchObject({ result: 'not_compliant', observed: 'observed', scoreEarned: 5 });
      expect(notHonoured.conflict).toMatch(/data says not_compliant; the data is used/);

      const withdrawn = await svc.declare('workplace.require_two_factor', { state: null, justification: '', by: 'ana' });
      expect(withdrawn).toMatchObject({ result: 'unknown', observed: 'observed', declaration: null, scoreEarned: 0 });
    });
  });

  describe('reviews', () => {
    it('mark integrations reviewed, re-evaluating the check', async () => {
      await seed();
      await store.putActivities([event('CUSTOM_INTEGRATION_EDIT', 'adm', ago(3), { target: { type: 'integration', id: 'int-9', name: 'Exporter' } })]);
      const svc = service();
      expect(await svc.recommendation('workplace.custom_integrations_reviewed')).toMatchObject({ result: 'not_compliant', scoreEarned: 0 });
      const r = await svc.review('workplace.custom_integrations_reviewed', { item: 'int-9', by: 'ana', reason: 'read-only scopes, owned by IT' });
      expect(r).toMatchObject({ result: 'compliant', scoreEarned: 5 });
      expect(r.evidence.accounts[0].reviewed).toMatchObject({ by: 'ana', reason: 'read-only scopes, owned by IT' });
      await expect(svc.review('workplace.adopt_sso', { item: 'x', by: 'a', reason: 'b' })).rejects.toMatchObject({ code: 'RAMPART_ERR_API_BAD_REQUEST' });
    });
  });

  describe('regressions', () => {
    it('raise one informational alert posture:<check id> when a check regresses, not again while it stays so', async () => {
      await store.putDirectoryUsers([user({ id: 'adm', isAdmin: true }), user({ id: 'u1' })]);
      const svc = service();
      const first = await svc.recompute();
      expect(first.recommendations.find((r) => r.id === 'workplace.adopt_sso')!.result).toBe('compliant');
      expect(alerts).toEqual([]);

      await store.putDirectoryUsers([user({ id: 'u1', authMethod: 'password' })]);
      clock = new Date(Date.parse(NOW) + 3_600_000).toISOString();
      await svc.recompute();
      const sso = alerts.filter((a) => a.detection === 'posture:workplace.adopt_sso');
      expect(sso).toHaveLength(1);
      expect(sso[0]).toMatchObject({ severity: 'informational', app: 'workplace', tenant: 'c1', user: null, status: 'new' });
      expect(sso[0].details).toMatchObject({ check: 'workplace.adopt_sso', before: { result: 'compliant', score: 10 }, after: { result: 'not_compliant', score: 5 } });
      expect(sso[0].evidence.join('\n')).toMatch(/u1@acme.example: password/);

      clock = new Date(Date.parse(NOW) + 7_200_000).toISOString();
      await svc.recompute();
      // A new service over the same store remembers the last evaluation.
      await service().recompute();
      expect(alerts.filter((a) => a.detection === 'posture:workplace.adopt_sso')).toHaveLength(1);
      expect(metrics.get('rampart_posture_regressions_total')).toBe(alerts.length);
    });

    it('a further drop while not compliant is a regression; unknown is not; risk accepted raises nothing', async () => {
      await store.putDirectoryUsers([user({ id: 'a' }), user({ id: 'b' }), user({ id: 'c' }), user({ id: 'd', authMethod: 'password' })]);
      const svc = service();
      await svc.recompute();
      await store.putDirectoryUsers([user({ id: 'c', authMethod: 'password' })]);
      await svc.recompute();
      expect(alerts.filter((a) => a.detection === 'posture:workplace.adopt_sso')).toHaveLength(1);
      await svc.setStatus('workplace.adopt_sso', { status: 'risk_accepted', by: 'ana', reason: 'known' });
      await store.putDirectoryUsers([user({ id: 'b', authMethod: 'password' })]);
      await svc.recompute();
      expect(alerts.filter((a) => a.detection === 'posture:workplace.adopt_sso')).toHaveLength(1);
      await store.putDirectoryUsers(['a', 'b', 'c', 'd'].map((id) => user({ id, authMethod: null })));
      await svc.recompute();
      expect(alerts.filter((a) => a.detection === 'posture:workplace.adopt_sso')).toHaveLength(1);
    });
  });

  describe('failures', () => {
    it('a check that throws is unknown with RAMPART_ERR_POSTURE_CHECK_FAILED; the others are scored', async () => {
      await seed();
      const broken: PostureCheck = { ...adoptSso, id: 'workplace.broken', evaluate: async () => Promise.reject(new Error('boom')) };
      const svc = service({}, { workplace: [adoptSso, broken] });
      const report = await svc.recompute();
      const r = report.recommendations.find((x) => x.id === 'workplace.broken')!;
      expect(r.result).toBe('unknown');
      expect(r.evidence.notes[0]).toMatch(/RAMPART_ERR_POSTURE_CHECK_FAILED: posture check workplace.broken failed on workplace:c1: boom/);
      expect(report.recommendations.find((x) => x.id === 'workplace.adopt_sso')!.scoreEarned).toBe(5);
      expect(metrics.get('rampart_errors_total', { component: 'posture', stage: 'evaluate', error_type: 'exception' })).toBe(1);
    });
  });

  describe('snapshots', () => {
    it('keeps one snapshot per day (the last evaluation) for the trend, and deletes those past retention', async () => {
      await seed();
      const svc = service({ snapshotRetentionDays: 30 });
      await store.putDoc({ kind: DOC_KINDS.snapshot, id: '2026-01-01', body: { day: '2026-01-01' }, updatedAt: '2026-01-01T00:00:00.000Z' });
      clock = ago(2);
      await svc.recompute();
      clock = ago(1);
      await svc.recompute();
      await store.putDirectoryUsers([user({ id: 'u2' })]); // one more on SSO
      await svc.recompute();
      clock = NOW;
      const last = await svc.recompute();
      const trend = await svc.trend(7);
      expect(trend.map((s) => s.day)).toEqual([ago(2), ago(1), NOW].map((t) => t.slice(0, 10)));
      expect(trend[1].overall.earned).toBeGreaterThan(trend[0].overall.earned);
      expect(trend[2].overall).toEqual(last.overall);
      expect(trend[2].checks.find((c) => c.id === 'workplace.adopt_sso')).toMatchObject({ result: 'not_compliant', scoreEarned: 7.5 });
      expect(await store.getDoc(DOC_KINDS.snapshot, '2026-01-01')).toBeNull();
      expect(await svc.trend(1)).toHaveLength(1);
    });

    it('recomputes on the schedule', async () => {
      await seed();
      const svc = service({ intervalSecs: 1 });
      svc.start();
      for (let i = 0; i < 200 && (await store.listDocs(DOC_KINDS.snapshot)).length === 0; i++) await sleep(20);
      await svc.stop();
      expect((await store.listDocs(DOC_KINDS.snapshot)).length).toBe(1);
      expect(metrics.get('rampart_posture_evaluations_total')).toBeGreaterThanOrEqual(1);
    });
  });
});
