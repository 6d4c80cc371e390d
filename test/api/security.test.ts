import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/logger.ts';
import { startService } from '../../src/main.ts';
import { registerRoutes, route } from '../../src/api/route.ts';
import { installGuard } from '../../src/api/auth/guard.ts';
import { AccountService } from '../../src/api/auth/accounts.ts';
import { AuditLog } from '../../src/api/audit.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { PASSWORD, startHarness, type Harness, type Session } from './harness.ts';

let h: Harness;
let admin: Session;
beforeAll(async () => {
  h = await startHarness();
  admin = await h.login('admin@localhost', h.adminPassword);
});
afterAll(async () => h?.close());

describe('first start', () => {
  it('prints a one-time password once and stores only its scrypt hash', async () => {
    expect(h.printed).toHaveLength(1);
    expect(h.printed[0]).toContain('admin@localhost');
    expect(h.bootstrapPassword).toMatch(/^\S{20,}$/);
    const doc = await h.service.store.getDoc<{ passwordHash: string; mustChangePassword: boolean }>('api_account', 'admin@localhost');
    expect(doc!.body.passwordHash).toMatch(/^scrypt\$\d+\$8\$1\$/);
    expect(JSON.stringify(doc)).not.toContain(h.bootstrapPassword);
    // The harness replaced it at first sign-in: it no longer opens anything.
    expect(doc!.body.mustChangePassword).toBe(false);
    expect((await h.call('POST', '/api/auth/login', { body: { email: 'admin@localhost', password: h.bootstrapPassword } })).status).toBe(401);
  });

  it('a one-time password opens only me, sign-out and the password change', async () => {
    const created = await h.call('POST', '/api/accounts', { session: admin, body: { email: 'newbie@acme.example', role: 'analyst' } });
    expect(created.status).toBe(201);
    const oneTime = created.body.password as string;
    expect(oneTime).toMatch(/^\S{20,}$/);
    expect(created.body.account.mustChangePassword).toBe(true);
    const s = await h.login('newbie@acme.example', oneTime);
    const me = await h.call('GET', '/api/auth/me', { session: s });
    expect(me.body).toMatchObject({ id: 'newbie@acme.example', mustChangePassword: true });
    const blocked = await h.call('GET', '/api/alerts', { session: s });
    expect(blocked.status).toBe(403);
    expect(blocked.body.code).toBe('RAMPART_ERR_API_PASSWORD_CHANGE_REQUIRED');
    expect((await h.call('POST', '/api/auth/password', { session: s, body: { currentPassword: oneTime, newPassword: 'my own passphrase here' } })).status).toBe(200);
    expect((await h.call('GET', '/api/alerts', { session: s })).status).toBe(200);
    expect((await h.call('GET', '/api/auth/me', { session: s })).body.mustChangePassword).toBe(false);
  });

  it('prints nothing at the next start on the same store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-api-boot-'));
    const config = parseConfig(`store: { driver: sqlite, path: ${JSON.stringify(join(dir, 'r.db'))} }\ndemo: { enabled: false }\nlog: { level: silent }`);
    const printed: string[] = [];
    const opts = { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), api: { printOnce: (t: string) => printed.push(t), scryptCost: 2 ** 12 } };
    const s1 = await startService({ config, baseDir: dir, file: null }, opts);
    await s1.close();
    const s2 = await startService({ config, baseDir: dir, file: null }, opts);
    await s2.close();
    rmSync(dir, { recursive: true, force: true });
    expect(printed).toHaveLength(1);
  });
});

describe('sessions and CSRF', () => {
  it('sets an HttpOnly, SameSite=Strict cookie (not Secure without TLS) and returns a CSRF token', async () => {
    const res = await fetch(`${h.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password: h.adminPassword }) });
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^rampart_session=[\w-]{40,};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
    expect(((await res.json()) as { csrfToken: string }).csrfToken).toMatch(/^[\w-]{40,}$/);
  });

  it('refuses a state change with the cookie but without the CSRF header, or from another origin', async () => {
    const body = { email: 'csrf@acme.example', role: 'viewer', password: PASSWORD };
    const missing = await h.call('POST', '/api/accounts', { session: admin, noCsrf: true, body });
    expect(missing.status).toBe(403);
    expect(missing.body.code).toBe('RAMPART_ERR_API_CSRF');
    const wrong = await h.call('POST', '/api/accounts', { session: { ...admin, csrf: 'x'.repeat(43) }, body });
    expect(wrong.status).toBe(403);
    const crossSite = await h.call('POST', '/api/accounts', { session: admin, body, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect(crossSite.body.message).toContain('evil.example');
    expect((await h.service.store.getDoc('api_account', 'csrf@acme.example'))).toBeNull();
    // Reads need no token; the same request with it succeeds.
    expect((await h.call('GET', '/api/accounts', { session: admin, noCsrf: true })).status).toBe(200);
    const ok = await h.call('POST', '/api/accounts', { session: admin, body, headers: { origin: h.url } });
    expect(ok.status).toBe(201);
    const loginCsrf = await h.call('POST', '/api/auth/login', { body: { email: 'admin@localhost', password: h.adminPassword }, headers: { origin: 'https://evil.example' } });
    expect(loginCsrf.status).toBe(403);
    // The public origin of a TLS proxy in front is accepted when configured (api.allowedOrigins).
    const proxied = await h.call('POST', '/api/auth/login', { body: { email: 'admin@localhost', password: h.adminPassword }, headers: { origin: 'https://rampart.acme.example' } });
    expect(proxied.status).toBe(200);
  });

  it('API tokens need no CSRF header (no ambient credential)', async () => {
    const t = await h.call('POST', '/api/tokens', { session: admin, body: { name: 'ci', role: 'analyst' } });
    const r = await h.call('PATCH', '/api/settings', { token: t.body.token, body: {} });
    expect(r.status).toBe(403); // analyst token: settings need admin
    const me = await h.call('GET', '/api/auth/me', { token: t.body.token });
    expect(me.body).toMatchObject({ kind: 'token', role: 'analyst', csrfToken: null });
  });

  it('sign-out ends the session; a disabled account loses its sessions', async () => {
    const s = await h.account('leaver@acme.example', 'analyst');
    expect((await h.call('GET', '/api/auth/me', { session: s })).status).toBe(200);
    const d = await h.call('PATCH', '/api/accounts/leaver@acme.example', { session: admin, body: { disabled: true } });
    expect(d.status).toBe(200);
    expect((await h.call('GET', '/api/auth/me', { session: s })).status).toBe(401);
    const relogin = await h.call('POST', '/api/auth/login', { body: { email: 'leaver@acme.example', password: PASSWORD } });
    expect(relogin.status).toBe(401);
  });

  it('changes a password with the current one; weak passwords are refused', async () => {
    const s = await h.account('changer@acme.example', 'viewer');
    const weak = await h.call('POST', '/api/auth/password', { session: s, body: { currentPassword: PASSWORD, newPassword: 'short' } });
    expect(weak.status).toBe(400);
    expect(weak.body.code).toBe('RAMPART_ERR_API_WEAK_PASSWORD');
    const wrong = await h.call('POST', '/api/auth/password', { session: s, body: { currentPassword: 'not it at all!', newPassword: 'a much better passphrase' } });
    expect(wrong.status).toBe(401);
    const ok = await h.call('POST', '/api/auth/password', { session: s, body: { currentPassword: PASSWORD, newPassword: 'a much better passphrase' } });
    expect(ok.status).toBe(200);
    await expect(h.login('changer@acme.example', PASSWORD)).rejects.toThrow(/401/);
    expect((await h.login('changer@acme.example', 'a much better passphrase')).csrf).toBeTruthy();
  });

  it('the last admin cannot be demoted', async () => {
    const admins = (await h.call('GET', '/api/accounts', { session: admin })).body.items.filter((a: { role: string; disabled: boolean }) => a.role === 'admin' && !a.disabled);
    expect(admins).toHaveLength(1);
    const r = await h.call('PATCH', '/api/accounts/admin@localhost', { session: admin, body: { role: 'viewer' } });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('last enabled admin');
  });
});

describe('lockout and rate limiting', () => {
  it('locks an account after N failures in a row, even for the right password, until an admin unlocks it', async () => {
    await h.account('target@acme.example', 'viewer');
    const attempt = (password: string) => h.call('POST', '/api/auth/login', { body: { email: 'target@acme.example', password } });
    expect((await attempt('wrong-1')).body.code).toBe('RAMPART_ERR_API_INVALID_CREDENTIALS');
    expect((await attempt('wrong-2')).body.code).toBe('RAMPART_ERR_API_INVALID_CREDENTIALS');
    const third = await attempt('wrong-3');
    expect(third.status).toBe(423);
    expect(third.body.code).toBe('RAMPART_ERR_API_ACCOUNT_LOCKED');
    const right = await attempt(PASSWORD);
    expect(right.status).toBe(423);
    const view = (await h.call('GET', '/api/accounts', { session: admin })).body.items.find((a: { email: string }) => a.email === 'target@acme.example');
    expect(view.locked).toBe(true);
    expect((await h.call('POST', '/api/accounts/target@acme.example/unlock', { session: admin, body: {} })).status).toBe(200);
    expect((await attempt(PASSWORD)).status).toBe(200);
    // Failed sign-ins are in the audit log with the address they came from.
    const audit = await h.call('GET', '/api/audit?action=auth.login', { session: admin });
    const failures = audit.body.items.filter((e: { target: string; outcome: string }) => e.target === 'target@acme.example' && e.outcome === 'failure');
    expect(failures.length).toBe(4);
    expect(failures[0].ip).toBe('127.0.0.1');
    expect(failures.map((e: { details: { error: string } }) => e.details.error)).toContain('RAMPART_ERR_API_ACCOUNT_LOCKED');
  });

  it('unknown emails are refused like wrong passwords, lockout included (the 423 does not reveal which accounts exist)', async () => {
    const attempt = (email: string) => h.call('POST', '/api/auth/login', { body: { email, password: 'whatever-it-is' } });
    await h.account('real-one@acme.example', 'viewer');
    for (const email of ['nobody@acme.example', 'real-one@acme.example']) {
      const codes: string[] = [];
      for (let i = 0; i < 4; i++) codes.push((await attempt(email)).body.code);
      expect(codes, email).toEqual(['RAMPART_ERR_API_INVALID_CREDENTIALS', 'RAMPART_ERR_API_INVALID_CREDENTIALS', 'RAMPART_ERR_API_ACCOUNT_LOCKED', 'RAMPART_ERR_API_ACCOUNT_LOCKED']);
    }
  });

  it('limits sign-in attempts per client address', async () => {
    // The harness allows 1000/min; a service with 3/min:
    const dir = mkdtempSync(join(tmpdir(), 'rampart-api-rl-'));
    const config = parseConfig(`store: { driver: sqlite, path: ${JSON.stringify(join(dir, 'r.db'))} }\ndemo: { enabled: false }\nlog: { level: silent }\napi: { loginAttemptsPerMinute: 3 }`);
    const s = await startService({ config, baseDir: dir, file: null }, { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), api: { printOnce: () => {}, scryptCost: 2 ** 12 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `x${i}@acme.example`, password: 'nope-nope-nope' }) });
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('API tokens', () => {
  it('are shown once, stored hashed, scoped to a role, record last use, and stop working when revoked', async () => {
    const created = await h.call('POST', '/api/tokens', { session: admin, body: { name: 'siem', role: 'viewer' } });
    expect(created.status).toBe(201);
    const token: string = created.body.token;
    expect(token).toMatch(/^rmp_[0-9a-f]{16}_[\w-]{43}$/);
    const id = created.body.info.id;
    const stored = JSON.stringify(await h.service.store.getDoc('api_token', id));
    expect(stored).not.toContain(token.split('_').slice(2).join('_'));
    const listed = await h.call('GET', '/api/tokens', { session: admin });
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect(listed.body.items.find((t: { id: string }) => t.id === id).lastUsedAt).toBeNull();

    expect((await h.call('GET', '/api/alerts', { token })).status).toBe(200);
    expect((await h.call('POST', '/api/alerts/bulk', { token, body: { ids: ['a'], update: { status: 'resolved' } } })).status).toBe(403);
    const after = await h.call('GET', '/api/tokens', { session: admin });
    expect(after.body.items.find((t: { id: string }) => t.id === id).lastUsedAt).not.toBeNull();

    const revoked = await h.call('DELETE', `/api/tokens/${id}`, { session: admin });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedBy).toBe('admin@localhost');
    const refused = await h.call('GET', '/api/alerts', { token });
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('RAMPART_ERR_API_INVALID_TOKEN');
    // A tampered secret with a real id is refused too.
    const t2 = (await h.call('POST', '/api/tokens', { session: admin, body: { name: 'x', role: 'viewer' } })).body.token as string;
    // One character of the secret changed to a different one (a fixed suffix like 'AA' is the secret's own
    // ending once in ~1,000 tokens, which made this test fail at random).
    const at = t2.length - 5;
    const tampered = t2.slice(0, at) + (t2[at] === 'A' ? 'B' : 'A') + t2.slice(at + 1);
    expect(tampered).not.toBe(t2);
    expect((await h.call('GET', '/api/alerts', { token: tampered })).status).toBe(401);
  });
});

describe('Authorization headers that are not Rampart tokens', () => {
  it('are ignored (a reverse proxy adding Basic auth), while a bad Rampart token is refused', async () => {
    const basic = { authorization: 'Basic Zm9vOmJhcg==' };
    const me = await h.call('GET', '/api/auth/me', { session: admin, headers: basic });
    expect(me.status).toBe(200);
    expect(me.body.email ?? me.body.id).toBeTruthy();
    expect((await h.call('GET', '/api/openapi.json', { headers: basic })).status).toBe(200);
    const alone = await h.call('GET', '/api/alerts', { headers: { authorization: 'Bearer some-other-systems-token' } });
    expect(alone.status).toBe(401);
    expect(alone.body.code).toBe('RAMPART_ERR_API_UNAUTHENTICATED');
    const bad = await h.call('GET', '/api/alerts', { session: admin, headers: { authorization: 'Bearer rmp_0123456789abcdef_nope' } });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe('RAMPART_ERR_API_INVALID_TOKEN');
  });
});

describe('API tokens and their creator', () => {
  it('act no higher than the creator now: demoted -> lowered, disabled or deleted -> refused, also for tokens made by tokens', async () => {
    const bob = await h.account('bob-tokens@acme.example', 'admin');
    const made = await h.call('POST', '/api/tokens', { session: bob, body: { name: 'bob-admin', role: 'admin' } });
    expect(made.status).toBe(201);
    const token: string = made.body.token;
    const child = await h.call('POST', '/api/tokens', { token, body: { name: 'bob-child', role: 'analyst' } });
    expect(child.status).toBe(201);
    const childToken: string = child.body.token;
    expect((await h.call('GET', '/api/accounts', { token })).status).toBe(200);

    // Demoted to analyst: the admin token acts as an analyst.
    expect((await h.call('PATCH', '/api/accounts/bob-tokens@acme.example', { session: admin, body: { role: 'analyst' } })).status).toBe(200);
    expect((await h.call('GET', '/api/accounts', { token })).status).toBe(403);
    expect((await h.call('GET', '/api/alerts', { token })).status).toBe(200);
    expect((await h.call('GET', '/api/auth/me', { token })).body.role).toBe('analyst');

    // Disabled: both tokens stop.
    expect((await h.call('PATCH', '/api/accounts/bob-tokens@acme.example', { session: admin, body: { disabled: true } })).status).toBe(200);
    for (const t of [token, childToken]) {
      const r = await h.call('GET', '/api/alerts', { token: t });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('RAMPART_ERR_API_INVALID_TOKEN');
    }
    // Enabled again as admin: they work again; revoking the parent stops the child.
    expect((await h.call('PATCH', '/api/accounts/bob-tokens@acme.example', { session: admin, body: { disabled: false, role: 'admin' } })).status).toBe(200);
    expect((await h.call('GET', '/api/alerts', { token: childToken })).status).toBe(200);
    expect((await h.call('DELETE', `/api/tokens/${made.body.info.id}`, { session: admin })).status).toBe(200);
    expect((await h.call('GET', '/api/alerts', { token: childToken })).status).toBe(401);

    // Deleted: a token of the deleted account cannot create an admin.
    const again = await h.account('carol-tokens@acme.example', 'admin');
    const carolToken: string = (await h.call('POST', '/api/tokens', { session: again, body: { name: 'carol', role: 'admin' } })).body.token;
    expect((await h.call('DELETE', '/api/accounts/carol-tokens@acme.example', { session: admin })).status).toBe(200);
    const sneaky = await h.call('POST', '/api/accounts', { token: carolToken, body: { email: 'mallory@acme.example', role: 'admin', password: 'a long enough passphrase 1' } });
    expect(sneaky.status).toBe(401);
    expect(await h.service.store.getDoc('api_account', 'mallory@acme.example')).toBeNull();
  });
});

describe('audit log', () => {
  it('records who changed what, when and from where', async () => {
    await h.call('PATCH', '/api/settings', { session: admin, body: { organizationName: 'Acme' } });
    const r = await h.call('GET', '/api/audit?action=settings.update', { session: admin });
    expect(r.status).toBe(200);
    const e = r.body.items[0];
    expect(e).toMatchObject({ actor: 'admin@localhost', actorKind: 'session', role: 'admin', ip: '127.0.0.1', method: 'PATCH', route: '/api/settings', status: 200, outcome: 'success' });
    expect(e.details).toEqual({ organizationName: 'Acme' });
    expect(Date.now() - Date.parse(e.at)).toBeLessThan(3_600_000);
    const all = await h.call('GET', '/api/audit?limit=2', { session: admin });
    expect(all.body.items).toHaveLength(2);
    const page2 = await h.call('GET', `/api/audit?limit=2&cursor=${encodeURIComponent(all.body.next)}`, { session: admin });
    expect(page2.body.items[0].id < all.body.items[1].id).toBe(true);
  });

  it('never records passwords', async () => {
    await h.call('POST', '/api/accounts', { session: admin, body: { email: 'pw@acme.example', role: 'viewer', password: 'secret passphrase 123' } });
    const r = await h.call('GET', '/api/audit?limit=1000', { session: admin });
    expect(JSON.stringify(r.body)).not.toContain('secret passphrase 123');
    expect(JSON.stringify(r.body)).not.toContain(h.bootstrapPassword);
  });
});

describe('headers, limits and errors', () => {
  it('sends the security headers on API and non-API responses', async () => {
    for (const path of ['/api/openapi.json', '/healthz', '/api/alerts', '/api/docs']) {
      const res = await fetch(h.url + path);
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('answers 413 with the API code above the body limit, 400 naming the field on bad input', async () => {
    const big = await h.call('POST', '/api/policies/validate', { session: admin, body: { policy: { name: 'x', description: 'a'.repeat(300_000) } } });
    expect(big.status).toBe(413);
    expect(big.body.code).toBe('RAMPART_ERR_API_BODY_TOO_LARGE');
    const bad = await h.call('POST', '/api/accounts', { session: admin, body: { email: 'not-an-email', role: 'viewer' } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('body.email');
    const extra = await h.call('POST', '/api/accounts', { session: admin, body: { email: 'a@b.c', role: 'root' } });
    expect(extra.body.message).toContain('body.role');
    const notJson = await fetch(`${h.url}/api/accounts`, { method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/json' }, body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { code: string }).code).toBe('RAMPART_ERR_API_BAD_REQUEST');
    // A long email in a path parameter reaches the route (and its validation), not a 404.
    const longEmail = `${'a'.repeat(200)}@acme.example`;
    const long = await h.call('PATCH', `/api/accounts/${longEmail}`, { session: admin, body: { disabled: true } });
    expect(long.status).toBe(404);
    expect(long.body.code).toBe('RAMPART_ERR_STORE_NOT_FOUND');
    const tooLong = await h.call('GET', `/api/alerts/${'x'.repeat(300)}`, { session: admin });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toContain('params.id');
    const unknown = await h.call('GET', '/api/nothing-here', { session: admin });
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('RAMPART_ERR_API_NOT_FOUND');
  });

  it('refuses at registration a route that declares no access requirement', async () => {
    const app = Fastify();
    const store = h.service.store;
    installGuard(app, { accounts: new AccountService({ store, sessionTtlSecs: 60, lockoutThreshold: 3, lockoutSecs: 60 }), audit: new AuditLog(store), logger: createLogger({ level: 'silent' }), metrics: new Metrics(), tls: false, prefix: '/api' });
    expect(() => app.get('/api/sneaky', async () => ({ secret: true }))).toThrow(/RAMPART_ERR_API_ROUTE_UNGUARDED|declares no access/);
    const unguarded = route({ method: 'GET', url: '/api/also-sneaky', summary: 'x', tag: 'x', handler: async () => ({}) } as never);
    expect(() => registerRoutes(app, [{ ...unguarded, access: undefined as never }], { bodyLimit: 1024, onResponseInvalid: () => {} })).toThrow(/declares no access/);
    // Routes outside /api (health, connector webhooks with their own signatures) are not the API's.
    expect(() => app.get('/healthz-2', async () => ({ ok: true }))).not.toThrow();
    await app.close();
  });
});

describe('TLS', () => {
  it('serves HTTPS with a Secure __Host- cookie and HSTS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-api-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const config = parseConfig(
      `store: { driver: sqlite, path: ${JSON.stringify(join(dir, 'r.db'))} }\ndemo: { enabled: false }\nlog: { level: silent }\nserver: { tls: { certFile: ${JSON.stringify(join(dir, 'cert.pem'))}, keyFile: ${JSON.stringify(join(dir, 'key.pem'))} } }`,
    );
    const printed: string[] = [];
    const s = await startService({ config, baseDir: dir, file: null }, { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), api: { printOnce: (t) => printed.push(t), scryptCost: 2 ** 12 } });
    try {
      expect(s.url).toMatch(/^https:/);
      const { Agent } = await import('undici');
      const dispatcher = new Agent({ connect: { ca: readFileSync(join(dir, 'cert.pem')) } });
      const password = /password: (\S+)/.exec(printed.join(''))![1];
      const res = await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'admin@localhost', password }), dispatcher } as unknown as RequestInit);
      expect(res.status).toBe(200);
      const cookie = res.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^__Host-rampart_session=/);
      expect(cookie).toContain('Secure');
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      await dispatcher.close();
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
