import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryFilteredActivities } from '../../src/detect/policy/query.ts';
import { compileFilter, FilterCompileError, type FilterConditionInput } from '../../src/detect/policy/filters.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';
import type { Activity } from '../../src/schema/activity.ts';
import { generateHistory } from './history.ts';

const history = [...generateHistory({ events: 5000, users: 30, seed: 9, spacingSecs: 10 })];
const store = new SqliteStore({ path: ':memory:' });
beforeAll(async () => {
  await store.migrate();
  await store.putActivities(history);
});
afterAll(() => store.close());

async function all(filters: FilterConditionInput[], opts: { limit?: number; order?: 'asc' | 'desc'; maxScan?: number } = {}) {
  const out: Activity[] = [];
  let cursor: string | null = null;
  let calls = 0;
  do {
    const page = await queryFilteredActivities(store, { filters, cursor, ...opts });
    expect(page.items.length).toBeLessThanOrEqual(opts.limit ?? 100);
    out.push(...page.items);
    cursor = page.next;
    calls++;
  } while (cursor);
  return { out, calls };
}

describe('activity-log queries with the filter language', () => {
  it('pages through exactly the activities the filter accepts, newest first', async () => {
    const filters: FilterConditionInput[] = [
      { field: 'category', op: 'eq', value: 'login' },
      { field: 'geo.country', op: 'in', value: ['FR', 'DE'] },
      { field: 'ip', op: 'cidr', value: '198.51.0.0/20' },
    ];
    const f = compileFilter(filters);
    const expected = history.filter(f.test).map((a) => a.id).reverse();
    expect(expected.length).toBeGreaterThan(50);
    const { out, calls } = await all(filters, { limit: 25 });
    expect(out.map((a) => a.id)).toEqual(expected);
    expect(calls).toBe(Math.ceil(expected.length / 25));
  });

  it('ascending order, and a scan budget that returns short pages with a cursor', async () => {
    const filters: FilterConditionInput[] = [{ field: 'action', op: 'contains', value: 'download' }, { field: 'user.email', op: 'eq', value: 'user7@example.com' }];
    const expected = history.filter(compileFilter(filters).test).map((a) => a.id);
    expect(expected.length).toBeGreaterThan(5);
    const asc = await all(filters, { order: 'asc', limit: 1000, maxScan: 20 });
    expect(asc.out.map((a) => a.id)).toEqual(expected);
    expect(asc.calls).toBeGreaterThan(1);
  });

  it('a time window (base) with pagination in both orders returns exactly the window', async () => {
    const from = history[1000].time;
    const to = history[3000].time;
    const filters: FilterConditionInput[] = [{ field: 'outcome', op: 'eq', value: 'success' }];
    const inWindow = history.filter((a) => a.time >= from && a.time < to && a.outcome === 'success').map((a) => a.id);
    for (const order of ['asc', 'desc'] as const) {
      const out: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await queryFilteredActivities(store, { filters, base: { from, to }, order, limit: 100, cursor });
        out.push(...page.items.map((a) => a.id));
        cursor = page.next;
      } while (cursor);
      expect(out).toEqual(order === 'asc' ? inWindow : [...inWindow].reverse());
    }
  });

  it('bad conditions throw FilterCompileError with paths', async () => {
    await expect(queryFilteredActivities(store, { filters: [{ field: 'ip', op: 'cidr', value: 'x' }] })).rejects.toBeInstanceOf(FilterCompileError);
  });
});
