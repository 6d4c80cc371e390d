/**
 * Fixtures for the posture checks: directory users and activities written to a real in-memory SqliteStore,
 * and the CheckContext built from it exactly as the service builds it (context.ts).
 */
import { ActivitySchema, type Activity, type ActivityInput } from '../../schema/activity.ts';
import { DirectoryUserSchema, type DirectoryUser } from '../../schema/directory.ts';
import { SqliteStore } from '../../store/sqlite/index.ts';
import type { CheckContext, CheckEvaluation, ItemReview, PostureCheck } from '../check.ts';
import { PostureConfigSchema, type PostureConfigInput } from '../config.ts';
import { activityLogFrom, buildContext, instanceId } from '../context.ts';

export const NOW = '2026-06-01T12:00:00.000Z';
export const TENANT = 'c1';

/** `days` before NOW (negative: after). */
export const ago = (days: number): string => new Date(Date.parse(NOW) - days * 86_400_000).toISOString();

let n = 0;
export function user(over: Partial<DirectoryUser> & { id: string }): DirectoryUser {
  return DirectoryUserSchema.parse({
    app: 'workplace',
    tenant: TENANT,
    email: `${over.id}@acme.example`,
    name: `User ${over.id}`,
    active: true,
    authMethod: 'sso',
    invited: true,
    claimed: true,
    inviteDate: ago(400),
    claimDate: ago(399),
    updatedAt: NOW,
    ...over,
  });
}

export function event(action: string, actorId: string, time: string, over: Partial<ActivityInput> = {}): Activity {
  return ActivitySchema.parse({
    id: `act-${++n}`,
    time,
    receivedAt: time,
    app: 'workplace',
    tenant: 'company-1',
    source: 'webhook',
    action,
    actor: { id: actorId, email: null, name: null },
    ...over,
  });
}

/** The log's first activity, long enough ago that the 90-day checks have full coverage. */
export const oldLogStart = (): Activity => event('USER_LOGOUT', 'someone', ago(200));

export interface Fixture {
  users?: DirectoryUser[];
  activities?: Activity[];
  config?: PostureConfigInput;
  domains?: string[];
  reviews?: ItemReview[];
}

/** Evaluates `check` against the fixture over a real SQLite store. */
export async function evaluate(check: PostureCheck, f: Fixture): Promise<CheckEvaluation & { ctx: CheckContext }> {
  const store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  try {
    if (f.users?.length) await store.putDirectoryUsers(f.users);
    if (f.activities?.length) await store.putActivities(f.activities);
    const ctx = buildContext(
      { store, config: PostureConfigSchema.parse(f.config ?? {}), organizationDomains: f.domains ?? [], now: NOW },
      { id: instanceId('workplace', TENANT), app: 'workplace', tenant: TENANT },
      f.users ?? [],
      await activityLogFrom(store, 'workplace'),
      new Map((f.reviews ?? []).map((r) => [r.item, r])),
    );
    const ev = await check.evaluate(ctx);
    return { ...ev, ctx };
  } finally {
    await store.close();
  }
}
