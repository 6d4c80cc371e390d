/**
 * @module api/routes/meta
 * Settings, the audit log, the live alert stream (server-sent events), and the API's own documentation
 * (the OpenAPI document and a self-contained browsable page, public: they describe, they hold no data).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import { requestCredential, sessionCookieName } from '../auth/guard.ts';
import { principalLabel } from '../auth/principal.ts';
import { AuditEntrySchema } from '../audit.ts';
import type { ApiContext } from '../context.ts';
import { readSettings, SETTINGS_DOC, SettingsPatchSchema, SettingsSchema } from '../settings.ts';
import { q, route, type AnyRoute } from '../route.ts';

const page = (name: string) => readFileSync(new URL(`../docs-page/${name}`, import.meta.url), 'utf8');

export function metaRoutes(ctx: ApiContext, document: () => Record<string, unknown>): AnyRoute[] {
  const assets = { 'index.html': page('index.html'), 'app.js': page('app.js'), 'style.css': page('style.css') };
  const asset = (url: string, name: keyof typeof assets, type: string, summary: string) =>
    route({
      method: 'GET',
      url,
      access: 'public',
      tag: 'meta',
      summary,
      produces: [type],
      handler: async ({ reply }) => reply.type(type).header('cache-control', 'no-cache').send(assets[name]),
    });

  return [
    route({
      method: 'GET',
      url: '/api/settings',
      access: 'viewer',
      tag: 'settings',
      summary: 'Run-time settings, and a summary of the service (no secrets)',
      response: z.object({
        settings: SettingsSchema,
        service: z.object({
          store: z.string(),
          tls: z.boolean(),
          retentionDays: z.number(),
          sessionTtlSecs: z.number(),
          lockoutThreshold: z.number(),
          connectors: z.array(z.string()),
          governance: z.boolean(),
        }),
      }),
      handler: async () => ({
        settings: await readSettings(ctx.store),
        service: {
          store: ctx.store.driver,
          tls: Boolean(ctx.config.server.tls),
          retentionDays: ctx.config.retentionDays,
          sessionTtlSecs: ctx.config.api.sessionTtlSecs,
          lockoutThreshold: ctx.config.api.lockoutThreshold,
          connectors: ctx.connectors.map((c) => c.id),
          governance: Boolean(ctx.governance),
        },
      }),
    }),
    route({
      method: 'PATCH',
      url: '/api/settings',
      access: 'admin',
      tag: 'settings',
      summary: 'Change run-time settings (organisation name, investigation priority weights)',
      body: SettingsPatchSchema,
      response: SettingsSchema,
      handler: async ({ body, audit }) => {
        audit('settings.update', null, { ...body });
        return ctx.locks.run('settings', async () => {
          const next = SettingsSchema.parse({ ...(await readSettings(ctx.store)), ...body });
          const now = new Date(ctx.now()).toISOString();
          await ctx.store.putDoc({ ...SETTINGS_DOC, body: next, updatedAt: now });
          return next;
        });
      },
    }),
    route({
      method: 'GET',
      url: '/api/store/stats',
      access: 'admin',
      tag: 'settings',
      summary: 'What the store holds: activities and how far back they go (beside retentionDays), alerts, rejected input, directory users, bytes on disk',
      response: z.object({
        driver: z.enum(['sqlite', 'postgres']),
        activities: z.number(),
        oldestActivity: z.string().nullable(),
        newestActivity: z.string().nullable(),
        alerts: z.number(),
        rejects: z.number(),
        directoryUsers: z.number(),
        bytes: z.number(),
        retentionDays: z.number(),
      }),
      // Counting rows scans each table (seconds on a very large store): admins only, and never on a hot path.
      handler: async () => ({ ...(await ctx.store.stats()), retentionDays: ctx.config.retentionDays }),
    }),
    route({
      method: 'GET',
      url: '/api/audit',
      access: 'admin',
      tag: 'audit',
      summary: "Rampart's own audit log: who changed what, when, from where (newest first)",
      query: z.object({ actor: q.str(320).optional(), action: q.str(128).optional(), from: q.iso().optional(), to: q.iso().optional(), limit: q.int(1, 1000).default(100), cursor: q.cursor().optional() }),
      response: z.object({ items: z.array(AuditEntrySchema), next: z.string().nullable() }),
      handler: async ({ query }) => ctx.audit.query(query),
    }),
    route({
      method: 'GET',
      url: '/api/events',
      access: 'viewer',
      tag: 'events',
      summary: 'Server-sent events: `alert.raised` and `alert.updated`, each with the alert as JSON data',
      produces: ['text/event-stream'],
      handler: async ({ req, reply, principal }) => {
        const headers = Object.fromEntries(Object.entries(reply.getHeaders()).map(([k, v]) => [k, String(v)]));
        // The stream outlives the request's own check: it asks again whenever a credential may have changed.
        const credential = requestCredential(req.headers, sessionCookieName(Boolean(ctx.config.server.tls)));
        const stillValid = async () => {
          const p = !credential ? null : credential.kind === 'token' ? await ctx.accounts.authenticateToken(credential.value) : await ctx.accounts.authenticateSession(credential.value);
          return p !== null && p.kind === principal?.kind && p.id === principal.id && !p.mustChangePassword;
        };
        const attached = ctx.stream.attach(reply.raw, headers, { key: principalLabel(principal), stillValid });
        if (attached === 'server_full') throw new RampartError('RAMPART_ERR_API_TOO_MANY_STREAMS', ['200 open on this server']);
        if (attached === 'principal_full') throw new RampartError('RAMPART_ERR_API_TOO_MANY_STREAMS', ['8 open for this sign-in or token']);
        reply.hijack();
      },
    }),
    route({
      method: 'GET',
      url: '/api/openapi.json',
      access: 'public',
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document',
      produces: ['application/json'],
      handler: async ({ reply }) => reply.type('application/json').send(document()),
    }),
    asset('/api/docs', 'index.html', 'text/html; charset=utf-8', 'A browsable page of this document (self-contained, no CDN)'),
    asset('/api/docs/app.js', 'app.js', 'text/javascript; charset=utf-8', 'Script of the documentation page'),
    asset('/api/docs/style.css', 'style.css', 'text/css; charset=utf-8', 'Style sheet of the documentation page'),
  ];
}
