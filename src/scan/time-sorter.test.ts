import { describe, expect, it } from 'vitest';
import { TimeSorter } from './time-sorter.ts';

const iso = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString();

async function drain<T extends { time: string }>(s: TimeSorter<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of s.drain()) out.push(x);
  return out;
}

describe('TimeSorter', () => {
  it('orders in memory and keeps input order for equal times', async () => {
    const s = new TimeSorter<{ time: string; k: string }>(100);
    for (const [t, k] of [[3, 'a'], [1, 'b'], [3, 'c'], [2, 'd'], [1, 'e']] as const) await s.add({ time: iso(t), k });
    expect((await drain(s)).map((x) => x.k)).toEqual(['b', 'e', 'd', 'a', 'c']);
    expect(s.spilledRuns).toBe(0);
  });

  it('spills to disk beyond the memory bound and merges runs in order', async () => {
    const s = new TimeSorter<{ time: string; n: number }>(1000);
    // A deterministic shuffle of 10,500 items.
    const n = 10_500;
    for (let i = 0; i < n; i++) {
      const v = (i * 7919) % n;
      await s.add({ time: iso(Math.floor(v / 3)), n: v });
    }
    expect(s.spilledRuns).toBe(10);
    const out = await drain(s);
    expect(out).toHaveLength(n);
    for (let i = 1; i < out.length; i++) expect(out[i - 1].time <= out[i].time).toBe(true);
    expect(new Set(out.map((x) => x.n)).size).toBe(n);
  });
});
