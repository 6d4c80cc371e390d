/**
 * @module actions/okta/simulator
 * A loopback Okta org, just the Users API endpoints governance uses, for tests: SSWS API-token auth,
 * `GET /api/v1/users/{id|login}`, `DELETE /api/v1/users/{id}/sessions`,
 * `POST /api/v1/users/{id}/lifecycle/suspend|unsuspend` (400 E0000001 when the status does not allow it);
 * errors as `{errorCode, errorSummary, errorLink, errorId, errorCauses}`; 429 E0000047 with the
 * X-Rate-Limit-* headers; switchable 429 / 5xx / hang faults.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Faults } from '../simulator-faults.ts';

export type OktaStatus = 'ACTIVE' | 'SUSPENDED' | 'DEPROVISIONED' | 'STAGED' | 'PROVISIONED' | 'LOCKED_OUT' | 'PASSWORD_EXPIRED' | 'RECOVERY';

export interface OktaSimUser {
  id: string;
  status: OktaStatus;
  profile: { login: string; email: string };
  /** Active sessions; cleared by DELETE /sessions. */
  sessions: number;
}

export interface OktaSimulatorOptions {
  apiToken?: string;
  users?: Array<{ login: string; status?: OktaStatus; sessions?: number }>;
  /** Admin roles' scope: without okta.users.manage, writes answer 403 E0000006. */
  canManageUsers?: boolean;
}

export interface OktaSimulator {
  orgUrl: string;
  apiToken: string;
  faults: Faults;
  user(idOrLogin: string): OktaSimUser | undefined;
  /** Successful session clears for the user. */
  sessionClears(idOrLogin: string): number;
  requests: Array<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
}

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

const oktaId = () => `00u${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x').slice(0, 17)}`;

export async function startOktaSimulator(o: OktaSimulatorOptions = {}): Promise<OktaSimulator> {
  const apiToken = o.apiToken ?? `00${randomBytes(30).toString('base64url')}`;
  const users = new Map<string, OktaSimUser>();
  const clears = new Map<string, number>();
  for (const u of o.users ?? []) {
    const user: OktaSimUser = { id: oktaId(), status: u.status ?? 'ACTIVE', profile: { login: u.login, email: u.login }, sessions: u.sessions ?? 1 };
    users.set(user.id, user);
  }
  const byLogin = (k: string) => [...users.values()].find((u) => u.profile.login.toLowerCase() === k.toLowerCase());
  const faults = new Faults();
  const requests: OktaSimulator['requests'] = [];
  const canManage = o.canManageUsers ?? true;

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 });
  app.addHook('onResponse', async (req, reply) => {
    requests.push({ method: req.method, path: req.url.split('?')[0]!, status: reply.statusCode });
  });

  const oktaError = (reply: FastifyReply, status: number, errorCode: string, errorSummary: string, causes: string[] = []) =>
    reply.code(status).send({
      errorCode,
      errorSummary,
      errorLink: errorCode,
      errorId: `oae${randomBytes(11).toString('base64url')}`,
      errorCauses: causes.map((c) => ({ errorSummary: c })),
    });

  const rateHeaders = (reply: FastifyReply, remaining: number, resetInSecs: number) =>
    reply
      .header('x-rate-limit-limit', '600')
      .header('x-rate-limit-remaining', String(remaining))
      .header('x-rate-limit-reset', String(Math.floor(Date.now() / 1000) + resetInSecs));

  /** Auth, faults, permission, user by id (or login when `byLoginToo`). Null when already answered. */
  const guard = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, opts: { write: boolean; byLoginToo: boolean }): OktaSimUser | null => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('SSWS ') ? auth.slice(5) : '';
    if (!token || !safeEqual(token, apiToken)) return oktaError(reply, 401, 'E0000011', 'Invalid token provided'), null;
    const fault = faults.take();
    if (fault?.kind === 'hang') return null;
    if (fault?.kind === 'throttle') {
      // Okta's reset is whole epoch seconds; retryAfterSecs 0 means "the window resets now".
      rateHeaders(reply, 0, fault.retryAfterSecs);
      return oktaError(reply, 429, 'E0000047', 'API call exceeded rate limit due to too many requests.'), null;
    }
    if (fault?.kind === 'down') return oktaError(reply, fault.status, 'E0000009', 'Internal Server Error'), null;
    rateHeaders(reply, 599, 60);
    if (opts.write && !canManage) return oktaError(reply, 403, 'E0000006', 'You do not have permission to perform the requested action'), null;
    const u = users.get(req.params.id) ?? (opts.byLoginToo ? byLogin(req.params.id) : undefined);
    if (!u) return oktaError(reply, 404, 'E0000007', `Not found: Resource not found: ${req.params.id} (User)`), null;
    return u;
  };

  const view = (u: OktaSimUser) => ({
    id: u.id,
    status: u.status,
    created: '2024-01-01T00:00:00.000Z',
    statusChanged: null,
    profile: u.profile,
    _links: { self: { href: `/api/v1/users/${u.id}` } },
  });

  app.get('/api/v1/users/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const u = guard(req, reply, { write: false, byLoginToo: true });
    return u ? view(u) : reply;
  });

  app.delete('/api/v1/users/:id/sessions', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const u = guard(req, reply, { write: true, byLoginToo: false });
    if (!u) return reply;
    u.sessions = 0;
    clears.set(u.id, (clears.get(u.id) ?? 0) + 1);
    return reply.code(204).send();
  });

  const lifecycle = (op: 'suspend' | 'unsuspend') => async (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
    const u = guard(req, reply, { write: true, byLoginToo: false });
    if (!u) return reply;
    const from = op === 'suspend' ? 'ACTIVE' : 'SUSPENDED';
    if (u.status !== from)
      return oktaError(reply, 400, 'E0000001', 'Api validation failed: status', [
        op === 'suspend' ? 'Cannot suspend a user that is not active' : 'Cannot unsuspend a user that is not suspended',
      ]);
    u.status = op === 'suspend' ? 'SUSPENDED' : 'ACTIVE';
    if (op === 'suspend') u.sessions = 0;
    return {};
  };
  app.post('/api/v1/users/:id/lifecycle/suspend', lifecycle('suspend'));
  app.post('/api/v1/users/:id/lifecycle/unsuspend', lifecycle('unsuspend'));

  app.setNotFoundHandler((req, reply) => oktaError(reply, 404, 'E0000022', `The endpoint does not support the provided HTTP method`));

  const orgUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    orgUrl,
    apiToken,
    faults,
    user: (k) => users.get(k) ?? byLogin(k),
    sessionClears: (k) => {
      const u = users.get(k) ?? byLogin(k);
      return u ? (clears.get(u.id) ?? 0) : 0;
    },
    requests,
    close: () => app.close(),
  };
}
