/**
 * @module api/routes/activities
 * The audit trail: activity queries by simple parameters (store indexes) or by the policy filter language
 * (compiled once per request, detect/policy), pivots from one activity (same user, IP, country, action, or the
 * 48 hours around it), and exports streamed as CSV or NDJSON with no row limit.
 */
import { Readable } from 'node:stream';
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import { ActivitySchema, CATEGORIES, OUTCOMES, userKey, type Activity } from '../../schema/activity.ts';
import { FIELDS, FilterCompileError, FiltersSchema, OPERATORS, queryFilteredActivities, type FilterCondition } from '../../detect/policy/index.ts';
import { USER_ROLES } from '../../detect/policy/fields.ts';
import type { ActivityQuery, Page } from '../../store/store.ts';
import type { ApiContext } from '../context.ts';
import { pageOf, q, route } from '../route.ts';

const simpleShape = {
  user: q.str(320).optional(),
  ip: q.str(64).optional(),
  action: q.str(256).optional(),
  category: z.enum(CATEGORIES).optional(),
  outcome: z.enum(OUTCOMES).optional(),
  app: q.str(64).optional(),
  from: q.iso().optional(),
  to: q.iso().optional(),
  text: q.str(256).optional(),
};

/** `filters` in a query string: the JSON condition list of the policy language, URL-encoded. */
const filtersParam = z
  .string()
  .max(16_384)
  .transform((s, c) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      c.addIssue({ code: 'custom', message: 'not JSON (a URL-encoded JSON array of conditions)' });
      return z.NEVER;
    }
  })
  .pipe(FiltersSchema);

const ListQuery = z.object({
  ...simpleShape,
  filters: filtersParam.optional(),
  limit: q.int(1, 1000).default(100),
  cursor: q.cursor().optional(),
  order: z.enum(['asc', 'desc']).default('desc'),
});

const QueryBody = z
  .object({
    filters: FiltersSchema.default([]),
    /** Store-level narrowing (same meaning as the GET parameters). */
    base: z.object({ ...simpleShape, from: q.iso().optional(), to: q.iso().optional() }).strict().default({}),
    limit: z.number().int().min(1).max(1000).default(100),
    cursor: z.string().max(2048).nullable().optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
  })
  .strict();

const FilteredPageSchema = pageOf(ActivitySchema).extend({
  /** Stored rows examined for this page (filter queries); a short page with `next` means "keep paging". */
  scanned: z.number().int().nullable(),
});

export const PIVOTS = ['user', 'ip', 'country', 'action', 'window'] as const;
export type Pivot = (typeof PIVOTS)[number];
const WINDOW_MS = 24 * 3600_000;

interface Search {
  base: Omit<ActivityQuery, 'limit' | 'cursor' | 'order'>;
  filters: FilterCondition[];
}

async function searchPage(ctx: ApiContext, s: Search, limit: number, cursor: string | null | undefined, order: 'asc' | 'desc'): Promise<Page<Activity> & { scanned: number | null }> {
  try {
    if (s.filters.length === 0) return { ...(await ctx.store.queryActivities({ ...s.base, limit, cursor, order })), scanned: null };
    return await queryFilteredActivities(ctx.store, { filters: s.filters, base: s.base, limit, cursor, order }, await ctx.filterEnv());
  } catch (err) {
    if (err instanceof FilterCompileError) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`filters: ${err.message}`]);
    throw err;
  }
}

/** The store narrowing and filter conditions of a pivot from one activity. */
export function pivotSearch(a: Activity, pivot: Pivot): Search {
  switch (pivot) {
    case 'user': {
      const u = userKey(a);
      if (!u) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['pivot: the activity has no user']);
      return { base: { user: u }, filters: [] };
    }
    case 'ip':
      if (!a.ip) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['pivot: the activity has no IP address']);
      return { base: { ip: a.ip }, filters: [] };
    case 'action':
      return { base: { action: a.action, app: a.app }, filters: [] };
    case 'country':
      if (!a.geo?.country) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['pivot: the activity has no country']);
      return { base: {}, filters: [{ field: 'geo.country', op: 'eq', value: a.geo.country, not: false } as FilterCondition] };
    case 'window': {
      const t = Date.parse(a.time);
      return { base: { from: new Date(t - WINDOW_MS).toISOString(), to: new Date(t + WINDOW_MS).toISOString() }, filters: [] };
    }
  }
}

/** Every matching activity, page after page, without a row limit. */
async function* allMatching(ctx: ApiContext, s: Search, order: 'asc' | 'desc'): AsyncGenerator<Activity> {
  let cursor: string | null = null;
  do {
    const page = await searchPage(ctx, s, 1000, cursor, order);
    yield* page.items;
    cursor = page.next;
  } while (cursor);
}

export const CSV_COLUMNS: ReadonlyArray<[string, (a: Activity) => unknown]> = [
  ['id', (a) => a.id],
  ['time', (a) => a.time],
  ['app', (a) => a.app],
  ['tenant', (a) => a.tenant],
  ['action', (a) => a.action],
  ['category', (a) => a.category],
  ['outcome', (a) => a.outcome],
  ['actor_email', (a) => a.actor.email],
  ['actor_id', (a) => a.actor.id],
  ['actor_name', (a) => a.actor.name],
  ['target_type', (a) => a.target?.type],
  ['target_id', (a) => a.target?.id],
  ['target_email', (a) => a.target?.email],
  ['objects', (a) => a.objects.map((o) => o.name ?? o.id ?? o.type).join('; ')],
  ['is_admin_activity', (a) => a.isAdminActivity],
  ['impersonated', (a) => a.impersonated],
  ['ip', (a) => a.ip],
  ['country', (a) => a.geo?.country],
  ['city', (a) => a.geo?.city],
  ['isp', (a) => a.isp],
  ['asn', (a) => a.asn],
  ['ip_category', (a) => a.ipCategory],
  ['ip_tags', (a) => a.ipTags.join('; ')],
  ['device_type', (a) => a.device?.type],
  ['user_agent', (a) => a.userAgent],
  ['user_agent_tags', (a) => a.userAgentTags.join('; ')],
];

/** RFC 4180 quoting, and a leading `'` on cells a spreadsheet would run as a formula (CSV injection). */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function* exportLines(rows: AsyncIterable<Activity>, format: 'csv' | 'ndjson'): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_COLUMNS.map(([h]) => h).join(',') + '\r\n';
  let batch = '';
  let n = 0;
  for await (const a of rows) {
    batch += format === 'csv' ? CSV_COLUMNS.map(([, f]) => csvCell(f(a))).join(',') + '\r\n' : JSON.stringify(a) + '\n';
    if (++n % 500 === 0) {
      yield batch;
      batch = '';
    }
  }
  if (batch) yield batch;
}

const searchOf = (query: z.output<typeof ListQuery>): Search => {
  const { filters, limit: _l, cursor: _c, order: _o, ...base } = query;
  return { base, filters: (filters ?? []) as FilterCondition[] };
};

export function activityRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/filter-language',
      access: 'viewer',
      tag: 'activities',
      summary: 'Fields and operators of the policy filter language (for filter builders)',
      response: z.object({
        fields: z.array(z.object({ name: z.string(), kind: z.string(), label: z.string(), roles: z.array(z.string()) })),
        operators: z.array(z.object({ name: z.string(), label: z.string(), kinds: z.array(z.string()), arity: z.enum(['none', 'some', 'pair']), matchesMissing: z.boolean() })),
      }),
      handler: async () => ({
        fields: Object.entries(FIELDS).map(([name, f]) => ({ name, kind: f.kind, label: f.label, roles: f.roles ? [...USER_ROLES] : [] })),
        operators: Object.values(OPERATORS).map((o) => ({ name: o.name, label: o.label, kinds: [...o.kinds], arity: o.arity, matchesMissing: o.matchesMissing })),
      }),
    }),
    route({
      method: 'GET',
      url: '/api/activities',
      access: 'viewer',
      tag: 'activities',
      summary: 'Query activities by simple parameters and, optionally, `filters` (the policy filter language as URL-encoded JSON)',
      query: ListQuery,
      response: FilteredPageSchema,
      handler: async ({ query }) => searchPage(ctx, searchOf(query), query.limit, query.cursor, query.order),
    }),
    route({
      method: 'POST',
      url: '/api/activities/query',
      readOnly: true,
      access: 'viewer',
      tag: 'activities',
      summary: 'Query activities with the policy filter language (a read: no state changes)',
      body: QueryBody,
      response: FilteredPageSchema,
      handler: async ({ body }) => searchPage(ctx, { base: body.base, filters: body.filters as FilterCondition[] }, body.limit, body.cursor, body.order),
    }),
    route({
      method: 'GET',
      url: '/api/activities/export',
      access: 'viewer',
      tag: 'activities',
      summary: 'Export every matching activity (same parameters as the list), streamed as CSV or NDJSON, no row limit',
      query: ListQuery.omit({ limit: true, cursor: true }).extend({ format: z.enum(['csv', 'ndjson']).default('ndjson') }),
      produces: ['text/csv', 'application/x-ndjson'],
      handler: async ({ query, reply, audit }) => {
        const { format, ...rest } = query;
        const search = searchOf({ ...rest, limit: 1000 });
        // Compile errors surface as a 400 before the stream starts.
        await searchPage(ctx, search, 1, null, query.order);
        audit('activity.export', null, { format });
        const stamp = new Date(ctx.now()).toISOString().replace(/[:.]/g, '-');
        reply
          .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
          .header('content-disposition', `attachment; filename="rampart-activities-${stamp}.${format === 'csv' ? 'csv' : 'ndjson'}"`);
        return reply.send(Readable.from(exportLines(allMatching(ctx, search, query.order), format)));
      },
    }),
    route({
      method: 'GET',
      url: '/api/activities/:id',
      access: 'viewer',
      tag: 'activities',
      summary: 'One activity, with its raw payload',
      params: z.object({ id: z.string().min(1).max(512) }),
      response: ActivitySchema,
      handler: async ({ params }) => {
        const a = await ctx.store.getActivity(params.id);
        if (!a) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['activity', params.id]);
        return a;
      },
    }),
    route({
      method: 'GET',
      url: '/api/activities/:id/pivot/:pivot',
      access: 'viewer',
      tag: 'activities',
      summary: 'Activities related to one: same user, same IP, same country, same action, or the 48 hours around it',
      params: z.object({ id: z.string().min(1).max(512), pivot: z.enum(PIVOTS) }),
      query: z.object({ limit: q.int(1, 1000).default(100), cursor: q.cursor().optional(), order: z.enum(['asc', 'desc']).default('desc') }),
      response: FilteredPageSchema.extend({ pivot: z.enum(PIVOTS), base: z.record(z.string(), z.unknown()), filters: z.array(z.unknown()) }),
      handler: async ({ params, query }) => {
        const a = await ctx.store.getActivity(params.id);
        if (!a) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['activity', params.id]);
        const s = pivotSearch(a, params.pivot);
        const page = await searchPage(ctx, s, query.limit, query.cursor, query.order);
        return { ...page, pivot: params.pivot, base: s.base, filters: s.filters };
      },
    }),
  ];
}

/** Activities export as a helper for other routes (users). */
export { searchPage };
