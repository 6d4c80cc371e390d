/** Starts a real `rampart serve` (SQLite store in a temp folder, loopback, port 0) and talks to its API over HTTP. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/logger.ts';
import { startService, type Service, type ServeOptions } from '../../src/main.ts';

export interface Session {
  cookie: string;
  csrf: string;
}

export interface Call {
  session?: Session;
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Leave out the CSRF header of a session (to test the refusal). */
  noCsrf?: boolean;
}

export interface Harness {
  service: Service;
  url: string;
  dir: string;
  /** The one-time password printed at first start (already replaced by adminPassword). */
  bootstrapPassword: string;
  /** admin@localhost's password after the harness changed the one-time one. */
  adminPassword: string;
  printed: string[];
  call(method: string, path: string, c?: Call): Promise<{ status: number; body: any; headers: Headers; text: string }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  login(email: string, password: string): Promise<Session>;
  /** Creates an account (as the bootstrap admin) and signs it in. */
  account(email: string, role: 'admin' | 'analyst' | 'viewer'): Promise<Session>;
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery staple';
export const ADMIN_PASSWORD = 'the boss passphrase of the tests';

export async function startHarness(opts: { yaml?: string; serve?: ServeOptions } = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-api-'));
  const config = parseConfig(
    `store: { driver: sqlite, path: ${JSON.stringify(join(dir, 'rampart.db'))} }
demo: { enabled: false }
log: { level: silent }
policies: { directory: ${JSON.stringify(join(dir, 'policies'))} }
api: { lockoutThreshold: 3, lockoutSecs: 600, loginAttemptsPerMinute: 1000, allowedOrigins: ['https://rampart.acme.example'] }
${opts.yaml ?? ''}`,
  );
  const printed: string[] = [];
  const service = await startService(
    { config, baseDir: dir, file: null },
    { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), ...opts.serve, api: { printOnce: (t) => printed.push(t), scryptCost: 2 ** 12, ...opts.serve?.api } },
  );
  const bootstrapPassword = /password: (\S+)/.exec(printed.join(''))?.[1] ?? '';
  const url = service.url;

  const call: Harness['call'] = async (method, path, c = {}) => {
    const headers: Record<string, string> = { ...(c.headers ?? {}) };
    if (c.session) {
      headers.cookie = c.session.cookie;
      if (!c.noCsrf) headers['x-csrf-token'] = c.session.csrf;
    }
    if (c.token) headers.authorization = `Bearer ${c.token}`;
    let body: string | undefined;
    if (c.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(c.body);
    }
    const res = await fetch(url + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed as any, headers: res.headers, text }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  const login = async (email: string, password: string): Promise<Session> => {
    const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    const body = (await res.json()) as { csrfToken: string; code?: string };
    if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(body)}`);
    const setCookie = res.headers.get('set-cookie') ?? '';
    return { cookie: setCookie.split(';')[0], csrf: body.csrfToken };
  };

  // The one-time password opens only the password change: replace it, as a person would at first sign-in.
  if (bootstrapPassword) {
    const first = await login('admin@localhost', bootstrapPassword);
    const r = await call('POST', '/api/auth/password', { session: first, body: { currentPassword: bootstrapPassword, newPassword: ADMIN_PASSWORD } });
    if (r.status !== 200) throw new Error(`password change: ${r.status} ${r.text}`);
  }
  let admin: Session | null = null;
  const account: Harness['account'] = async (email, role) => {
    admin ??= await login('admin@localhost', ADMIN_PASSWORD);
    const r = await call('POST', '/api/accounts', { session: admin, body: { email, role, password: PASSWORD } });
    if (r.status !== 201 && r.status !== 409) throw new Error(`create ${email}: ${r.status} ${r.text}`);
    return login(email, PASSWORD);
  };

  return {
    service,
    url,
    dir,
    bootstrapPassword,
    adminPassword: ADMIN_PASSWORD,
    printed,
    call,
    login,
    account,
    close: async () => {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
