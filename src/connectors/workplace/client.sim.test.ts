/** client.ts against the simulator: appsecret_proof, error envelopes, response actions, token refresh. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkplaceSimulator, type WorkplaceSimulator } from './simulator/index.ts';
import { WorkplaceClient, backoffDelayMs, logoutUser, setUserActiveScim, setUserActiveGraph } from './client.ts';
import { AuditPuller } from './audit-pull.ts';
import { ConnectorStats } from './stats.ts';
import { Metrics } from '../../core/metrics.ts';
import { silentLogger } from '../../core/logger.ts';
import { tempStore } from './test/harness.ts';

const FAST = { maxRetries: 2, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 20 };

describe('Workplace HTTP client against the simulator', () => {
  let sim: WorkplaceSimulator;
  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ seed: 31, users: 40, requireAppsecretProof: true, auditTokenTtlSecs: 2 });
  });
  afterAll(async () => sim.close());

  it('sends appsecret_proof when configured; without it the API refuses the call', async () => {
    const withProof = new WorkplaceClient(sim.graphUrl, { token: () => sim.accessToken, appSecretForProof: sim.appSecret, retry: FAST });
    const res = await withProof.get<{ data: unknown[] }>('community/admins', { query: { fields: 'id' } });
    expect(res.body.data.length).toBe(sim.org.admins.length);
    const without = new WorkplaceClient(sim.graphUrl, { token: () => sim.accessToken, retry: FAST });
    await expect(without.get('community/admins')).rejects.toMatchObject({ code: expect.stringMatching(/^RAMPART_ERR_CONN_/), retryable: false });
    await withProof.close();
    await without.close();
  });

  it('maps a bad token (190) to RAMPART_ERR_CONN_AUTH_FAILED without retrying', async () => {
    let attempts = 0;
    const c = new WorkplaceClient(sim.graphUrl, { token: () => 'DQVbogus', appSecretForProof: sim.appSecret, retry: FAST, onAttempt: () => attempts++ });
    await expect(c.get('community')).rejects.toMatchObject({ code: 'RAMPART_ERR_CONN_AUTH_FAILED', graphCode: 190, kind: 'auth' });
    expect(attempts).toBe(1);
    await c.close();
  });

  it('performs the response actions: logout of all devices, SCIM suspend, Graph reactivate', async () => {
    const graph = new WorkplaceClient(sim.graphUrl, { token: () => sim.accessToken, appSecretForProof: sim.appSecret, retry: FAST });
    const scim = new WorkplaceClient(sim.scimUrl, { token: () => sim.accessToken, appSecretForProof: sim.appSecret, retry: FAST });
    const user = sim.org.users.find((u) => u.active && u.claimed && !sim.org.admins.includes(u))!;
    await logoutUser(graph, user.id);
    expect(sim.loggedOut(user.id)).toBe(1);
    await setUserActiveScim(scim, user.id, false);
    expect(sim.userById(user.id)?.active).toBe(false);
    await setUserActiveGraph(graph, user.id, true);
    expect(sim.userById(user.id)?.active).toBe(true);
    await graph.close();
    await scim.close();
  });

  it('refreshes the Admin Center token before it expires (no 190 on the way)', async () => {
    const { store, dispose } = await tempStore();
    try {
      const stats = new ConnectorStats();
      const puller = new AuditPuller({
        baseUrl: sim.auditUrl, appId: sim.auditClientId, clientSecret: sim.auditClientSecret, tenant: 't', pageSize: 100, intervalSecs: 3600,
        lookbackSecs: 86_400, store, ingest: (a, cp) => store.putActivities(a, cp), logger: silentLogger(), metrics: new Metrics(), stats, retry: FAST,
      });
      const exchanges = () => sim.requests.filter((r) => r.path.endsWith('work_get_token')).length;
      const e0 = exchanges();
      await puller.pullOnce();
      await puller.pullOnce(); // within the token's first half-life: no new exchange
      expect(exchanges() - e0).toBe(1);
      await new Promise((r) => setTimeout(r, 1_100)); // past refresh time (half of a 2 s token), before expiry
      sim.generator.live(3);
      await puller.pullOnce();
      expect(exchanges() - e0).toBe(2);
      expect(stats.errorsByKind.auth).toBeUndefined();
      await puller.stop();
    } finally {
      await dispose();
    }
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter, capped, and honours server hints', () => {
    const p = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };
    expect(backoffDelayMs(0, p, null, () => 0.999)).toBeLessThanOrEqual(100);
    expect(backoffDelayMs(3, p, null, () => 0.999)).toBeGreaterThan(700);
    expect(backoffDelayMs(10, p, null, () => 0.999)).toBeLessThanOrEqual(1_000);
    expect(backoffDelayMs(0, p, null, () => 0.5)).not.toBe(backoffDelayMs(0, p, null, () => 0.1)); // jitter
    expect(backoffDelayMs(0, p, 30_000, () => 0)).toBe(5_000); // Retry-After honoured up to the cap
    expect(backoffDelayMs(0, p, 2_000, () => 0)).toBe(2_000);
  });
});

describe('hostile API answers (loopback servers that misbehave)', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  const servers: Server[] = [];
  const serve = async (handler: Handler): Promise<{ url: string; hits: IncomingMessage[] }> => {
    const hits: IncomingMessage[] = [];
    const s = createServer((req, res) => {
      hits.push(req);
      handler(req, res);
    });
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, hits };
  };
  afterAll(async () => {
    for (const s of servers) s.closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });

  it('never sends the token to another host, however the paging URL is spelled', async () => {
    const evil = await serve((_req, res) => res.end('{}'));
    const evilHost = evil.url.slice('http://'.length);
    const client = new WorkplaceClient('http://127.0.0.1:1/graph', { token: () => 'SECRET-TOKEN', retry: { maxRetries: 0 } });
    for (const next of [`${evil.url}/steal`, `///${evilHost}/steal`, `\\\\${evilHost}/steal`, ` ${evil.url}/steal`, `\t${evil.url}/steal`, `//${evilHost}/steal`]) {
      expect(() => client.url(next), JSON.stringify(next)).toThrow(/foreign origin|does not parse/);
      await expect(client.get(next)).rejects.toMatchObject({ code: 'RAMPART_ERR_CONN_UPSTREAM' });
    }
    // Against an https base, `http:host` is an absolute URL on another origin (and cleartext).
    expect(() => new WorkplaceClient('https://127.0.0.1:1/graph').url(`http:${evilHost}/steal`)).toThrow(/foreign origin/);
    expect(evil.hits).toHaveLength(0);
    expect(client.url('/community/members').href).toBe('http://127.0.0.1:1/graph/community/members');
    expect(client.url('http://127.0.0.1:1/graph/x?after=1').href).toBe('http://127.0.0.1:1/graph/x?after=1');
  });

  it('bounds the answer: a body past maxResponseBytes is refused, a trickled body ends at timeoutMs', async () => {
    const huge = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"data":"${'x'.repeat(2 * 1024 * 1024)}"}`);
    });
    const client = new WorkplaceClient(huge.url, { maxResponseBytes: 1024 * 1024, retry: { maxRetries: 0 } });
    await expect(client.get('/x')).rejects.toMatchObject({ code: 'RAMPART_ERR_CONN_UPSTREAM', message: expect.stringContaining('larger than 1048576 bytes') });
    const trickle = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const t = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(t));
    });
    const slow = new WorkplaceClient(trickle.url, { timeoutMs: 500, retry: { maxRetries: 0 } });
    await expect(slow.get('/x')).rejects.toMatchObject({ code: 'RAMPART_ERR_CONN_UPSTREAM', message: expect.stringContaining('no complete answer within 500 ms') });
  });
});
