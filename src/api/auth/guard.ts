/**
 * @module api/auth/guard
 * Deny by default, in one place. Every request to a route under /api is authenticated (API token in
 * `Authorization: Bearer`, else the session cookie), checked against the route's declared access, and, when it
 * rides on the session cookie and changes state, checked for CSRF (same-origin `Origin` when sent, plus the
 * `X-CSRF-Token` header bound to the session). Every state-changing request is written to the audit log.
 * Security headers go on every response of the server.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RampartError, isRampartError } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import type { AuditLog } from '../audit.ts';
import { roleAllows, type Access } from '../route.ts';
import type { AccountService } from './accounts.ts';
import { principalLabel } from './principal.ts';

export const CSRF_HEADER = 'x-csrf-token';
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export const sessionCookieName = (tls: boolean): string => (tls ? '__Host-rampart_session' : 'rampart_session');

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (!(k in out)) {
      try {
        out[k] = decodeURIComponent(v);
      } catch {
        out[k] = v;
      }
    }
  }
  return out;
}

export function securityHeaders(tls: boolean): Record<string, string> {
  return {
    'content-security-policy': "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    ...(tls ? { 'strict-transport-security': 'max-age=31536000' } : {}),
  };
}

const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** The origin this server is reached at, from the Host header of the request. */
export const ownOrigin = (req: FastifyRequest, tls: boolean): string => `${tls ? 'https' : 'http'}://${req.headers.host ?? ''}`;

/** Refuses a request whose `Origin` (when the browser sends one) is neither this server nor an allowed origin. */
export function checkOrigin(req: FastifyRequest, tls: boolean, allowed: readonly string[] = []): void {
  const origin = req.headers.origin;
  if (origin === undefined || origin === ownOrigin(req, tls) || allowed.some((a) => new URL(a).origin === origin)) return;
  throw new RampartError('RAMPART_ERR_API_CSRF', [`Origin ${origin.slice(0, 200)} is not this server`]);
}

export interface GuardOptions {
  accounts: AccountService;
  audit: AuditLog;
  logger: Logger;
  metrics: Metrics;
  tls: boolean;
  /** Extra origins accepted for cookie requests (config api.allowedOrigins). */
  allowedOrigins?: readonly string[];
  /** Path prefix the guard covers. */
  prefix: string;
}

const isApi = (url: string | undefined, prefix: string): boolean => url !== undefined && (url === prefix || url.startsWith(`${prefix}/`));

/**
 * The credential a request carries, read one way for the guard and for anything that checks it again later (the
 * live alert stream): a Rampart API token (`Authorization: Bearer rmp_...`), else the session cookie. Other
 * Authorization values (Basic from a reverse proxy in front, another system's bearer) are not ours and are ignored.
 */
export function requestCredential(headers: IncomingHttpHeaders, cookieName: string): { kind: 'token' | 'session'; value: string } | null {
  const bearer = /^Bearer\s+(rmp_\S*)$/i.exec(headers.authorization ?? '')?.[1];
  if (bearer !== undefined) return { kind: 'token', value: bearer };
  const sid = parseCookies(headers.cookie)[cookieName];
  return sid ? { kind: 'session', value: sid } : null;
}

export function installGuard(app: FastifyInstance, o: GuardOptions): void {
  const headers = securityHeaders(o.tls);
  const cookieName = sessionCookieName(o.tls);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditNote', null);

  // A route under the prefix registered without an access requirement is a developer error: refuse it now.
  app.addHook('onRoute', (r) => {
    if (!isApi(r.url, o.prefix)) return;
    const access = (r.config as { access?: Access } | undefined)?.access;
    if (!access) throw new RampartError('RAMPART_ERR_API_ROUTE_UNGUARDED', [String(r.method), r.url]);
  });

  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    reply.headers(headers);
    const routeUrl = req.routeOptions.url;
    if (!isApi(routeUrl, o.prefix)) return;
    reply.header('cache-control', 'no-store');
    const access = req.routeOptions.config.access;
    if (!access) throw new RampartError('RAMPART_ERR_API_ROUTE_UNGUARDED', [req.method, routeUrl!]);

    const credential = requestCredential(req.headers, cookieName);
    if (credential?.kind === 'token') {
      const p = await o.accounts.authenticateToken(credential.value);
      if (!p) {
        o.metrics.inc('rampart_api_auth_failures_total', { kind: 'token' });
        throw new RampartError('RAMPART_ERR_API_INVALID_TOKEN');
      }
      req.principal = p;
    } else if (credential) {
      req.principal = await o.accounts.authenticateSession(credential.value);
    }
    if (access === 'public') return;
    const p = req.principal;
    if (!p) throw new RampartError('RAMPART_ERR_API_UNAUTHENTICATED');
    if (!roleAllows(p.role, access)) throw new RampartError('RAMPART_ERR_API_FORBIDDEN', [p.role, `${req.method} ${routeUrl}`]);
    // A one-time password (first start, generated by an admin or the CLI) opens nothing but the password change.
    if (p.mustChangePassword && !req.routeOptions.config.beforePasswordChange) throw new RampartError('RAMPART_ERR_API_PASSWORD_CHANGE_REQUIRED');
    if (p.kind === 'session' && UNSAFE.has(req.method)) {
      checkOrigin(req, o.tls, o.allowedOrigins);
      const sent = req.headers[CSRF_HEADER];
      if (typeof sent !== 'string' || !p.csrf || !sameSecret(sent, p.csrf)) throw new RampartError('RAMPART_ERR_API_CSRF', [`missing or wrong ${CSRF_HEADER} header`]);
    }
  });

  // Every state-changing request (and every export) leaves an audit record, allowed or refused, before its answer is sent.
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    const routeUrl = req.routeOptions.url;
    const changes = UNSAFE.has(req.method) && !req.routeOptions.config.readOnly;
    if (!isApi(routeUrl, o.prefix) || (!changes && !req.auditNote)) return payload;
    const note = req.auditNote;
    const p = req.principal;
    const failure = reply.statusCode >= 400;
    let errorCode: string | undefined;
    if (failure && typeof payload === 'string') {
      try {
        errorCode = (JSON.parse(payload) as { code?: string }).code;
      } catch {
        /* not JSON */
      }
    }
    try {
      await o.audit.record({
        actor: principalLabel(p),
        actorKind: p ? p.kind : 'anonymous',
        role: p?.role ?? null,
        ip: req.ip,
        userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : null,
        method: req.method,
        route: routeUrl!,
        status: reply.statusCode,
        outcome: failure ? 'failure' : 'success',
        action: note?.action ?? `${req.method} ${routeUrl}`,
        target: note?.target ?? targetFromParams(req.params),
        details: { ...(note?.details ?? {}), ...(errorCode ? { error: errorCode } : {}) },
      });
    } catch (err) {
      o.metrics.inc('rampart_errors_total', { component: 'api', stage: 'audit', error_type: isRampartError(err) ? err.code : 'exception' });
      o.logger.error({ err }, 'audit record could not be written');
    }
    return payload;
  });
}

function targetFromParams(params: unknown): string | null {
  if (!params || typeof params !== 'object') return null;
  const values = Object.values(params as Record<string, unknown>).filter((v) => typeof v === 'string') as string[];
  return values.length ? values.join('/') : null;
}
