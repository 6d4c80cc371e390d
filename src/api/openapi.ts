/**
 * @module api/openapi
 * The OpenAPI 3.1 document, generated from the route declarations: the same zod schemas that validate requests
 * and responses become the parameters, request bodies and responses (zod 4's z.toJSONSchema, draft 2020-12,
 * which OpenAPI 3.1 uses as is). Each operation carries `x-rampart-access` (public, viewer, analyst, admin).
 */
import { z } from 'zod';
import { ERRORS } from '../core/errors.ts';
import { ErrorBodySchema, type AnyRoute } from './route.ts';

type Json = Record<string, unknown>;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Json {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete s.$schema;
  return s;
}

const optional = (schema: z.ZodType): boolean => schema.safeParse(undefined).success;

function parameters(obj: z.ZodObject<z.ZodRawShape> | undefined, where: 'path' | 'query'): Json[] {
  if (!obj) return [];
  return Object.entries(obj.shape).map(([name, schema]) => {
    const js = jsonSchema(schema as z.ZodType, 'input');
    const description = (js.description as string | undefined) ?? undefined;
    return { name, in: where, required: where === 'path' || !optional(schema as z.ZodType), schema: js, ...(description ? { description } : {}) };
  });
}

const openApiPath = (url: string): string => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

export function buildOpenApi(routes: readonly AnyRoute[], info: { version: string; tls: boolean }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const errors: Json = {
      '400': { $ref: '#/components/responses/Error' },
      ...(r.access === 'public' ? {} : { '401': { $ref: '#/components/responses/Error' }, '403': { $ref: '#/components/responses/Error' } }),
    };
    const ok: Json = r.response
      ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(r.response, 'output') } } }
      : { description: 'OK', content: Object.fromEntries((r.produces ?? ['application/octet-stream']).map((t) => [t, { schema: { type: 'string' } }])) };
    const op: Json = {
      operationId: `${r.method.toLowerCase()}${r.url.replace(/^\/api/, '').replace(/[/:-]+([a-zA-Z])/g, (_m, c: string) => c.toUpperCase())}`,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      'x-rampart-access': r.access,
      ...(r.readOnly ? { 'x-rampart-read-only': true } : {}),
      security: r.access === 'public' ? [] : [{ session: [] }, { token: [] }],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body
        ? { requestBody: { required: !optional(r.body), content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } }
        : {}),
      responses: { [String(r.status ?? 200)]: ok, ...errors, default: { $ref: '#/components/responses/Error' } },
    };
    (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rampart API',
      version: info.version,
      description:
        'Every route denies by default: each operation states its minimum role in `x-rampart-access`. People sign in (POST /api/auth/login) and get an HttpOnly session cookie plus a CSRF token to send as `X-CSRF-Token` on state-changing requests; machines send `Authorization: Bearer rmp_...`. Errors are `{code, message}` with RAMPART_ERR_* codes (docs/errors.md).',
    },
    servers: [{ url: '/' }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: info.tls ? '__Host-rampart_session' : 'rampart_session' },
        token: { type: 'http', scheme: 'bearer', bearerFormat: 'rmp_<id>_<secret>' },
      },
      schemas: { Error: { ...jsonSchema(ErrorBodySchema, 'output'), properties: { code: { type: 'string', enum: Object.keys(ERRORS) }, message: { type: 'string' } } } },
      responses: { Error: { description: 'An error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    },
  };
}
