/**
 * @module api/route
 * One declaration per API route: method, URL, access requirement, zod schemas for params, query, body and
 * response, and the handler. The same declaration validates requests, validates responses, and generates the
 * OpenAPI document (openapi.ts), so the three cannot drift. Our own small adapter rather than
 * fastify-type-provider-zod: it keeps `{code, message}` errors naming the field, needs no extra dependency,
 * and lets the registry refuse a route without an access requirement (deny by default).
 */
import { parseIsoDateOrInstant } from '../core/time.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import type { Principal } from './auth/principal.ts';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** Who may call a route: anyone (`public`), or a role and every role above it. */
export type Access = 'public' | Role;
export const ROLE_RANK: Record<Role, number> = { viewer: 0, analyst: 1, admin: 2 };
export const roleAllows = (have: Role, need: Role): boolean => ROLE_RANK[have] >= ROLE_RANK[need];

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface HandlerContext<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  req: FastifyRequest;
  reply: FastifyReply;
  /** Null only on public routes. */
  principal: Principal | null;
  /** Adds the what/target of this change to the audit record written for the request. */
  audit(action: string, target?: string | null, details?: Record<string, unknown>): void;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface RouteDef<P extends AnyObject, Q extends AnyObject, B extends z.ZodType, R extends z.ZodType> {
  method: Method;
  /** Fastify syntax (`/api/alerts/:id`). */
  url: string;
  access: Access;
  summary: string;
  description?: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /** JSON response schema. Without it the handler writes the reply itself (streams, HTML), see `produces`. */
  response?: R;
  /** Content types of a handler-written response, for the document. */
  produces?: string[];
  status?: number;
  /** A POST that only reads (queries, validation): not written to the audit log unless the handler notes it. */
  readOnly?: boolean;
  /** Callable by a session whose password must be changed first (sign-out, me, password change). */
  beforePasswordChange?: boolean;
  handler(c: HandlerContext<z.output<P>, z.output<Q>, z.output<B>>): Promise<z.input<R> | void>;
}

export interface AnyRoute {
  method: Method;
  url: string;
  access: Access;
  summary: string;
  description?: string;
  tag: string;
  params?: AnyObject;
  query?: AnyObject;
  body?: z.ZodType;
  response?: z.ZodType;
  produces?: string[];
  status?: number;
  readOnly?: boolean;
  beforePasswordChange?: boolean;
  handler(c: HandlerContext<any, any, any>): Promise<unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const EMPTY = z.object({});

/** Declares a route; types of params/query/body flow from the schemas into the handler. */
export function route<P extends AnyObject = typeof EMPTY, Q extends AnyObject = typeof EMPTY, B extends z.ZodType = z.ZodUndefined, R extends z.ZodType = z.ZodUnknown>(
  def: RouteDef<P, Q, B, R>,
): AnyRoute {
  return def as unknown as AnyRoute;
}

/** The `{code, message}` error body of every failure. */
export const ErrorBodySchema = z.object({ code: z.string(), message: z.string() });

/** A page of items with an opaque cursor. */
export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().nullable() });

/** Query-string helpers: everything arrives as a string. */
export const q = {
  int: (min: number, max: number) => z.coerce.number().int().min(min).max(max),
  bool: () => z.enum(['true', 'false']).transform((v) => v === 'true'),
  str: (max = 512) => z.string().min(1).max(max),
  iso: () =>
    z
      .string()
      .max(64)
      // Strict (core/time.ts): Date.parse read `from=1` as the year 2001 and rolled 2026-02-30 into March. A bare
      // date is midnight UTC.
      .refine((s) => !Number.isNaN(parseIsoDateOrInstant(s)), { message: 'not an ISO-8601 date (2026-03-01) or date-time with an offset (2026-03-01T09:00:00Z)' })
      .transform((s) => new Date(parseIsoDateOrInstant(s)).toISOString()),
  cursor: () => z.string().max(2048),
};

export interface AuditNote {
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    auditNote: AuditNote | null;
  }
  interface FastifyContextConfig {
    access?: Access;
    readOnly?: boolean;
    beforePasswordChange?: boolean;
  }
}

function fieldError(where: string, err: z.ZodError): RampartError {
  const first = err.issues[0];
  const path = [where, ...first.path.map(String)].join('.');
  const more = err.issues.length > 1 ? ` (and ${err.issues.length - 1} more)` : '';
  return new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`${path}: ${first.message}${more}`]);
}

function parsePart<T extends z.ZodType>(schema: T | undefined, value: unknown, where: string): unknown {
  if (!schema) return value;
  const r = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!r.success) throw fieldError(where, r.error);
  return r.data;
}

/** Registers the routes on the app; refuses (throws) a route that declares no access requirement. */
export function registerRoutes(app: FastifyInstance, routes: readonly AnyRoute[], opts: { bodyLimit: number; onResponseInvalid(route: AnyRoute, err: z.ZodError): void }): void {
  for (const r of routes) {
    if (!r.access || !(r.access === 'public' || (ROLES as readonly string[]).includes(r.access))) {
      throw new RampartError('RAMPART_ERR_API_ROUTE_UNGUARDED', [r.method, r.url]);
    }
    app.route({
      method: r.method,
      url: r.url,
      bodyLimit: opts.bodyLimit,
      config: { access: r.access, readOnly: r.readOnly ?? false, beforePasswordChange: r.beforePasswordChange ?? false },
      handler: async (req, reply) => {
        const params = parsePart(r.params, req.params, 'params');
        const query = parsePart(r.query, req.query, 'query');
        const body = r.body ? parsePart(r.body, req.body, 'body') : undefined;
        const result = await r.handler({
          params,
          query,
          body,
          req,
          reply,
          principal: req.principal,
          audit: (action, target = null, details = {}) => {
            req.auditNote = { action, target, details };
          },
        });
        if (!r.response) return reply;
        const checked = r.response.safeParse(result);
        if (!checked.success) {
          opts.onResponseInvalid(r, checked.error);
          throw new RampartError('RAMPART_ERR_API_INTERNAL');
        }
        return reply.status(r.status ?? 200).send(checked.data);
      },
    });
  }
}
