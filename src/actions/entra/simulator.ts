/**
 * @module actions/entra/simulator
 * A loopback Microsoft identity platform + Microsoft Graph, just the endpoints governance uses, for tests:
 * client-credentials token endpoint, bearer and app-role checks, `POST /v1.0/users/{id}/revokeSignInSessions`,
 * `PATCH /v1.0/users/{id}` (accountEnabled), `GET /v1.0/users/{id}`; errors in the Graph envelope
 * `{"error":{"code","message","innerError"}}`; switchable 429 (Retry-After) / 5xx / hang faults.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { Faults } from '../simulator-faults.ts';

export interface EntraSimUser {
  id: string;
  userPrincipalName: string;
  accountEnabled: boolean;
  /** Set by revokeSignInSessions, as in Graph. */
  signInSessionsValidFromDateTime: string | null;
}

export interface EntraSimulatorOptions {
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  users?: Array<{ userPrincipalName: string; id?: string; accountEnabled?: boolean }>;
  /** Application permissions granted to the client (app roles in the token). */
  roles?: string[];
  tokenTtlSecs?: number;
}

export interface EntraSimulator {
  authorityUrl: string;
  graphUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Faults for the Graph endpoints. */
  faults: Faults;
  /** Faults for the token endpoint. */
  tokenFaults: Faults;
  user(idOrUpn: string): EntraSimUser | undefined;
  /** Number of revokeSignInSessions calls that succeeded for the user. */
  revocations(idOrUpn: string): number;
  tokensIssued(): number;
  /** Invalidates every issued token (the next Graph call answers 401). */
  revokeTokens(): void;
  requests: Array<{ method: string; path: string; status: number }>;
  close(): Promise<void>;
}

export const DEFAULT_ENTRA_ROLES = ['User.Read.All', 'User.RevokeSessions.All', 'User.EnableDisableAccount.All'];
const WRITE_ALL = ['Directory.ReadWrite.All', 'User.ReadWrite.All'];

const safeEqual = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

export async function startEntraSimulator(o: EntraSimulatorOptions = {}): Promise<EntraSimulator> {
  const tenantId = o.tenantId ?? randomUUID();
  const clientId = o.clientId ?? randomUUID();
  const clientSecret = o.clientSecret ?? randomBytes(18).toString('base64url');
  const roles = o.roles ?? DEFAULT_ENTRA_ROLES;
  const users = new Map<string, EntraSimUser>();
  const revocations = new Map<string, number>();
  for (const u of o.users ?? []) {
    const user: EntraSimUser = { id: u.id ?? randomUUID(), userPrincipalName: u.userPrincipalName, accountEnabled: u.accountEnabled ?? true, signInSessionsValidFromDateTime: null };
    users.set(user.id, user);
  }
  const find = (key: string) => users.get(key) ?? [...users.values()].find((u) => u.userPrincipalName.toLowerCase() === key.toLowerCase());
  const tokens = new Map<string, number>(); // token -> expiry
  let issued = 0;
  const faults = new Faults();
  const tokenFaults = new Faults();
  const requests: EntraSimulator['requests'] = [];

  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 64 * 1024 });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addHook('onResponse', async (req, reply) => {
    requests.push({ method: req.method, path: req.url.split('?')[0]!, status: reply.statusCode });
  });

  const graphError = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply
      .code(status)
      .header('request-id', randomUUID())
      .send({ error: { code, message, innerError: { date: new Date().toISOString().slice(0, 19), 'request-id': randomUUID(), 'client-request-id': randomUUID() } } });

  /** Applies a queued fault; returns true when the request was answered (or left hanging). */
  const applyFault = (f: Faults, reply: FastifyReply, envelope: (status: number, code: string, msg: string) => unknown): boolean => {
    const fault = f.take();
    if (!fault) return false;
    if (fault.kind === 'hang') return true;
    if (fault.kind === 'throttle') {
      reply.header('retry-after', String(fault.retryAfterSecs));
      envelope(429, 'TooManyRequests', 'Too many requests.');
      return true;
    }
    envelope(fault.status, fault.status === 503 ? 'serviceNotAvailable' : 'generalException', 'The service is temporarily unavailable.');
    return true;
  };

  app.post('/:tenant/oauth2/v2.0/token', async (req: FastifyRequest<{ Params: { tenant: string }; Body: Record<string, string> | undefined }>, reply) => {
    const aad = (status: number, error: string, description: string) =>
      reply.code(status).send({ error, error_description: `${description}\r\nTrace ID: ${randomUUID()}\r\nTimestamp: ${new Date().toISOString()}`, error_codes: [Number(description.slice(5, 12)) || 0], timestamp: new Date().toISOString() });
    if (applyFault(tokenFaults, reply, (s, code) => aad(s, code === 'TooManyRequests' ? 'temporarily_unavailable' : 'server_error', 'AADSTS90033: A transient error has occurred. Please try again.'))) return reply;
    if (req.params.tenant !== tenantId) return aad(400, 'invalid_request', `AADSTS90002: Tenant '${req.params.tenant}' not found.`);
    const b = req.body ?? {};
    if (b.grant_type !== 'client_credentials') return aad(400, 'unsupported_grant_type', 'AADSTS70003: The app requested an unsupported grant type.');
    if (b.client_id !== clientId) return aad(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${b.client_id}' was not found in the directory.`);
    if (!b.client_secret || !safeEqual(b.client_secret, clientSecret)) return aad(401, 'invalid_client', 'AADSTS7000215: Invalid client secret provided.');
    if (b.scope !== 'https://graph.microsoft.com/.default') return aad(400, 'invalid_scope', 'AADSTS1002012: The provided value for scope is not valid.');
    const token = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
    const ttl = o.tokenTtlSecs ?? 3599;
    tokens.set(token, Date.now() + ttl * 1000);
    issued++;
    return { token_type: 'Bearer', expires_in: ttl, ext_expires_in: ttl, access_token: token };
  });

  /** Bearer, app roles, faults, user. Returns the user or null when it already answered. */
  const guard = (req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, need: string[]): EntraSimUser | null => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!token) return graphError(reply, 401, 'InvalidAuthenticationToken', 'Access token is empty.'), null;
    const exp = tokens.get(token);
    if (exp === undefined) return graphError(reply, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.'), null;
    if (exp < Date.now()) return graphError(reply, 401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'), null;
    if (applyFault(faults, reply, (s, c, m) => graphError(reply, s, c, m))) return null;
    if (!need.some((r) => roles.includes(r)) && !WRITE_ALL.some((r) => roles.includes(r)))
      return graphError(reply, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'), null;
    const user = find(req.params.id);
    if (!user)
      return graphError(reply, 404, 'Request_ResourceNotFound', `Resource '${req.params.id}' does not exist or one of its queried reference-property objects are not present.`), null;
    return user;
  };

  app.get('/v1.0/users/:id', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const u = guard(req, reply, ['User.Read.All']);
    if (!u) return reply;
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity', ...u };
  });

  app.post('/v1.0/users/:id/revokeSignInSessions', async (req: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const u = guard(req, reply, ['User.RevokeSessions.All']);
    if (!u) return reply;
    u.signInSessionsValidFromDateTime = new Date().toISOString();
    revocations.set(u.id, (revocations.get(u.id) ?? 0) + 1);
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true };
  });

  app.patch('/v1.0/users/:id', async (req: FastifyRequest<{ Params: { id: string }; Body: unknown }>, reply) => {
    const body = req.body as { accountEnabled?: unknown } | null;
    // Disabling needs User.EnableDisableAccount.All and reading the user (User.Read.All).
    const hasRead = roles.includes('User.Read.All') || WRITE_ALL.some((r) => roles.includes(r));
    const u = guard(req, reply, hasRead ? ['User.EnableDisableAccount.All'] : []);
    if (!u) return reply;
    if (!body || typeof body.accountEnabled !== 'boolean')
      return graphError(reply, 400, 'Request_BadRequest', "Invalid value specified for property 'accountEnabled' of resource 'User'.");
    u.accountEnabled = body.accountEnabled;
    return reply.code(204).send();
  });

  app.setNotFoundHandler((req, reply) => graphError(reply, 400, 'BadRequest', `Resource not found for the segment '${req.url.split('?')[0]}'.`));

  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    authorityUrl: address,
    graphUrl: `${address}/v1.0`,
    tenantId,
    clientId,
    clientSecret,
    faults,
    tokenFaults,
    user: find,
    revocations: (k) => {
      const u = find(k);
      return u ? (revocations.get(u.id) ?? 0) : 0;
    },
    tokensIssued: () => issued,
    revokeTokens: () => tokens.clear(),
    requests,
    close: () => app.close(),
  };
}
