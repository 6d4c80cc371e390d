/**
 * @module api/routes/actions
 * Governance actions through the governance service (src/actions): the governance log, running an action on a
 * user, and retry / revert / approve / reject from the log. Without a governance service the routes answer 503.
 */
import { z } from 'zod';
import { ACTION_NAMES } from '../../actions/action.ts';
import { ENTRY_STATUSES } from '../../actions/log.ts';
import { PROVIDER_NAMES } from '../../actions/provider.ts';
import { RampartError } from '../../core/errors.ts';
import { principalLabel } from '../auth/principal.ts';
import type { ApiContext } from '../context.ts';
import { q, roleAllows, route } from '../route.ts';

/** The governance log entry; the service owns its full shape (src/actions/log.ts), so extra keys pass through. */
const EntrySchema = z.looseObject({
  id: z.string(),
  action: z.string(),
  provider: z.string(),
  status: z.enum(ENTRY_STATUSES),
  statusReason: z.string().nullable(),
  reason: z.string(),
  target: z.looseObject({ user: z.string() }),
  trigger: z.looseObject({ kind: z.enum(['alert', 'manual']) }),
  attemptCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const IdParams = z.object({ id: z.string().min(1).max(256) });
type EntryOut = z.input<typeof EntrySchema>;
/** The service's entries are checked against EntrySchema on the way out; their extra keys pass through. */
const out = <T>(e: T): EntryOut => e as unknown as EntryOut;

export function actionRoutes(ctx: ApiContext) {
  const gov = () => {
    if (!ctx.governance) throw new RampartError('RAMPART_ERR_API_UNAVAILABLE', ['governance']);
    return ctx.governance;
  };
  const entryRoute = (verb: 'retry' | 'revert' | 'approve' | 'reject', summary: string) =>
    route({
      method: 'POST',
      url: `/api/actions/:id/${verb}`,
      access: 'analyst',
      tag: 'actions',
      summary,
      params: IdParams,
      body: z.object({ note: z.string().max(2000).optional() }).strict().optional(),
      response: EntrySchema,
      handler: async ({ params, body, principal, audit }) => {
        audit(`action.${verb}`, params.id, body?.note ? { note: body.note } : {});
        const by = principalLabel(principal);
        const g = gov();
        if (verb === 'reject') return out(await g.reject(params.id, by, body?.note ?? ''));
        return out(await g[verb](params.id, by));
      },
    });

  return [
    route({
      method: 'GET',
      url: '/api/actions',
      access: 'viewer',
      tag: 'actions',
      summary: 'The governance log, newest first',
      query: z.object({
        status: z.enum(ENTRY_STATUSES).optional(),
        user: q.str(320).optional(),
        alertId: q.str(256).optional(),
        limit: q.int(1, 1000).default(100),
      }),
      response: z.object({ items: z.array(EntrySchema) }),
      handler: async ({ query }) => ({ items: (await gov().list(query)).map(out) }),
    }),
    route({
      method: 'GET',
      url: '/api/actions/:id',
      access: 'viewer',
      tag: 'actions',
      summary: 'One governance log entry with its attempts',
      params: IdParams,
      response: EntrySchema,
      handler: async ({ params }) => {
        const e = await gov().get(params.id);
        if (!e) throw new RampartError('RAMPART_ERR_ACTION_ENTRY_NOT_FOUND', [params.id]);
        return out(e);
      },
    }),
    route({
      method: 'POST',
      url: '/api/actions',
      access: 'analyst',
      tag: 'actions',
      summary: 'Run a governance action on a user now (notify, require sign-in again, suspend, unsuspend)',
      description: 'Suspending a protected account needs `force`, which only an admin may set.',
      body: z
        .object({
          action: z.enum(ACTION_NAMES),
          user: z.string().min(1).max(320),
          app: z.string().min(1).max(64).optional(),
          provider: z.enum(PROVIDER_NAMES).optional(),
          reason: z.string().min(1).max(2000),
          force: z.boolean().optional(),
          dryRun: z.boolean().optional(),
        })
        .strict(),
      status: 201,
      response: EntrySchema,
      handler: async ({ body, principal, audit }) => {
        audit(`action.${body.action}`, body.user, { reason: body.reason, force: body.force ?? false, dryRun: body.dryRun ?? false });
        if (body.force && (!principal || !roleAllows(principal.role, 'admin'))) throw new RampartError('RAMPART_ERR_API_FORBIDDEN', [principal?.role ?? 'anonymous', 'force an action on a protected account']);
        return out(await gov().act({ ...body, by: principalLabel(principal) }));
      },
    }),
    entryRoute('retry', 'Run a failed action again'),
    entryRoute('revert', 'Undo a succeeded suspension (unsuspend)'),
    entryRoute('approve', 'Approve an automatic action awaiting approval (it runs now)'),
    entryRoute('reject', 'Reject an automatic action awaiting approval'),
  ];
}
