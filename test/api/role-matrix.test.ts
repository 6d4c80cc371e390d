/**
 * THE ROLE MATRIX: walks every operation of the served OpenAPI document with each role (admin, analyst,
 * viewer sessions), with API tokens of each role, and with no credentials, and checks allow/deny against the
 * operation's declared `x-rampart-access`. Allowed means "not refused by the guard" (401/403); the request
 * itself may still be a 400/404/503 because the matrix sends placeholder ids and empty bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernanceConfigSchema } from '../../src/actions/config.ts';
import { GovernanceService } from '../../src/actions/governance.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { startHarness, type Harness, type Session } from './harness.ts';

const RANK = { viewer: 0, analyst: 1, admin: 2 } as const;
type Role = keyof typeof RANK;
/** The only operations anyone may call without credentials (documented in docs/api.md). */
const PUBLIC = ['POST /api/auth/login', 'GET /api/openapi.json', 'GET /api/docs', 'GET /api/docs/app.js', 'GET /api/docs/style.css'];

let h: Harness;
let gov: GovernanceService;
let ops: Array<{ method: string; path: string; access: string; key: string; stream: boolean }>;
const sessions: Partial<Record<Role, Session>> = {};
const tokens: Partial<Record<Role, string>> = {};

const placeholder = (name: string): string => (name === 'email' ? 'nobody@matrix.example' : name === 'pivot' ? 'user' : `matrix-${name}`);

beforeAll(async () => {
  h = await startHarness();
  // A real governance service (dry run: it plans and logs, acts on nothing), so /api/actions answers for real.
  gov = new GovernanceService({ config: GovernanceConfigSchema.parse({ dryRun: true }), store: h.service.store, logger: silentLogger(), metrics: new Metrics() });
  h.service.api.setGovernance(gov);
  for (const role of ['admin', 'analyst', 'viewer'] as const) sessions[role] = await h.account(`${role}@matrix.example`, role);
  for (const role of ['admin', 'analyst', 'viewer'] as const) {
    const r = await h.call('POST', '/api/tokens', { session: sessions.admin, body: { name: `matrix-${role}`, role } });
    expect(r.status).toBe(201);
    tokens[role] = r.body.token;
  }
  const doc = (await h.call('GET', '/api/openapi.json')).body;
  ops = [];
  for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(methods)) {
      const concrete = path.replace(/\{([^}]+)\}/g, (_m, n: string) => encodeURIComponent(placeholder(n)));
      ops.push({ method: method.toUpperCase(), path: concrete, access: op['x-rampart-access'], key: `${method.toUpperCase()} ${path}`, stream: Boolean(op.responses['200']?.content?.['text/event-stream']) });
    }
  }
  // Sign-out ends the session it is called with: walk it last.
  ops.sort((a, b) => Number(a.key === 'POST /api/auth/logout') - Number(b.key === 'POST /api/auth/logout'));
});
afterAll(async () => {
  await gov?.close();
  await h?.close();
});

async function request(op: (typeof ops)[number], auth: { session?: Session; token?: string }): Promise<number> {
  const headers: Record<string, string> = {};
  if (auth.session) {
    headers.cookie = auth.session.cookie;
    headers['x-csrf-token'] = auth.session.csrf;
  }
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  if (hasBody) headers['content-type'] = 'application/json';
  const ac = new AbortController();
  const res = await fetch(h.url + op.path, { method: op.method, headers, body: hasBody ? '{}' : undefined, signal: ac.signal });
  if (op.stream) ac.abort();
  else await res.arrayBuffer();
  return res.status;
}

describe('role matrix over every operation of /api/openapi.json', () => {
  it('every operation declares its access, and the public ones are exactly the documented few', () => {
    expect(ops.length).toBeGreaterThan(40);
    for (const op of ops) expect(['public', 'viewer', 'analyst', 'admin'], op.key).toContain(op.access);
    expect(ops.filter((o) => o.access === 'public').map((o) => o.key).sort()).toEqual([...PUBLIC].sort());
  });

  it('without credentials: 401 on every non-public operation, never 2xx', async () => {
    for (const op of ops) {
      const status = await request(op, {});
      if (op.access === 'public') expect([401, 403], op.key).not.toContain(status);
      else expect(status, op.key).toBe(401);
    }
  });

  for (const kind of ['session', 'token'] as const) {
    for (const role of ['viewer', 'analyst', 'admin'] as const) {
      it(`${role} ${kind}: allowed exactly where the declared role is ${role} or below`, async () => {
        const results: string[] = [];
        for (const op of ops) {
          if (kind === 'session' && op.key === 'POST /api/auth/logout') continue; // checked below
          const status = await request(op, kind === 'session' ? { session: sessions[role] } : { token: tokens[role] });
          const allowed = op.access === 'public' || RANK[role] >= RANK[op.access as Role];
          const refused = status === 401 || status === 403;
          if (allowed === refused) results.push(`${op.key}: ${status} (${allowed ? 'should be allowed' : 'should be refused'})`);
          if (!allowed) expect(status, op.key).toBe(403);
          // Placeholder input may be refused by validation or lookup, never crash the server.
          expect(status, op.key).toBeLessThan(500);
          // Reads without parameters succeed outright for an allowed caller.
          if (allowed && op.method === 'GET' && !op.key.includes('{')) expect(status, op.key).toBe(200);
        }
        expect(results).toEqual([]);
      });
    }
  }

  it('sign-out is allowed for every role and ends the session', async () => {
    const op = ops.find((o) => o.key === 'POST /api/auth/logout')!;
    for (const role of ['viewer', 'analyst', 'admin'] as const) {
      expect(await request(op, { session: sessions[role] })).toBe(200);
      expect((await h.call('GET', '/api/auth/me', { session: sessions[role] })).status).toBe(401);
    }
  });
});
