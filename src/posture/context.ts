/**
 * @module posture/context
 * Builds a check's CheckContext from the store: the instance's directory users, the age of the activity
 * log, indexed per-user lookups and bounded activity windows. Checks never see the store itself.
 * Windows have no upper bound: an event stamped slightly in the future (clock skew) is still recent.
 */
import type { DirectoryUser } from '../schema/directory.ts';
import type { Store } from '../store/store.ts';
import type { ActivityWindow, AppInstance, CheckContext, ItemReview } from './check.ts';
import type { PostureConfig } from './config.ts';

/** Activities one check may read in one evaluation (a page is 1,000). */
export const MAX_WINDOW_ACTIVITIES = 20_000;

export const instanceId = (app: string, tenant: string): string => (tenant ? `${app}:${tenant}` : app);

/** The app instances the directory knows, one per (app, tenant); an app with no directory yet gets one empty instance. */
export function instancesOf(users: readonly DirectoryUser[], apps: readonly string[]): AppInstance[] {
  const seen = new Map<string, AppInstance>();
  for (const u of users) {
    if (!apps.includes(u.app)) continue;
    const id = instanceId(u.app, u.tenant);
    if (!seen.has(id)) seen.set(id, { id, app: u.app, tenant: u.tenant });
  }
  for (const app of apps) if (![...seen.values()].some((i) => i.app === app)) seen.set(app, { id: app, app, tenant: '' });
  return [...seen.values()].sort((a, b) => a.id.localeCompare(b.id));
}

export interface ContextSource {
  store: Store;
  config: PostureConfig;
  organizationDomains: readonly string[];
  now: string;
}

/** Per-app facts shared by every instance and check of one evaluation. */
export async function activityLogFrom(store: Store, app: string): Promise<string | null> {
  const page = await store.queryActivities({ app, order: 'asc', limit: 1 });
  return page.items[0]?.time ?? null;
}

export function buildContext(
  src: ContextSource,
  instance: AppInstance,
  users: readonly DirectoryUser[],
  logFrom: string | null,
  reviews: ReadonlyMap<string, ItemReview>,
): CheckContext {
  const { store } = src;
  return {
    now: src.now,
    instance,
    config: src.config,
    organizationDomains: src.organizationDomains.map((d) => d.toLowerCase()),
    users,
    activityLogFrom: logFrom,
    async lastActivity(user, action, from) {
      // Workplace events carry the actor id; activities from other inputs may carry only the email.
      for (const key of [user.id, user.email]) {
        if (!key) continue;
        const page = await store.queryActivities({ app: instance.app, user: key, action, from, limit: 1, order: 'desc' });
        if (page.items[0]) return page.items[0].time;
      }
      return null;
    },
    async activities(actions, from): Promise<ActivityWindow> {
      const items: ActivityWindow['items'] = [];
      let truncated = false;
      for (const action of actions) {
        let cursor: string | null = null;
        do {
          const page = await store.queryActivities({ app: instance.app, action, from, limit: 1000, order: 'asc', cursor });
          items.push(...page.items);
          cursor = page.next;
          if (items.length >= MAX_WINDOW_ACTIVITIES) {
            truncated = cursor !== null;
            break;
          }
        } while (cursor);
      }
      items.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      return { items, truncated };
    },
    reviews,
  };
}
