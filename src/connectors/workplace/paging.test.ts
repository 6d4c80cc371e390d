/**
 * Paging against APIs that misbehave (loopback servers, not the simulator): a `next` link that cycles, an
 * inflated SCIM totalResults with empty pages, a server that ignores startIndex, and an audit record nested too
 * deep to store. Each must end, store what is good, and keep the rest as rejects.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditPuller } from './audit-pull.ts';
import { WorkplaceClient } from './client.ts';
import { fetchScimUsers } from './directory.ts';
import { ConnectorStats } from './stats.ts';
import { Metrics } from '../../core/metrics.ts';
import { silentLogger } from '../../core/logger.ts';
import { tempStore } from './test/harness.ts';

const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, url: URL) => unknown): Promise<{ url: string; requests: () => number }> {
  let n = 0;
  const s = createServer((req: IncomingMessage, res: ServerResponse) => {
    n++;
    const body = handler(req, new URL(req.url ?? '/', 'http://x'));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, requests: () => n };
}
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

const record = (id: string, extra = '') => `{"id":"${id}","event":"USER_LOGIN","creation_time":"2026-03-01T09:00:00+0000","actor_id":"1","ip_address":"203.0.113.7"${extra}}`;

function puller(url: string, store: Awaited<ReturnType<typeof tempStore>>['store'], metrics = new Metrics()) {
  return new AuditPuller({
    baseUrl: url,
    appId: 'app',
    clientSecret: 'secret',
    tenant: 'acme',
    pageSize: 2,
    intervalSecs: 3600,
    lookbackSecs: 86_400,
    store,
    ingest: (acts, cp) => store.putActivities(acts, cp),
    logger: silentLogger(),
    metrics,
    stats: new ConnectorStats(),
    retry: { maxRetries: 0 },
  });
}

describe('paging that would not end', () => {
  it('audit pull: a next link already followed in this poll ends the poll (it looped for ever, one ingest per page)', async () => {
    let base = '';
    const api = await serve((_req, url) => {
      if (url.pathname.endsWith('work_get_token')) return { access_token: 'tok', expires_in: 3600 };
      return `{"data":[${record('a1')}],"paging":{"next":"${base}/again","cursors":{"after":"c1"}}}`;
    });
    base = api.url;
    const { store, dispose } = await tempStore();
    try {
      const metrics = new Metrics();
      const r = await puller(api.url, store, metrics).pullOnce();
      expect(r.pages).toBe(2); // the first page, then the link, then the same link again: stop
      expect(api.requests()).toBeLessThanOrEqual(4); // token + 3 pages at most
      expect(await store.countActivities()).toBe(1);
      expect(metrics.get('rampart_connector_paging_stops_total', { connector: 'workplace', component: 'audit_pull', reason: 'cycle' })).toBe(1);
    } finally {
      await dispose();
    }
  });

  it('audit pull: a record nested too deep is kept as a reject, the rest of its page is stored and the checkpoint moves', async () => {
    const deep = `,"nested":${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const api = await serve((_req, url) => {
      if (url.pathname.endsWith('work_get_token')) return { access_token: 'tok', expires_in: 3600 };
      return `{"data":[${record('bad-1', deep)},${record('ok-1')}],"paging":{"cursors":{"after":"c9"}}}`;
    });
    const { store, dispose } = await tempStore();
    try {
      const r = await puller(api.url, store).pullOnce();
      expect(r.events).toBe(1);
      expect(await store.countActivities()).toBe(1);
      expect((await store.listRejects()).items.map((x) => x.reason)).toEqual(['audit record nested deeper than 64 levels']);
      expect(JSON.parse((await store.getCheckpoint('workplace', 'audit_cursor'))!).after).toBe('c9');
    } finally {
      await dispose();
    }
  });

  it('SCIM: an inflated totalResults with empty pages, or a server ignoring startIndex, ends the listing', async () => {
    const empty = await serve(() => ({ totalResults: 1e12, itemsPerPage: 100, startIndex: 1, Resources: [] }));
    expect(await fetchScimUsers(new WorkplaceClient(empty.url), 100)).toEqual([]);
    expect(empty.requests()).toBe(1);
    const stuck = await serve(() => ({ totalResults: 1e12, itemsPerPage: 2, startIndex: 1, Resources: [{ id: 'u1', userName: 'a@x' }, { id: 'u2', userName: 'b@x' }] }));
    const users = await fetchScimUsers(new WorkplaceClient(stuck.url), 2);
    expect(stuck.requests()).toBe(2); // the second page added no user not seen: the end
    expect(new Set(users.map((u) => u.id))).toEqual(new Set(['u1', 'u2']));
  });
});
