/**
 * @module api/routes/alerts
 * Alert triage: list with filters and a cursor, get, update status/assignee/classification (MDCA reason ids,
 * mdca-semantics.md section 4), bulk update, related activities, and the alert's history (who, when, what).
 */
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import { ActivitySchema } from '../../schema/activity.ts';
import { ALERT_STATUSES, AlertSchema, CLASSIFICATIONS, SEVERITIES, type Alert, type Classification } from '../../schema/alert.ts';
import { principalLabel, type Principal } from '../auth/principal.ts';
import type { ApiContext } from '../context.ts';
import { ALERT_SORTS } from '../../store/store.ts';
import { SUPPRESS_BY, SuppressionSchema } from '../suppressions.ts';
import { pageOf, q, route } from '../route.ts';

/**
 * Reasons a person gives when closing an alert, by classification, with MDCA's `reasonId` in comments.
 * True positives take a comment only.
 */
export const CLASSIFICATION_REASONS = {
  true_positive: [],
  benign_true_positive: ['actual_severity_lower' /* 2 */, 'confirmed_with_end_user' /* 5 */, 'triggered_by_test' /* 6 */, 'other' /* 4 */],
  false_positive: ['not_of_interest' /* 0 */, 'too_many_similar_alerts' /* 1 */, 'alert_not_accurate' /* 3 */, 'other' /* 4 */],
} as const satisfies Record<Classification, readonly string[]>;
const ALL_REASONS = [...new Set(Object.values(CLASSIFICATION_REASONS).flat())] as [string, ...string[]];

export const ALERT_HISTORY_KIND = 'alert_history';
const MAX_HISTORY = 1000;

export const AlertUpdateSchema = z
  .object({
    status: z.enum(ALERT_STATUSES).optional(),
    /** Account email of the person handling it; null to unassign. */
    assignee: z.string().min(1).max(320).nullable().optional(),
    /** Setting a classification resolves the alert. */
    classification: z.enum(CLASSIFICATIONS).optional(),
    /** Required for benign_true_positive and false_positive; see CLASSIFICATION_REASONS. */
    reason: z.enum(ALL_REASONS).optional(),
    comment: z.string().max(4000).optional(),
    /**
     * With a false_positive or benign_true_positive classification: suppress future alerts of this detection
     * for this user (`user`), narrowed to the alert's IP (`ip`) and/or its ISP (`isp`). Listed at /api/suppressions.
     */
    suppress: z.array(z.enum(SUPPRESS_BY)).min(1).max(3).optional(),
    /** With `suppress`: the suppression lapses after this many days (default: until removed). */
    suppressForDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict();
export type AlertUpdate = z.output<typeof AlertUpdateSchema>;

const FieldChangeSchema = z.object({ from: z.unknown(), to: z.unknown() });
export const HistoryEntrySchema = z.object({
  at: z.string(),
  by: z.string(),
  changes: z.record(z.string(), FieldChangeSchema),
  comment: z.string().nullable(),
});
type HistoryEntry = z.output<typeof HistoryEntrySchema>;

const LIFECYCLE = ['status', 'assignee', 'classification', 'classificationReason', 'comment'] as const;

/** Applies an update to an alert; throws a 400 naming the field when the combination is not allowed. */
export function applyUpdate(a: Alert, u: AlertUpdate, nowIso: string): Alert {
  const next: Alert = { ...a };
  if (u.assignee !== undefined) next.assignee = u.assignee;
  if (u.comment !== undefined) next.comment = u.comment;
  if (u.classification) {
    if (u.status && u.status !== 'resolved') throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['body.classification: a classification resolves the alert; status must be resolved or omitted']);
    const allowed: readonly string[] = CLASSIFICATION_REASONS[u.classification];
    if (allowed.length === 0 && u.reason) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`body.reason: ${u.classification} takes a comment only, no reason`]);
    if (allowed.length > 0 && !u.reason) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`body.reason: required for ${u.classification}, one of ${allowed.join(', ')}`]);
    if (u.reason && !allowed.includes(u.reason)) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`body.reason: ${u.reason} is not a reason for ${u.classification} (one of ${allowed.join(', ')})`]);
    next.status = 'resolved';
    next.classification = u.classification;
    next.classificationReason = u.reason ?? null;
  } else if (u.reason) {
    throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['body.reason: give it with a classification']);
  } else if (u.status) {
    next.status = u.status;
    // Reopening clears the verdict: it no longer holds.
    if (u.status !== 'resolved') {
      next.classification = null;
      next.classificationReason = null;
    }
  }
  if (u.suppress && u.classification !== 'false_positive' && u.classification !== 'benign_true_positive')
    throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['body.suppress: only with a false_positive or benign_true_positive classification']);
  if (u.suppressForDays !== undefined && !u.suppress) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['body.suppressForDays: only with body.suppress']);
  const changed = LIFECYCLE.some((k) => next[k] !== a[k]);
  if (changed) next.updatedAt = nowIso;
  return next;
}

export async function alertHistory(ctx: ApiContext, id: string): Promise<HistoryEntry[]> {
  return (await ctx.store.getDoc<{ entries: HistoryEntry[] }>(ALERT_HISTORY_KIND, id))?.body.entries ?? [];
}

/** Reads, updates, stores and records one alert (serialised per alert), and pushes it to live consoles. */
export async function updateAlert(ctx: ApiContext, id: string, u: AlertUpdate, by: Principal | null): Promise<Alert> {
  return ctx.locks.run(`alert:${id}`, async () => {
    const a = await ctx.store.getAlert(id);
    if (!a) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['alert', id]);
    if (u.assignee) {
      const acct = await ctx.accounts.get(u.assignee);
      if (!acct) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`body.assignee: no account ${u.assignee}`]);
    }
    const now = new Date(ctx.now()).toISOString();
    const next = applyUpdate(a, u, now);
    const changes: HistoryEntry['changes'] = {};
    for (const k of LIFECYCLE) if (next[k] !== a[k]) changes[k] = { from: a[k], to: next[k] };
    if (u.suppress) {
      const lastActivity = a.activityIds.length ? await ctx.store.getActivity(a.activityIds[a.activityIds.length - 1]) : null;
      const s = await ctx.suppressions.add({ alert: a, by: u.suppress, isp: lastActivity?.isp ?? null, classification: u.classification!, reason: u.reason ?? null, comment: u.comment ?? null, createdBy: principalLabel(by), now, forDays: u.suppressForDays ?? null });
      changes.suppression = { from: null, to: s.id };
    }
    if (Object.keys(changes).length === 0) return a;
    if (LIFECYCLE.some((k) => next[k] !== a[k])) await ctx.store.putAlert(next);
    const entries = await alertHistory(ctx, id);
    entries.push({ at: now, by: principalLabel(by), changes, comment: u.comment ?? null });
    await ctx.store.putDoc({ kind: ALERT_HISTORY_KIND, id, body: { entries: entries.slice(-MAX_HISTORY) }, updatedAt: now });
    ctx.stream.publish({ type: 'alert.updated', alert: next });
    return next;
  });
}

const IdParams = z.object({ id: z.string().min(1).max(256) });
/** Most alerts counted by one stats call. */
const MAX_STATS_ALERTS = 200_000;

export function alertRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/alerts',
      access: 'viewer',
      tag: 'alerts',
      summary: 'List alerts, newest first (or most severe first, or by user), with filters and a cursor',
      description:
        '`sort`: `time` (default, newest first), `severity` (high, medium, low, informational; newest first within each) or `user` ' +
        '(A to Z, alerts without a user last). The sort covers every alert the filters match, not one page; a `cursor` is only valid with the `sort` that issued it.',
      query: z.object({
        status: z.enum(ALERT_STATUSES).optional(),
        severity: z.enum(SEVERITIES).optional(),
        detection: q.str(256).optional(),
        user: q.str(320).optional(),
        from: q.iso().optional(),
        to: q.iso().optional(),
        sort: z.enum(ALERT_SORTS).default('time'),
        limit: q.int(1, 1000).default(100),
        cursor: q.cursor().optional(),
      }),
      response: pageOf(AlertSchema),
      handler: async ({ query }) => ctx.store.listAlerts(query),
    }),
    route({
      method: 'GET',
      url: '/api/alerts/stats',
      access: 'viewer',
      tag: 'alerts',
      summary: 'Alert counts over time by severity, and totals by detection and status (for the overview)',
      query: z.object({ from: q.iso().optional(), to: q.iso().optional(), interval: z.enum(['hour', 'day']).default('day') }),
      response: z.object({
        from: z.string(),
        to: z.string(),
        interval: z.enum(['hour', 'day']),
        buckets: z.array(z.object({ start: z.string(), total: z.number().int(), bySeverity: z.record(z.string(), z.number().int()) })),
        byDetection: z.record(z.string(), z.number().int()),
        byStatus: z.record(z.string(), z.number().int()),
        bySeverity: z.record(z.string(), z.number().int()),
        total: z.number().int(),
        truncated: z.boolean(),
      }),
      handler: async ({ query }) => {
        const step = query.interval === 'hour' ? 3_600_000 : 86_400_000;
        const to = query.to ?? new Date(ctx.now()).toISOString();
        const from = query.from ?? new Date(Date.parse(to) - 30 * 86_400_000).toISOString();
        if (from >= to) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['query.from: must be before to']);
        const first = Math.floor(Date.parse(from) / step) * step;
        const count = Math.ceil((Date.parse(to) - first) / step);
        if (count > 2000) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`query.interval: ${count} buckets; use a shorter range or interval=day`]);
        const buckets = Array.from({ length: count }, (_, i) => ({ start: new Date(first + i * step).toISOString(), total: 0, bySeverity: {} as Record<string, number> }));
        const byDetection: Record<string, number> = {};
        const byStatus: Record<string, number> = {};
        const bySeverity: Record<string, number> = {};
        const inc = (m: Record<string, number>, k: string) => (m[k] = (m[k] ?? 0) + 1);
        let total = 0;
        let truncated = false;
        let cursor: string | null = null;
        do {
          const page = await ctx.store.listAlerts({ from, to, limit: 1000, cursor });
          for (const a of page.items) {
            const b = buckets[Math.floor((Date.parse(a.time) - first) / step)];
            if (!b) continue;
            b.total++;
            inc(b.bySeverity, a.severity);
            inc(byDetection, a.detection);
            inc(byStatus, a.status);
            inc(bySeverity, a.severity);
            total++;
          }
          cursor = page.next;
          if (total >= MAX_STATS_ALERTS) truncated = cursor !== null;
        } while (cursor && !truncated);
        return { from, to, interval: query.interval, buckets, byDetection, byStatus, bySeverity, total, truncated };
      },
    }),
    route({
      method: 'GET',
      url: '/api/alerts/:id',
      access: 'viewer',
      tag: 'alerts',
      summary: 'One alert',
      params: IdParams,
      response: AlertSchema,
      handler: async ({ params }) => {
        const a = await ctx.store.getAlert(params.id);
        if (!a) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['alert', params.id]);
        return a;
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/alerts/:id',
      access: 'analyst',
      tag: 'alerts',
      summary: 'Update status, assignee or classification (with a reason and comment)',
      description:
        'A classification resolves the alert. Reasons: benign_true_positive: actual_severity_lower, confirmed_with_end_user, triggered_by_test, other; false_positive: not_of_interest, too_many_similar_alerts, alert_not_accurate, other; true_positive: comment only. Setting status new or in_progress clears the classification.',
      params: IdParams,
      body: AlertUpdateSchema,
      response: AlertSchema,
      handler: async ({ params, body, principal, audit }) => {
        audit('alert.update', params.id, { ...body });
        return updateAlert(ctx, params.id, body, principal);
      },
    }),
    route({
      method: 'POST',
      url: '/api/alerts/bulk',
      access: 'analyst',
      tag: 'alerts',
      summary: 'Apply one update to many alerts (e.g. resolve with one classification)',
      body: z.object({ ids: z.array(z.string().min(1).max(256)).min(1).max(1000), update: AlertUpdateSchema }).strict(),
      response: z.object({
        updated: z.number().int(),
        failed: z.number().int(),
        results: z.array(z.object({ id: z.string(), ok: z.boolean(), error: z.object({ code: z.string(), message: z.string() }).nullable() })),
      }),
      handler: async ({ body, principal, audit }) => {
        audit('alert.bulk_update', null, { ids: body.ids.slice(0, 100), count: body.ids.length, update: body.update });
        const results = [];
        for (const id of new Set(body.ids)) {
          try {
            await updateAlert(ctx, id, body.update, principal);
            results.push({ id, ok: true, error: null });
          } catch (err) {
            if (!(err instanceof RampartError) || err.status >= 500) throw err;
            results.push({ id, ok: false, error: err.toJSON() });
          }
        }
        return { updated: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results };
      },
    }),
    route({
      method: 'GET',
      url: '/api/alerts/:id/history',
      access: 'viewer',
      tag: 'alerts',
      summary: 'Every change made to the alert: who, when, what',
      params: IdParams,
      response: z.object({ items: z.array(HistoryEntrySchema) }),
      handler: async ({ params }) => {
        if (!(await ctx.store.getAlert(params.id))) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['alert', params.id]);
        return { items: await alertHistory(ctx, params.id) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/suppressions',
      access: 'viewer',
      tag: 'alerts',
      summary: 'Suppressions added by triage feedback, with how often each has matched',
      response: z.object({ items: z.array(SuppressionSchema) }),
      handler: async () => ({ items: await ctx.suppressions.list() }),
    }),
    route({
      method: 'DELETE',
      url: '/api/suppressions/:id',
      access: 'analyst',
      tag: 'alerts',
      summary: 'Remove a suppression (matching alerts are raised again)',
      params: IdParams,
      response: z.object({ deleted: z.string() }),
      handler: async ({ params, audit }) => {
        audit('suppression.delete', params.id);
        if (!(await ctx.suppressions.remove(params.id))) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['suppression', params.id]);
        return { deleted: params.id };
      },
    }),
    route({
      method: 'GET',
      url: '/api/alerts/:id/activities',
      access: 'viewer',
      tag: 'alerts',
      summary: 'The activities that raised the alert, oldest first (missing ones were pruned by retention)',
      params: IdParams,
      response: z.object({ items: z.array(ActivitySchema), missing: z.array(z.string()) }),
      handler: async ({ params }) => {
        const a = await ctx.store.getAlert(params.id);
        if (!a) throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['alert', params.id]);
        const items = [];
        const missing = [];
        for (const id of a.activityIds) {
          const act = await ctx.store.getActivity(id);
          if (act) items.push(act);
          else missing.push(id);
        }
        items.sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : 0));
        return { items, missing };
      },
    }),
  ];
}
