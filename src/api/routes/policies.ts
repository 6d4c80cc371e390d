/**
 * @module api/routes/policies
 * Activity policies as data through the API: CRUD (stored as Store documents of kind `policy`), validation
 * with the same compiler and lint as `rampart policy validate`, and backtests over the stored history.
 * Policies in the config's policies folder are listed read-only (`source: file`). A policy whose actions
 * suspend accounts may only be written by an admin (a runaway policy must not lock out the company).
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import {
  backtest,
  backtestScan,
  compilePolicy,
  FilterCompileError,
  lintPolicy,
  loadPolicies,
  PolicySchema,
  storeActivities,
  type Policy,
} from '../../detect/policy/index.ts';
import type { Principal } from '../auth/principal.ts';
import type { ApiContext } from '../context.ts';
import { roleAllows, route } from '../route.ts';

export const POLICY_KIND = 'policy';
const DAY_MS = 86_400_000;

const IssueSchema = z.object({ path: z.string(), message: z.string() });
/** Kind of the Store documents `rampart serve` writes when a runaway policy is disabled automatically. */
export const AUTO_DISABLE_KIND = 'policy_auto_disable';
const AutoDisabledSchema = z.object({ reason: z.string(), count: z.number(), threshold: z.number(), at: z.string(), recordedAt: z.string(), message: z.string() });
const PolicyViewSchema = z.object({
  policy: PolicySchema,
  source: z.enum(['api', 'file']),
  file: z.string().nullable(),
  updatedAt: z.string().nullable(),
  /** The latest automatic disable of this policy (too many matches), when there is one since its last change. */
  autoDisabled: AutoDisabledSchema.nullable().default(null),
});
const NameParams = z.object({ name: z.string().min(1).max(128) });

const BacktestReportSchema = z.object({
  policies: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  scanned: z.number().int(),
  matches: z.number().int(),
  alerts: z.number().int(),
  perDay: z.array(z.object({ day: z.string(), matches: z.number().int(), alerts: z.number().int() })),
  perPolicy: z.record(z.string(), z.object({ matches: z.number(), alerts: z.number(), suppressedByDailyLimit: z.number(), suppressedByWindow: z.number() })),
  samples: z.array(
    z.object({
      policy: z.string(),
      detection: z.string(),
      time: z.string(),
      user: z.string().nullable(),
      title: z.string(),
      severity: z.string(),
      activityIds: z.array(z.string()),
      evidence: z.array(z.string()),
    }),
  ),
  autoDisabled: z.array(z.record(z.string(), z.unknown())),
  elapsedMs: z.number(),
  eventsPerSec: z.number(),
});

const compileIssues = (err: unknown): { path: string; message: string }[] | null =>
  err instanceof FilterCompileError ? err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) : null;

export function policyRoutes(ctx: ApiContext) {
  const stored = async (): Promise<{ policy: Policy; updatedAt: string }[]> =>
    (await ctx.store.listDocs<Policy>(POLICY_KIND)).map((d) => ({ policy: PolicySchema.parse(d.body), updatedAt: d.updatedAt }));

  const fromFiles = () => {
    const dir = ctx.config.policies.directory;
    if (!existsSync(dir)) return [];
    return loadPolicies([dir]).policies;
  };

  const notify = async (changed: string) => {
    if (ctx.onPoliciesChanged) await ctx.onPoliciesChanged((await stored()).map((s) => s.policy), changed);
  };

  /** Parses and compiles; a problem is a 400 naming the path. */
  const check = async (input: unknown, by: Principal | null): Promise<Policy> => {
    let policy: Policy;
    try {
      policy = compilePolicy(input as Policy, await ctx.filterEnv()).policy;
    } catch (err) {
      const issues = compileIssues(err);
      if (issues) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`body.${issues[0].path}: ${issues[0].message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`]);
      throw err;
    }
    if (policy.actions.some((a) => a.action === 'suspend_user') && (!by || !roleAllows(by.role, 'admin')))
      throw new RampartError('RAMPART_ERR_API_FORBIDDEN', [by?.role ?? 'anonymous', 'write a policy that suspends accounts (admin only)']);
    return policy;
  };

  /** A stored policy that suspends accounts is the admins' to replace or delete, as it is theirs to write. */
  const mayReplace = async (name: string, by: Principal | null) => {
    const current = (await ctx.store.getDoc<Policy>(POLICY_KIND, name))?.body;
    if (current?.actions.some((a) => a.action === 'suspend_user') && (!by || !roleAllows(by.role, 'admin')))
      throw new RampartError('RAMPART_ERR_API_FORBIDDEN', [by?.role ?? 'anonymous', 'replace or delete a policy that suspends accounts (admin only)']);
  };

  const put = async (policy: Policy) => {
    const now = new Date(ctx.now()).toISOString();
    await ctx.store.putDoc({ kind: POLICY_KIND, id: policy.name, body: policy, updatedAt: now });
    await notify(policy.name);
    return { policy, source: 'api' as const, file: null, updatedAt: now };
  };

  const mustGet = async (name: string) => {
    const d = await ctx.store.getDoc<Policy>(POLICY_KIND, name);
    if (!d) {
      if (fromFiles().some((p) => p.policy.name === name)) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`name: policy ${name} comes from the policies folder; edit its file`]);
      throw new RampartError('RAMPART_ERR_STORE_NOT_FOUND', ['policy', name]);
    }
    return { policy: PolicySchema.parse(d.body), updatedAt: d.updatedAt };
  };

  const BacktestBody = z
    .object({
      /** A stored policy by name, or an unsaved policy object (what-if while editing). */
      name: z.string().min(1).max(128).optional(),
      policy: z.unknown().optional(),
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      /** When `from` is absent: this many days back from now. */
      sinceDays: z.number().int().min(1).max(3650).default(30),
      sampleSize: z.number().int().min(0).max(200).default(20),
    })
    .strict()
    .refine((b) => (b.name === undefined) !== (b.policy === undefined), { message: 'give exactly one of name or policy', path: ['name'] });

  return [
    route({
      method: 'GET',
      url: '/api/policies',
      access: 'viewer',
      tag: 'policies',
      summary: 'Every policy: API-managed and from the policies folder (read-only)',
      response: z.object({ items: z.array(PolicyViewSchema), fileIssues: z.array(z.string()) }),
      handler: async () => {
        const dir = ctx.config.policies.directory;
        const files = existsSync(dir) ? loadPolicies([dir]) : { policies: [], issues: [] };
        const disables = new Map<string, z.output<typeof AutoDisabledSchema> & { policy: string }>();
        for (const d of await ctx.store.listDocs<z.output<typeof AutoDisabledSchema> & { policy: string }>(AUTO_DISABLE_KIND)) {
          const prev = disables.get(d.body.policy);
          if (!prev || prev.recordedAt < d.body.recordedAt) disables.set(d.body.policy, d.body);
        }
        const disabled = (name: string, since: string | null) => {
          const r = disables.get(name);
          return r && (!since || r.recordedAt >= since) ? { reason: r.reason, count: r.count, threshold: r.threshold, at: r.at, recordedAt: r.recordedAt, message: r.message } : null;
        };
        return {
          items: [
            ...(await stored()).map((s) => ({ policy: s.policy, source: 'api' as const, file: null, updatedAt: s.updatedAt, autoDisabled: disabled(s.policy.name, s.updatedAt) })),
            ...files.policies.map((p) => ({ policy: p.policy, source: 'file' as const, file: `${p.file}:${p.line}`, updatedAt: null, autoDisabled: disabled(p.policy.name, null) })),
          ],
          fileIssues: files.issues.map((i) => `${i.file}${i.line ? `:${i.line}:${i.col}` : ''}: ${i.level}: ${i.path ? `${i.path}: ` : ''}${i.message}`),
        };
      },
    }),
    route({
      method: 'GET',
      url: '/api/policies/:name',
      access: 'viewer',
      tag: 'policies',
      summary: 'One API-managed policy',
      params: NameParams,
      response: PolicyViewSchema,
      handler: async ({ params }) => {
        const s = await mustGet(params.name);
        return { policy: s.policy, source: 'api' as const, file: null, updatedAt: s.updatedAt };
      },
    }),
    route({
      method: 'POST',
      url: '/api/policies',
      access: 'analyst',
      tag: 'policies',
      summary: 'Create a policy (409 when the name exists)',
      body: PolicySchema,
      status: 201,
      response: PolicyViewSchema,
      handler: async ({ body, principal, audit }) => {
        audit('policy.create', body.name, { enabled: body.enabled, severity: body.severity });
        const policy = await check(body, principal);
        return ctx.locks.run(`policy:${policy.name}`, async () => {
          if (await ctx.store.getDoc(POLICY_KIND, policy.name)) throw new RampartError('RAMPART_ERR_API_CONFLICT', ['policy', policy.name]);
          if (fromFiles().some((p) => p.policy.name === policy.name)) throw new RampartError('RAMPART_ERR_API_CONFLICT', ['policy (in the policies folder)', policy.name]);
          return put(policy);
        });
      },
    }),
    route({
      method: 'PUT',
      url: '/api/policies/:name',
      access: 'analyst',
      tag: 'policies',
      summary: 'Create or replace a policy',
      params: NameParams,
      body: PolicySchema.omit({ name: true }),
      response: PolicyViewSchema,
      handler: async ({ params, body, principal, audit }) => {
        audit('policy.put', params.name, { enabled: body.enabled, severity: body.severity });
        const policy = await check({ ...body, name: params.name }, principal);
        return ctx.locks.run(`policy:${policy.name}`, async () => {
          await mayReplace(policy.name, principal);
          return put(policy);
        });
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/policies/:name',
      access: 'analyst',
      tag: 'policies',
      summary: 'Enable or disable a policy, or change its severity',
      params: NameParams,
      body: z.object({ enabled: z.boolean().optional(), severity: PolicySchema.shape.severity.unwrap().optional() }).strict(),
      response: PolicyViewSchema,
      handler: async ({ params, body, principal, audit }) => {
        audit('policy.update', params.name, { ...body });
        return ctx.locks.run(`policy:${params.name}`, async () => {
          const s = await mustGet(params.name);
          const policy = await check({ ...s.policy, ...body }, principal);
          return put(policy);
        });
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/policies/:name',
      access: 'analyst',
      tag: 'policies',
      summary: 'Delete an API-managed policy',
      params: NameParams,
      response: z.object({ deleted: z.string() }),
      handler: async ({ params, principal, audit }) => {
        audit('policy.delete', params.name);
        return ctx.locks.run(`policy:${params.name}`, async () => {
          await mustGet(params.name);
          await mayReplace(params.name, principal);
          await ctx.store.deleteDoc(POLICY_KIND, params.name);
          await notify(params.name);
          return { deleted: params.name };
        });
      },
    }),
    route({
      method: 'POST',
      url: '/api/policies/validate',
      readOnly: true,
      access: 'viewer',
      tag: 'policies',
      summary: 'Validate a policy without saving it: errors and lint warnings with paths (a read: no state changes)',
      body: z.object({ policy: z.unknown() }).strict(),
      response: z.object({ valid: z.boolean(), errors: z.array(IssueSchema), warnings: z.array(IssueSchema), policy: PolicySchema.nullable() }),
      handler: async ({ body }) => {
        const env = await ctx.filterEnv();
        try {
          const { policy } = compilePolicy(body.policy as Policy, env);
          const warnings = lintPolicy(policy, env).map((w) => ({ path: w.path.join('.'), message: w.message }));
          return { valid: true, errors: [], warnings, policy };
        } catch (err) {
          const issues = compileIssues(err);
          if (!issues) throw err;
          return { valid: false, errors: issues, warnings: [], policy: null };
        }
      },
    }),
    route({
      method: 'POST',
      url: '/api/policies/backtest',
      access: 'analyst',
      tag: 'policies',
      summary: 'Backtest a stored or unsaved policy over the stored history: what it would have raised, per day, with samples',
      body: BacktestBody,
      response: BacktestReportSchema,
      handler: async ({ body, audit }) => {
        audit('policy.backtest', body.name ?? null, { sinceDays: body.sinceDays });
        const env = await ctx.filterEnv();
        let policy: Policy;
        if (body.name) policy = (await mustGet(body.name)).policy;
        else {
          try {
            policy = compilePolicy(body.policy as Policy, env).policy;
          } catch (err) {
            const issues = compileIssues(err);
            if (issues) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`body.policy.${issues[0].path}: ${issues[0].message}`]);
            throw err;
          }
        }
        const to = body.to ? new Date(body.to).toISOString() : new Date(ctx.now() + 1).toISOString();
        const from = body.from ? new Date(body.from).toISOString() : new Date(ctx.now() - body.sinceDays * DAY_MS).toISOString();
        if (from >= to) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', ['body.from: must be before to']);
        const autoDisable = { maxMatchesPerDay: ctx.config.policies.autoDisableMatchesPerDay, maxMatchesPer3Hours: ctx.config.policies.autoDisableMatchesPer3Hours };
        const report = await backtest([policy], storeActivities(ctx.store, backtestScan([policy], from, to)), { env, autoDisable, sampleSize: body.sampleSize });
        return { ...report, from, to, autoDisabled: report.autoDisabled as unknown as Record<string, unknown>[] };
      },
    }),
  ];
}
