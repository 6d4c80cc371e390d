/**
 * @module simulator/context
 * What the three HTTP surfaces share: the tenant, tokens and their permissions, options, and the helpers that
 * write Workplace's error envelopes and read the bearer token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SimClock } from './clock.ts';
import { FACTS, type GraphErrorSpec } from './facts.ts';
import type { Tenant } from './tenant.ts';

export interface TokenInfo {
  token: string;
  kind: 'graph' | 'audit';
  permissions: Set<string>;
  /** ms since epoch on the simulated clock; Graph integration tokens never expire [R]. */
  expiresAtMs: number | null;
  revoked: boolean;
}

/** Access tokens and their permission sets (Integrations UI names). */
export class TokenRegistry {
  readonly #tokens = new Map<string, TokenInfo>();

  add(token: string, permissions: Iterable<string> = FACTS.graph.allPermissions, kind: TokenInfo['kind'] = 'graph', expiresAtMs: number | null = null): TokenInfo {
    const info: TokenInfo = { token, kind, permissions: new Set(permissions), expiresAtMs, revoked: false };
    this.#tokens.set(token, info);
    return info;
  }

  get(token: string): TokenInfo | undefined {
    return this.#tokens.get(token);
  }

  setPermissions(token: string, permissions: Iterable<string>): void {
    const t = this.#must(token);
    t.permissions = new Set(permissions);
  }

  removePermission(token: string, permission: string): void {
    this.#must(token).permissions.delete(permission);
  }

  grantPermission(token: string, permission: string): void {
    this.#must(token).permissions.add(permission);
  }

  /** Rotating or disabling the integration: the token answers 190 from now on. */
  revoke(token: string): void {
    this.#must(token).revoked = true;
  }

  all(kind?: TokenInfo['kind']): TokenInfo[] {
    return [...this.#tokens.values()].filter((t) => !kind || t.kind === kind);
  }

  #must(token: string): TokenInfo {
    const t = this.#tokens.get(token);
    if (!t) throw new Error('unknown simulator token');
    return t;
  }
}

/** A Workplace-looking opaque token (they start with "DQ" [R]). */
export const newToken = (): string => `DQV${randomBytes(120).toString('base64url')}`;

export const appsecretProof = (appSecret: string, token: string): string => createHmac('sha256', appSecret).update(token).digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export interface SimContext {
  tenant: Tenant;
  clock: SimClock;
  tokens: TokenRegistry;
  appSecret: string;
  requireAppsecretProof: boolean;
  auditClientId: string;
  auditClientSecret: string;
  auditTokenTtlSecs: number;
  /** Permissions of the audit integration (Admin Center). */
  auditPermissions: Set<string>;
  /** Admin Center IP allow-list [R]; empty = any address. */
  auditIpAllowList: Set<string>;
  /** filled once listening */
  baseUrl: string;
  graphCallsPerHour: number;
}

let traceCounter = 0;
const fbtrace = (): string => `A${randomBytes(8).toString('base64url')}${(traceCounter++ % 100).toString(36)}`;

/** The Graph error envelope {"error":{message,type,code,error_subcode,fbtrace_id}} [R keys]. */
export function graphErrorBody(spec: GraphErrorSpec, ...args: string[]): { error: Record<string, unknown> } {
  let i = 0;
  const message = spec.message.replace(/%s/g, () => args[i++] ?? '');
  return {
    error: {
      message,
      type: spec.type,
      code: spec.code,
      ...(spec.subcode != null ? { error_subcode: spec.subcode } : {}),
      fbtrace_id: fbtrace(),
    },
  };
}

export class GraphError extends Error {
  readonly spec: GraphErrorSpec;
  readonly args: string[];
  constructor(name: keyof typeof FACTS.graph.errors | string, ...args: string[]) {
    const spec = FACTS.graph.errors[name];
    if (!spec) throw new Error(`facts.json has no graph error ${name}`);
    super(spec.message);
    this.spec = spec;
    this.args = args;
  }
}

export function sendGraphError(reply: FastifyReply, err: GraphError): FastifyReply {
  if (err.spec.status === 429) reply.header('Retry-After', String(FACTS.graph.retryAfterSecs.value));
  return reply.code(err.spec.status).type('application/json; charset=UTF-8').send(graphErrorBody(err.spec, ...err.args));
}

/** Query plus form/JSON body parameters, as Graph accepts either. */
export function params(req: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  const q = req.query as Record<string, unknown> | undefined;
  for (const src of [q, req.body]) {
    if (!src || typeof src !== 'object' || Array.isArray(src)) continue;
    for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== null) out[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  return out;
}

/** Bearer header (`Bearer` or `OAuth`) or `access_token` parameter. */
export function bearer(req: FastifyRequest, allowParam = true): string | null {
  const h = req.headers.authorization;
  if (h) {
    const m = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(h);
    if (m) return m[1];
  }
  if (allowParam) {
    const p = params(req).access_token;
    if (p) return p;
  }
  return null;
}

/** Opaque cursors like Graph's (base64 of an internal key). */
export const encodeCursor = (key: string): string => Buffer.from(`rmp:${key}`).toString('base64').replace(/=+$/, '');
export function decodeCursor(cursor: string): string | null {
  const s = Buffer.from(cursor, 'base64').toString('utf8');
  return s.startsWith('rmp:') ? s.slice(4) : null;
}
