/** @module api/routes/connectors  Connector health and checkpoints, and the rejected-input log. */
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import type { ApiContext } from '../context.ts';
import { q, route } from '../route.ts';

const HealthSchema = z.object({
  connector: z.string(),
  status: z.enum(['starting', 'ok', 'degraded', 'failed', 'stopped']),
  lastEventTime: z.string().nullable(),
  eventsPerMin: z.number(),
  errorsByKind: z.record(z.string(), z.number()),
  checkpoint: z.record(z.string(), z.string().nullable()),
  message: z.string().nullable(),
});

export function connectorRoutes(ctx: ApiContext) {
  const find = (id: string) => {
    const c = ctx.connectors.find((x) => x.id === id);
    if (!c) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['connector', id]);
    return c;
  };
  return [
    route({
      method: 'GET',
      url: '/api/connectors',
      access: 'viewer',
      tag: 'connectors',
      summary: 'Health of every running connector',
      response: z.object({ items: z.array(HealthSchema) }),
      handler: async () => ({ items: ctx.connectors.map((c) => c.health()) }),
    }),
    route({
      method: 'GET',
      url: '/api/connectors/:id',
      access: 'viewer',
      tag: 'connectors',
      summary: 'Health of one connector',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: HealthSchema,
      handler: async ({ params }) => find(params.id).health(),
    }),
    route({
      method: 'GET',
      url: '/api/connectors/:id/checkpoints',
      access: 'viewer',
      tag: 'connectors',
      summary: "The connector's committed checkpoints (where pulling resumes after a restart)",
      params: z.object({ id: z.string().min(1).max(64) }),
      response: z.object({ connector: z.string(), checkpoints: z.record(z.string(), z.string().nullable()) }),
      handler: async ({ params }) => {
        const h = find(params.id).health();
        const checkpoints: Record<string, string | null> = {};
        // The store is the source of truth; health() names the keys.
        for (const key of Object.keys(h.checkpoint)) checkpoints[key] = await ctx.store.getCheckpoint(params.id, key);
        return { connector: params.id, checkpoints };
      },
    }),
    route({
      method: 'GET',
      url: '/api/rejects',
      access: 'admin',
      tag: 'connectors',
      summary: 'Input that could not be accepted (kept, never dropped silently), newest first',
      query: z.object({ limit: q.int(1, 1000).default(100), cursor: z.string().max(4096).optional() }),
      response: z.object({
        items: z.array(z.object({ id: z.string().optional(), source: z.string(), code: z.string(), reason: z.string(), sample: z.string(), receivedAt: z.string() })),
        next: z.string().nullable(),
      }),
      handler: async ({ query }) => ctx.store.listRejects(query.limit, query.cursor ?? null),
    }),
  ];
}
