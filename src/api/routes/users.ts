/**
 * @module api/routes/users
 * Investigating a user: investigation priority (sum of alert and risky-activity weights over 7 days, resettable),
 * countries / IPs / devices seen with first and last seen, the detections' baselines, alerts and activities.
 */
import { z } from 'zod';
import { ActivitySchema, type Activity } from '../../schema/activity.ts';
import { AlertSchema, type Alert } from '../../schema/alert.ts';
import { DirectoryUserSchema } from '../../schema/directory.ts';
import { readSettings, type PriorityWeights } from '../settings.ts';
import type { ApiContext } from '../context.ts';
import { pageOf, q, route } from '../route.ts';

const DAY_MS = 86_400_000;
const PRIORITY_DAYS = 7;
/** MDCA user insights cover 30 days. */
const SEEN_DAYS = 30;
/** Most activities read to build one user's page (the result says when it stopped early). */
const MAX_SCAN = 100_000;
export const PRIORITY_RESET_KIND = 'user_priority_reset';
/** Users scored by one /api/users/top call. */
const MAX_TOP_CANDIDATES = 200;

const RISKY_IP_CATEGORIES = new Set(['risky', 'tor', 'anonymizer']);

const SeenSchema = z.object({ value: z.string(), count: z.number().int(), firstSeen: z.string(), lastSeen: z.string() });
const PrioritySchema = z.object({
  score: z.number(),
  since: z.string(),
  resetAt: z.string().nullable(),
  alerts: z.number().int(),
  riskyActivities: z.number().int(),
  breakdown: z.array(z.object({ kind: z.string(), count: z.number().int(), weight: z.number(), points: z.number() })),
  /** True when more activities existed than were read (the score is then a lower bound). */
  truncated: z.boolean(),
});

async function* userActivities(ctx: ApiContext, user: string, from: string, to: string): AsyncGenerator<Activity> {
  let cursor: string | null = null;
  do {
    const page = await ctx.store.queryActivities({ user, from, to, limit: 1000, cursor, order: 'desc' });
    yield* page.items;
    cursor = page.next;
  } while (cursor);
}

async function userAlertsSince(ctx: ApiContext, user: string, from: string): Promise<Alert[]> {
  const out: Alert[] = [];
  let cursor: string | null = null;
  do {
    const page = await ctx.store.listAlerts({ user, from, limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor && out.length < MAX_SCAN);
  return out;
}

export async function investigationPriority(ctx: ApiContext, user: string, weights: PriorityWeights): Promise<z.output<typeof PrioritySchema>> {
  const now = ctx.now();
  const reset = (await ctx.store.getDoc<{ at: string }>(PRIORITY_RESET_KIND, user.toLowerCase()))?.body.at ?? null;
  const windowStart = new Date(now - PRIORITY_DAYS * DAY_MS).toISOString();
  const since = reset && reset > windowStart ? reset : windowStart;
  const to = new Date(now + 1).toISOString();
  // A false positive is "a nonmalicious activity": it does not raise the user's priority.
  const alerts = (await userAlertsSince(ctx, user, since)).filter((a) => a.classification !== 'false_positive' && a.time >= since);
  const bySeverity = new Map<string, number>();
  for (const a of alerts) bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + 1);
  let riskyIp = 0;
  let failed = 0;
  let impersonated = 0;
  let scanned = 0;
  let truncated = false;
  for await (const a of userActivities(ctx, user, since, to)) {
    if (++scanned > MAX_SCAN) {
      truncated = true;
      break;
    }
    if ((a.ipCategory && RISKY_IP_CATEGORIES.has(a.ipCategory)) || a.ipTags.some((t) => /tor|anonym/i.test(t))) riskyIp++;
    if (a.category === 'login' && a.outcome === 'failure') failed++;
    if (a.impersonated) impersonated++;
  }
  const breakdown = [
    ...[...bySeverity].map(([sev, count]) => ({ kind: `alert:${sev}`, count, weight: weights.alert[sev as keyof PriorityWeights['alert']] })),
    { kind: 'risky_ip', count: riskyIp, weight: weights.riskyIp },
    { kind: 'failed_sign_in', count: failed, weight: weights.failedSignIn },
    { kind: 'impersonated', count: impersonated, weight: weights.impersonated },
  ]
    .filter((b) => b.count > 0)
    .map((b) => ({ ...b, points: b.count * b.weight }));
  return {
    score: breakdown.reduce((s, b) => s + b.points, 0),
    since,
    resetAt: reset,
    alerts: alerts.length,
    riskyActivities: riskyIp + failed + impersonated,
    breakdown,
    truncated,
  };
}

function seenAdd(m: Map<string, z.output<typeof SeenSchema>>, value: string | null | undefined, time: string): void {
  if (!value) return;
  const s = m.get(value);
  if (!s) m.set(value, { value, count: 1, firstSeen: time, lastSeen: time });
  else {
    s.count++;
    if (time < s.firstSeen) s.firstSeen = time;
    if (time > s.lastSeen) s.lastSeen = time;
  }
}

/** Each detection's learned state for this user (the engine's per-user record). */
export function userBaselines(ctx: ApiContext, user: string): Record<string, unknown> {
  return ctx.engine.userState(user.toLowerCase()) ?? {};
}

const UserParams = z.object({ user: z.string().min(1).max(320) });
const bySeenDesc = (a: { lastSeen: string }, b: { lastSeen: string }) => (a.lastSeen < b.lastSeen ? 1 : -1);

export function userRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/users',
      access: 'viewer',
      tag: 'users',
      summary: 'Users from the directory, optionally searched by email or name',
      query: z.object({ search: q.str(200).optional(), app: q.str(64).optional(), limit: q.int(1, 1000).default(100) }),
      response: z.object({ items: z.array(DirectoryUserSchema), total: z.number().int() }),
      handler: async ({ query }) => {
        const needle = query.search?.toLowerCase();
        const all = (await ctx.store.listDirectoryUsers(query.app)).filter(
          (u) => !needle || u.email?.toLowerCase().includes(needle) || u.name?.toLowerCase().includes(needle) || u.id.toLowerCase().includes(needle),
        );
        return { items: all.slice(0, query.limit), total: all.length };
      },
    }),
    route({
      method: 'GET',
      url: '/api/users/top',
      access: 'viewer',
      tag: 'users',
      summary: 'Users with the highest investigation priority (among users with alerts in the last 7 days)',
      query: z.object({ limit: q.int(1, 100).default(10) }),
      response: z.object({ items: z.array(z.object({ user: z.string(), priority: PrioritySchema })), candidates: z.number().int() }),
      handler: async ({ query }) => {
        const settings = await readSettings(ctx.store);
        const since = new Date(ctx.now() - PRIORITY_DAYS * DAY_MS).toISOString();
        // Candidates: users with an alert in the window, most alerts first (a user with none scores only risky activities).
        const counts = new Map<string, number>();
        let cursor: string | null = null;
        let seen = 0;
        do {
          const page = await ctx.store.listAlerts({ from: since, limit: 1000, cursor });
          for (const a of page.items) if (a.user) counts.set(a.user.toLowerCase(), (counts.get(a.user.toLowerCase()) ?? 0) + 1);
          seen += page.items.length;
          cursor = page.next;
        } while (cursor && seen < MAX_SCAN);
        const candidates = [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_TOP_CANDIDATES).map(([u]) => u);
        const scored = [];
        for (const user of candidates) scored.push({ user, priority: await investigationPriority(ctx, user, settings.priorityWeights) });
        scored.sort((a, b) => b.priority.score - a.priority.score || (a.user < b.user ? -1 : 1));
        return { items: scored.slice(0, query.limit), candidates: candidates.length };
      },
    }),
    route({
      method: 'GET',
      url: '/api/users/:user',
      access: 'viewer',
      tag: 'users',
      summary: 'A user page: directory entries, investigation priority, countries/IPs/devices with first and last seen, baselines',
      params: UserParams,
      response: z.object({
        user: z.string(),
        directory: z.array(DirectoryUserSchema),
        priority: PrioritySchema,
        seen: z.object({
          since: z.string(),
          countries: z.array(SeenSchema),
          ips: z.array(SeenSchema),
          devices: z.array(SeenSchema),
          apps: z.array(SeenSchema),
          activities: z.number().int(),
          truncated: z.boolean(),
        }),
        baselines: z.record(z.string(), z.unknown()),
      }),
      handler: async ({ params }) => {
        const user = params.user.toLowerCase();
        const settings = await readSettings(ctx.store);
        const directory = (await ctx.store.listDirectoryUsers()).filter((u) => u.email?.toLowerCase() === user || u.id.toLowerCase() === user);
        const since = new Date(ctx.now() - SEEN_DAYS * DAY_MS).toISOString();
        const countries = new Map();
        const ips = new Map();
        const devices = new Map();
        const apps = new Map();
        let n = 0;
        let truncated = false;
        for await (const a of userActivities(ctx, user, since, new Date(ctx.now() + 1).toISOString())) {
          if (++n > MAX_SCAN) {
            truncated = true;
            n--;
            break;
          }
          seenAdd(countries, a.geo?.country, a.time);
          seenAdd(ips, a.ip, a.time);
          seenAdd(apps, a.app, a.time);
          const dev = a.device ? [a.device.type, a.device.os, a.device.browser].filter(Boolean).join(' / ') : null;
          seenAdd(devices, dev, a.time);
        }
        const list = (m: Map<string, z.output<typeof SeenSchema>>) => [...m.values()].sort(bySeenDesc);
        return {
          user,
          directory,
          priority: await investigationPriority(ctx, user, settings.priorityWeights),
          seen: { since, countries: list(countries), ips: list(ips), devices: list(devices), apps: list(apps), activities: n, truncated },
          baselines: userBaselines(ctx, user),
        };
      },
    }),
    route({
      method: 'POST',
      url: '/api/users/:user/priority/reset',
      access: 'analyst',
      tag: 'users',
      summary: 'Reset the investigation priority score (counts start again from now)',
      params: UserParams,
      response: z.object({ user: z.string(), resetAt: z.string() }),
      handler: async ({ params, audit }) => {
        const user = params.user.toLowerCase();
        const at = new Date(ctx.now()).toISOString();
        await ctx.store.putDoc({ kind: PRIORITY_RESET_KIND, id: user, body: { at }, updatedAt: at });
        audit('user.priority_reset', user);
        return { user, resetAt: at };
      },
    }),
    route({
      method: 'GET',
      url: '/api/users/:user/alerts',
      access: 'viewer',
      tag: 'users',
      summary: "The user's alerts, newest first",
      params: UserParams,
      query: z.object({ limit: q.int(1, 1000).default(100), cursor: q.cursor().optional() }),
      response: pageOf(AlertSchema),
      handler: async ({ params, query }) => ctx.store.listAlerts({ user: params.user, limit: query.limit, cursor: query.cursor }),
    }),
    route({
      method: 'GET',
      url: '/api/users/:user/activities',
      access: 'viewer',
      tag: 'users',
      summary: "The user's activities (as actor), newest first",
      params: UserParams,
      query: z.object({ from: q.iso().optional(), to: q.iso().optional(), limit: q.int(1, 1000).default(100), cursor: q.cursor().optional() }),
      response: pageOf(ActivitySchema),
      handler: async ({ params, query }) => ctx.store.queryActivities({ user: params.user, ...query }),
    }),
  ];
}
