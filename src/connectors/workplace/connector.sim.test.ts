/**
 * The Workplace connector against the Workplace simulator, all over real HTTP on loopback:
 * webhook deliveries with faults, SCIM directory sync over > 1,000 users, and the Admin Center audit pull
 * (crash resume with no gap and no duplicate, throttling, fatal credentials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkplaceSimulator, type WorkplaceSimulator } from './simulator/index.ts';
import { AuditPuller } from './audit-pull.ts';
import { ConnectorStats } from './stats.ts';
import { DIRECTORY_ACTIONS } from './directory.ts';
import { allActivities, startHarness, tempStore, type Harness } from './test/harness.ts';
import { Metrics } from '../../core/metrics.ts';
import { silentLogger } from '../../core/logger.ts';
import pino from 'pino';
import { workplaceEventId } from './normalize.ts';

const FAST_RETRY = { maxRetries: 4, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 40 };

describe('webhook deliveries from the simulator', () => {
  let sim: WorkplaceSimulator;
  let h: Harness;
  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ seed: 7, users: 150 });
    h = await startHarness(
      { communityId: sim.org.communityId, appSecret: { env: 'S' }, verifyToken: { env: 'V' } },
      { env: { S: sim.appSecret, V: 'vt-123' } },
    );
  });
  afterAll(async () => {
    await h.close();
    await sim.close();
  });

  it('subscribes, then stores every acknowledged event exactly once despite duplicates, reordering and batching', async () => {
    await sim.webhooks.subscribe(`${h.url}/webhooks/workplace`, 'vt-123', { batchSize: 3, concurrency: 6 });
    sim.faults.random('webhook', 'duplicate', 0.3);
    sim.faults.next('webhook', 'out_of_order', 1);
    sim.faults.random('webhook', 'malformed', 0.05);
    const values = sim.generator.live(300).map((e) => e.value);
    const report = await sim.webhooks.deliver(values);
    expect(report.acked.length).toBe(report.sent);
    expect(report.duplicates).toBeGreaterThan(0);

    const stored = await allActivities(h.store);
    const ids = new Set(stored.map((a) => a.id));
    expect(ids.size).toBe(stored.length);
    for (const v of report.acked) {
      const id = workplaceEventId(sim.org.companyId, v.timestamp, v.event, v.actor_id ?? null, v.target_id ?? null);
      expect(ids.has(id), `${v.event} ${v.timestamp}`).toBe(true);
    }
    expect(stored.length).toBe(new Set(report.ackedKeys).size);
    expect(stored.every((a) => a.tenant === sim.org.companyId && a.source === 'webhook')).toBe(true);
    // The simulator's malformed (but correctly signed) bodies were refused with 400 and kept as rejects.
    if ((sim.faults.stats()['webhook:malformed'] ?? 0) > 0) {
      expect(h.metrics.get('rampart_webhook_rejects_total', { connector: 'workplace', reason: 'bad_json' })).toBeGreaterThan(0);
    }
    sim.faults.clear();
  });

  it('normalizes injected attack events: impersonation by an integration, failed logins', async () => {
    const before = await h.store.countActivities();
    const imp = await sim.inject('impersonation', { deliver: true });
    const stuffing = await sim.inject('credential_stuffing', { deliver: true });
    expect(imp.report?.unacked.length).toBe(0);
    expect(stuffing.report?.unacked.length).toBe(0);
    const stored = await allActivities(h.store);
    expect(stored.length).toBe(before + imp.values.length + stuffing.values.length);
    const impersonated = stored.filter((a) => a.impersonated);
    expect(impersonated.length).toBeGreaterThan(0);
    expect(impersonated[0].impersonator?.id).toBeTruthy();
    const failed = stored.filter((a) => a.action === 'USER_LOGIN_FAILED');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((a) => a.category === 'login' && a.outcome === 'failure')).toBe(true);
  });
});

describe('log lines of a running connector', () => {
  it('name the connector once, as rampart serve binds it (a repeated key is two fields to a strict JSON reader)', async () => {
    const sim = await startWorkplaceSimulator({ seed: 11, users: 20 });
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }).child({ connector: 'workplace' });
    const h = await startHarness(
      { communityId: sim.org.communityId, appSecret: { env: 'S' }, verifyToken: { env: 'V' }, accessToken: { env: 'T' }, graphBaseUrl: sim.graphUrl, scimBaseUrl: sim.scimUrl },
      { env: { S: sim.appSecret, V: 'vt-123', T: sim.accessToken }, logger },
    );
    try {
      await sim.webhooks.subscribe(`${h.url}/webhooks/workplace`, 'wrong-token').catch(() => undefined);
      await sim.webhooks.subscribe(`${h.url}/webhooks/workplace`, 'vt-123');
      for (let i = 0; i < 50 && !lines.some((l) => l.includes('directory synced')); i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      await h.close();
      await sim.close();
    }
    const messages = lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(messages).toEqual(expect.arrayContaining(['workplace connector started', 'webhook verification with a wrong verify token', 'webhook subscription verified', 'directory synced']));
    for (const l of lines) {
      expect(l.split('"connector":').length - 1, l).toBe(1);
      expect((JSON.parse(l) as { connector: string }).connector).toBe('workplace');
    }
  });
});

describe('directory sync against the simulator', () => {
  let sim: WorkplaceSimulator;
  let h: Harness;
  let attempts = 0;
  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ seed: 11, users: 1_150 });
    h = await startHarness(
      { communityId: sim.org.communityId, accessToken: { env: 'T' }, graphBaseUrl: sim.graphUrl, scimBaseUrl: sim.scimUrl, directorySyncIntervalSecs: 0 },
      { env: { T: sim.accessToken }, retry: FAST_RETRY, onApiAttempt: () => attempts++ },
    );
  });
  afterAll(async () => {
    await h.close();
    await sim.close();
  });

  it('pages SCIM over > 1,000 users and reflects a deactivation and a reactivation within one sync each', async () => {
    const first = await h.connector.syncDirectory();
    expect(first.users).toBe(sim.org.users.length);
    expect(first.users).toBeGreaterThan(1_000);
    const users = await h.store.listDirectoryUsers('workplace');
    expect(users.length).toBe(sim.org.users.length);
    expect(users.filter((u) => u.isAdmin).map((u) => u.id).sort()).toEqual(sim.org.admins.map((a) => a.id).sort());
    expect(first.changes).toBe(0);

    const victim = sim.org.users.find((u) => u.active && !sim.org.admins.includes(u))!;
    sim.setUserActive(victim.id, false);
    sim.faults.next('scim', '5xx', 1); // a transient failure mid-paging is retried
    const second = await h.connector.syncDirectory();
    expect(second.changes).toBe(1);
    const after = await h.store.getDirectoryUser('workplace', victim.id);
    expect(after?.active).toBe(false);
    // deactivatedAt is the real time from /community/former_members, not the sync time
    expect(after?.deactivatedAt).toBe(new Date(Math.floor(sim.userById(victim.id)!.deactivateTime! / 1000) * 1000).toISOString());
    let acts = (await allActivities(h.store)).filter((a) => a.source === 'directory');
    expect(acts.map((a) => [a.action, a.target?.id])).toEqual([[DIRECTORY_ACTIONS.deactivated, victim.id]]);

    sim.setUserActive(victim.id, true);
    await h.connector.syncDirectory();
    expect((await h.store.getDirectoryUser('workplace', victim.id))?.active).toBe(true);
    acts = (await allActivities(h.store)).filter((a) => a.source === 'directory');
    expect(acts.map((a) => a.action).sort()).toEqual([DIRECTORY_ACTIONS.deactivated, DIRECTORY_ACTIONS.reactivated].sort());
    expect(h.connector.health().checkpoint.directory_synced_at).toBeTruthy();
  });

  it('reports a user deleted from SCIM as removed (confirmed by a direct lookup), and keeps it inactive', async () => {
    const unclaimed = sim.org.users.find((u) => u.active && !u.claimed && !sim.org.admins.includes(u));
    if (!unclaimed) {
      console.warn('skipped: the seeded org has no unclaimed active user');
      return;
    }
    await h.connector.syncDirectory(); // the user is known...
    expect((await h.store.getDirectoryUser('workplace', unclaimed.id))?.active).toBe(true);
    const scim = await fetch(`${sim.scimUrl}/Users/${unclaimed.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${sim.accessToken}` } });
    expect(scim.status).toBeLessThan(300);
    const lookups = () => sim.requests.filter((r) => r.path === `/scim/Users/${unclaimed.id}` && r.method === 'GET').length;
    const before = lookups();
    await h.connector.syncDirectory();
    expect(lookups() - before).toBe(1);
    const gone = await h.store.getDirectoryUser('workplace', unclaimed.id);
    expect(gone?.active).toBe(false);
    const removed = (await allActivities(h.store)).filter((a) => a.action === DIRECTORY_ACTIONS.removed);
    expect(removed.map((a) => a.target?.id)).toEqual([unclaimed.id]);
    // the next sync neither looks it up again nor reports it twice
    await h.connector.syncDirectory();
    expect(lookups() - before).toBe(1);
    expect((await allActivities(h.store)).filter((a) => a.action === DIRECTORY_ACTIONS.removed).length).toBe(1);
  });

  it('stops with RAMPART_ERR_CONN_AUTH_FAILED on a bad token (code 190) after a bounded number of requests', async () => {
    const bad = await startHarness(
      { accessToken: { env: 'T' }, graphBaseUrl: sim.graphUrl, scimBaseUrl: sim.scimUrl, directorySyncIntervalSecs: 1 },
      { env: { T: 'DQVnot-a-valid-token' }, retry: FAST_RETRY, onApiAttempt: () => attempts++ },
    );
    try {
      const start = attempts;
      await expect(bad.connector.syncDirectory()).rejects.toMatchObject({ code: 'RAMPART_ERR_CONN_AUTH_FAILED' });
      // the scheduled loop must not keep hammering: wait past one interval and count
      await new Promise((r) => setTimeout(r, 1_500));
      expect(attempts - start).toBeLessThanOrEqual(4);
      const health = bad.connector.health();
      expect(health.status).toBe('failed');
      expect(health.message).toContain('the API rejected the credentials');
      expect(health.errorsByKind.auth).toBeGreaterThan(0);
    } finally {
      await bad.close();
    }
  });
});

describe('Admin Center audit pull against the simulator', () => {
  let sim: WorkplaceSimulator;
  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ seed: 23, users: 120 });
    sim.generator.live(1_000);
  });
  afterAll(async () => {
    await sim.close();
  });

  const pullConfig = (extra: Record<string, unknown> = {}) => ({
    communityId: sim.org.communityId,
    pull: { enabled: true, baseUrl: sim.auditUrl, appId: sim.auditClientId, clientSecret: { env: 'CS' }, pageSize: 50, intervalSecs: 3600, ...extra },
  });

  it('resumes after a crash with no gap and no duplicate (a test that counts)', async () => {
    const { store, dispose } = await tempStore();
    try {
      const total = sim.events.length;
      expect(total).toBeGreaterThanOrEqual(1_000);
      let committedA = 0;
      let calls = 0;
      // Instance A "crashes" while committing its 5th page: that page is not written (nor its checkpoint).
      const a = await startHarness(pullConfig(), {
        store,
        env: { CS: sim.auditClientSecret },
        retry: FAST_RETRY,
        schedulePull: false,
        ingest: async (acts, cp) => {
          if (++calls === 5) throw new Error('process killed');
          const r = await store.putActivities(acts, cp);
          committedA += r.inserted;
          return r;
        },
      });
      await expect(a.connector.puller!.pullOnce()).rejects.toThrow('process killed');
      await a.close();
      expect(committedA).toBe(4 * 50);
      expect(await store.countActivities()).toBe(committedA);

      // Instance B starts from the stored checkpoint and reads the rest.
      let dupB = 0;
      let insertedB = 0;
      const b = await startHarness(pullConfig(), {
        store,
        env: { CS: sim.auditClientSecret },
        retry: FAST_RETRY,
        schedulePull: false,
        ingest: async (acts, cp) => {
          const r = await store.putActivities(acts, cp);
          dupB += r.duplicates;
          insertedB += r.inserted;
          return r;
        },
      });
      const result = await b.connector.puller!.pullOnce();
      await b.close();
      expect(dupB).toBe(0); // B never re-read a committed record
      expect(result.events).toBe(total - committedA); // ...and skipped none
      expect(committedA + insertedB).toBe(total);
      const stored = await allActivities(store);
      expect(stored.length).toBe(total);
      const rawIds = new Set(stored.map((x) => (x.raw as { id: string }).id));
      expect(rawIds.size).toBe(total);
      expect(stored.every((x) => x.source === 'pull')).toBe(true);
      expect(stored.filter((x) => x.category === 'login').length).toBeGreaterThan(0);

      // New events later are picked up from the same checkpoint.
      sim.generator.live(30);
      const c = await startHarness(pullConfig(), { store, env: { CS: sim.auditClientSecret }, retry: FAST_RETRY, schedulePull: false });
      const more = await c.connector.puller!.pullOnce();
      await c.close();
      expect(more.events).toBe(sim.events.length - total);
      expect(await store.countActivities()).toBe(sim.events.length);
    } finally {
      await dispose();
    }
  });

  it('backs off on throttling (codes 17/613, HTTP 429), 5xx, dropped connections and bad JSON, and recovers', async () => {
    const { store, dispose } = await tempStore();
    try {
      const metrics = new Metrics();
      const stats = new ConnectorStats();
      const puller = new AuditPuller({
        baseUrl: sim.auditUrl,
        appId: sim.auditClientId,
        clientSecret: sim.auditClientSecret,
        tenant: sim.org.communityId,
        pageSize: 200,
        intervalSecs: 3600,
        lookbackSecs: 86_400,
        store,
        ingest: (acts, cp) => store.putActivities(acts, cp),
        logger: silentLogger(),
        metrics,
        stats,
        retry: { maxRetries: 6, baseDelayMs: 5, maxDelayMs: 40, maxRetryAfterMs: 40 },
      });
      sim.faults.next('audit', 'throttle', 1, { code: 17, path: 'security_audit_logs' });
      sim.faults.next('audit', '429', 1, { path: 'security_audit_logs' });
      sim.faults.next('audit', 'throttle', 1, { code: 613, path: 'security_audit_logs' });
      sim.faults.next('audit', 'drop', 1, { path: 'security_audit_logs' });
      sim.faults.next('audit', '5xx', 1, { path: 'security_audit_logs', status: 503 });
      sim.faults.next('audit', 'malformed', 1, { path: 'security_audit_logs' });
      const r = await puller.pullOnce();
      await puller.stop();
      expect(r.events).toBe(sim.events.length);
      expect(await store.countActivities()).toBe(sim.events.length);
      expect(stats.errorsByKind.throttled).toBe(3);
      expect((stats.errorsByKind.upstream ?? 0) + (stats.errorsByKind.network ?? 0) + (stats.errorsByKind.bad_response ?? 0)).toBe(3);
      expect(metrics.total('rampart_connector_retries_total')).toBe(6);
    } finally {
      await dispose();
    }
  });

  it('a throttled poll that exhausts its retries leaves the puller degraded, then it recovers on the next poll', async () => {
    const { store, dispose } = await tempStore();
    try {
      const h = await startHarness(pullConfig({ intervalSecs: 1 }), {
        store,
        env: { CS: sim.auditClientSecret },
        retry: { maxRetries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 20 },
      });
      sim.faults.next('audit', 'throttle', 2, { code: 4, path: 'security_audit_logs' });
      // wait for the background loop: first poll fails (2 throttles > 1 retry), a later one succeeds
      for (let i = 0; i < 100 && (await store.countActivities()) < sim.events.length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await store.countActivities()).toBe(sim.events.length);
      expect(h.connector.health().errorsByKind.throttled).toBeGreaterThanOrEqual(2);
      expect(h.connector.puller!.status).toBe('ok');
      await h.close();
    } finally {
      await dispose();
    }
  });

  it('marks the connector failed on rejected credentials and makes no further requests (no busy loop)', async () => {
    const { store, dispose } = await tempStore();
    try {
      const before = sim.requests.filter((r) => r.surface === 'audit').length;
      const h = await startHarness(pullConfig({ intervalSecs: 1 }), { store, env: { CS: 'wrong-secret' }, retry: FAST_RETRY });
      await new Promise((r) => setTimeout(r, 1_500));
      const health = h.connector.health();
      expect(health.status).toBe('failed');
      expect(health.message).toContain('the API rejected the credentials');
      const made = sim.requests.filter((r) => r.surface === 'audit').length - before;
      expect(made).toBeGreaterThan(0);
      expect(made).toBeLessThanOrEqual(2);
      await h.close();
    } finally {
      await dispose();
    }
  });

  it('code 190 on a data call (token revoked): exactly one fresh exchange, then it continues; code 10 fails it', async () => {
    const { store, dispose } = await tempStore();
    try {
      const h = await startHarness(pullConfig(), { store, env: { CS: sim.auditClientSecret }, retry: FAST_RETRY, schedulePull: false });
      const puller = h.connector.puller!;
      await puller.pullOnce({ maxPages: 1 });
      const exchanges = () => sim.requests.filter((r) => r.path.endsWith('work_get_token')).length;
      const before = exchanges();
      for (const t of sim.tokens.all('audit')) sim.tokens.revoke(t.token);
      await puller.pullOnce();
      expect(exchanges() - before).toBe(1);
      expect(await store.countActivities()).toBe(sim.events.length);

      sim.auditPermissions.delete('Read security audit logs');
      try {
        sim.generator.live(5);
        const auditBefore = sim.requests.filter((r) => r.surface === 'audit').length;
        await expect(puller.pullOnce()).rejects.toMatchObject({ code: 'RAMPART_ERR_CONN_PERMISSION_DENIED' });
        expect(sim.requests.filter((r) => r.surface === 'audit').length - auditBefore).toBe(1); // not retried
      } finally {
        sim.auditPermissions.add('Read security audit logs');
      }
      await h.close();
    } finally {
      await dispose();
    }
  });
});
