// The API on a real PostgreSQL store (own random schema, dropped afterwards): accounts, sessions, tokens, audit,
// alert triage with history and suppressions all live in Store documents, so they must work on both drivers.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/api/server.ts';
import { registerApi, type Api } from '../../src/api/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/logger.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { Pipeline } from '../../src/core/pipeline.ts';
import { buildEngine, buildEnricher } from '../../src/main.ts';
import { PostgresStore } from '../../src/store/postgres/index.ts';
import { alert } from './fixtures.ts';

const url = process.env.RAMPART_TEST_PG_URL;
if (!url) console.warn('API on PostgreSQL skipped: set RAMPART_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run it');

describe.skipIf(!url)('API on PostgreSQL', () => {
  let store: PostgresStore;
  let api: Api;
  let base = '';
  let close: () => Promise<void>;
  const printed: string[] = [];

  beforeAll(async () => {
    store = new PostgresStore({ url: url!, schema: `rampart_api_${randomBytes(6).toString('hex')}`, poolSize: 3 });
    await store.migrate();
    const config = parseConfig('demo: { enabled: false }\nlog: { level: silent }');
    const logger = createLogger({ level: 'silent' });
    const metrics = new Metrics();
    const enricher = await buildEnricher(config, store);
    const { engine } = buildEngine(config);
    const pipeline = new Pipeline({ store, enricher, engine, logger, metrics });
    const http = createHttpServer({ config, logger, metrics, ready: () => true });
    api = registerApi(http, { store, enricher, engine, pipeline, connectors: [], config, logger, metrics, printOnce: (t) => printed.push(t), scryptCost: 2 ** 12 });
    await api.bootstrap();
    await http.listen({ port: 0, host: '127.0.0.1' });
    const addr = http.server.address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
    close = async () => {
      api.close();
      await http.close();
    };
  });
  afterAll(async () => {
    await close?.();
    await store?.dropSchema();
    await store?.close();
  });

  it('signs in, triages with history and a suppression, issues and revokes a token, audits it all', async () => {
    const password = /password: (\S+)/.exec(printed.join(''))![1];
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
    const changed = await fetch(`${base}/api/auth/password`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: JSON.stringify({ currentPassword: password, newPassword: 'postgres boss passphrase' }) });
    expect(changed.status).toBe(200);
    const call = async (method: string, path: string, body?: unknown, auth: Record<string, string> = { cookie, 'x-csrf-token': csrf }) => {
      const r = await fetch(base + path, { method, headers: { ...auth, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: r.status, body: (await r.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };
    const a = alert({ ips: ['192.0.2.5'] });
    await store.putAlert(a);
    const u = await call('PATCH', `/api/alerts/${a.id}`, { classification: 'false_positive', reason: 'not_of_interest', suppress: ['user', 'ip'] });
    expect(u.status).toBe(200);
    expect((await call('GET', `/api/alerts/${a.id}/history`)).body.items).toHaveLength(1);
    expect((await call('GET', '/api/suppressions')).body.items).toHaveLength(1);
    const t = await call('POST', '/api/tokens', { name: 'pg', role: 'viewer' });
    expect(t.status).toBe(201);
    expect((await call('GET', '/api/alerts', undefined, { authorization: `Bearer ${t.body.token}` })).status).toBe(200);
    await call('DELETE', `/api/tokens/${t.body.info.id}`);
    expect((await call('GET', '/api/alerts', undefined, { authorization: `Bearer ${t.body.token}` })).status).toBe(401);
    const audit = await call('GET', '/api/audit');
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(['auth.login', 'alert.update', 'token.create', 'token.revoke']));
  });
});
