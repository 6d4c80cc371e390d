/**
 * @module detect/policy/query
 * Activity-log queries with the policy filter language (the audit trail): the store answers what its indexes
 * can (storePushdown), the compiled filter decides the rest, and the result pages with the store's own
 * keyset cursors, so a client pages through filtered results exactly as through plain ones.
 */
import type { Activity } from '../../schema/activity.ts';
import { decodeCursor, encodeCursor } from '../../store/common.ts';
import type { ActivityQuery, Page, Store } from '../../store/store.ts';
import type { FilterEnv } from './fields.ts';
import { compileFilter, storePushdown, type FilterCondition, type FilterConditionInput } from './filters.ts';

export interface FilteredQuery {
  /** The condition list (same language as policies). */
  filters: readonly (FilterCondition | FilterConditionInput)[];
  /** Extra store-level narrowing (e.g. a pivot: same user, same IP, a 48-hour window). */
  base?: Omit<ActivityQuery, 'limit' | 'cursor' | 'order'>;
  limit?: number;
  cursor?: string | null;
  order?: 'asc' | 'desc';
  /** Most stored rows examined per call; the page may come back short with a `next` cursor to continue. */
  maxScan?: number;
}

export interface FilteredPage extends Page<Activity> {
  /** Stored rows examined for this page. */
  scanned: number;
}

const STORE_PAGE = 1000;
export const DEFAULT_MAX_SCAN = 100_000;

/**
 * One page of activities matching the filters, newest first by default. Throws FilterCompileError for bad
 * conditions (the API maps it to 400 with the paths).
 */
export async function queryFilteredActivities(store: Store, q: FilteredQuery, env: FilterEnv = {}): Promise<FilteredPage> {
  const filter = compileFilter(q.filters, env);
  const parsed = filter.conditions.map((c) => ({ field: c.field, op: c.op, value: [...c.values], not: c.not, as: c.role }) as FilterCondition);
  const pushed = { ...storePushdown(parsed), ...(q.base ?? {}) };
  const limit = Math.min(Math.max(1, q.limit ?? 100), 1000);
  const maxScan = q.maxScan ?? DEFAULT_MAX_SCAN;
  const order = q.order ?? 'desc';
  const items: Activity[] = [];
  let cursor = q.cursor ?? null;
  let scanned = 0;
  dropSameSideBound(pushed, cursor, order);
  for (;;) {
    const page = await store.queryActivities({ ...pushed, order, limit: STORE_PAGE, cursor });
    for (const a of page.items) {
      scanned++;
      if (filter.test(a)) items.push(a);
      // Stop on a full page or the scan budget: the cursor points just after the last row examined.
      if (items.length === limit || scanned >= maxScan) {
        const more = a !== page.items[page.items.length - 1] || page.next !== null;
        return { items, next: more ? encodeCursor({ time: a.time, id: a.id }) : null, scanned };
      }
    }
    if (!page.next) return { items, next: null, scanned };
    cursor = page.next;
    dropSameSideBound(pushed, cursor, order);
  }
}

/**
 * With a cursor, the time bound on the cursor's side is redundant when the cursor lies inside it, and keeping it
 * made SQLite range-scan from that bound on every page (measured: paging goes quadratic). A cursor outside
 * the bound keeps it.
 */
function dropSameSideBound(q: Omit<ActivityQuery, 'limit' | 'cursor' | 'order'>, cursor: string | null, order: 'asc' | 'desc'): void {
  const pos = cursor ? decodeCursor(cursor) : null;
  if (!pos) return;
  if (order === 'asc' && q.from !== undefined && Date.parse(pos.time) >= Date.parse(q.from)) delete q.from;
  if (order === 'desc' && q.to !== undefined && Date.parse(pos.time) < Date.parse(q.to)) delete q.to;
}
