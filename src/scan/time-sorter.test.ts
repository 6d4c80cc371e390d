import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TimeSorter } from './time-sorter.ts';

/** Epoch milliseconds n seconds into 2026. */
const at = (n: number) => Date.UTC(2026, 0, 1) + n * 1000;

interface Out {
  time: number;
  tag: number;
  text: string;
}

/** Drains the sorter, copying each payload (the views are only valid until the next step). */
async function drain(s: TimeSorter): Promise<Out[]> {
  const out: Out[] = [];
  for await (const e of s.drain()) out.push({ time: e.time, tag: e.tag, text: e.payload.toString('utf8') });
  return out;
}

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'rampart-sorter-test-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('TimeSorter', () => {
  it('orders in memory and keeps input order for equal times', async () => {
    const s = new TimeSorter({ memoryEvents: 100 });
    for (const [t, k] of [[3, 'a'], [1, 'b'], [3, 'c'], [2, 'd'], [1, 'e']] as const) s.add(at(t), 7, k);
    const out = await drain(s);
    expect(out.map((x) => x.text)).toEqual(['b', 'e', 'd', 'a', 'c']);
    expect(out.every((x) => x.tag === 7)).toBe(true);
    expect(s.spilledRuns).toBe(0);
  });

  it('spills beyond the event bound and merges the runs in order, stable for equal times across runs', async () => {
    const dir = tmp();
    const s = new TimeSorter({ memoryEvents: 1000, tmpDir: dir });
    // A deterministic shuffle of 10,500 items, three per second, so equal times land in different runs.
    const n = 10_500;
    const input: { t: number; v: number; i: number }[] = [];
    for (let i = 0; i < n; i++) {
      const v = (i * 7919) % n;
      input.push({ t: at(Math.floor(v / 3)), v, i });
      s.add(at(Math.floor(v / 3)), v % 256, Buffer.from(JSON.stringify({ v, i })));
    }
    expect(s.spilledRuns).toBe(10);
    expect(readdirSync(dir)).toHaveLength(1); // one folder of runs
    const out = await drain(s);
    const expected = [...input].sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.i - b.i));
    expect(out.map((x) => JSON.parse(x.text).i)).toEqual(expected.map((x) => x.i));
    expect(out.map((x) => x.time)).toEqual(expected.map((x) => x.t));
    expect(out.map((x) => x.tag)).toEqual(expected.map((x) => x.v % 256));
    expect(readdirSync(dir)).toHaveLength(0); // the runs are removed after the drain
  });

  it('spills by bytes held, and keeps payloads larger than its read and arena buffers whole', async () => {
    const dir = tmp();
    const s = new TimeSorter({ memoryEvents: 1_000_000, memoryBytes: 1 << 20, tmpDir: dir });
    const big = (c: string, len: number) => c.repeat(len);
    // 9 MiB is larger than an arena chunk (8 MiB) and than the run reader's 1 MiB buffer.
    const items = [
      { t: 5, p: big('a', 9 << 20) },
      { t: 1, p: 'small-1' },
      { t: 3, p: big('é', 300_000) }, // multi-byte UTF-8: lengths are bytes, not characters
      { t: 2, p: '' }, // an empty payload is still an event
      { t: 4, p: big('b', 2 << 20) },
      { t: 0, p: 'small-0' },
    ];
    for (const x of items) s.add(at(x.t), 1, x.p);
    expect(s.spilledRuns).toBeGreaterThanOrEqual(2);
    const out = await drain(s);
    expect(out.map((x) => x.time)).toEqual([0, 1, 2, 3, 4, 5].map(at));
    expect(out.map((x) => x.text)).toEqual([...items].sort((a, b) => a.t - b.t).map((x) => x.p));
  });

  it('accepts strings and Buffers as payloads alike, and orders times before 1970 and after 9999 by number', async () => {
    const s = new TimeSorter({ memoryEvents: 2, tmpDir: tmp() });
    const y10k = Date.UTC(10_000, 0, 1); // its ISO text, +010000-01-01T00:00:00.000Z, sorts before 1970 as text
    s.add(y10k, 0, Buffer.from('buffer'));
    s.add(at(0), 255, 'string');
    s.add(-1, 3, 'before 1970');
    const out = await drain(s);
    expect(out).toEqual([
      { time: -1, tag: 3, text: 'before 1970' },
      { time: at(0), tag: 255, text: 'string' },
      { time: y10k, tag: 0, text: 'buffer' },
    ]);
  });

  it('removes its run files when the consumer stops early', async () => {
    const dir = tmp();
    const s = new TimeSorter({ memoryEvents: 10, tmpDir: dir });
    for (let i = 0; i < 100; i++) s.add(at(100 - i), 0, `x${i}`);
    const folder = join(dir, readdirSync(dir)[0]);
    expect(readdirSync(folder).length).toBe(10);
    const seen: string[] = [];
    for await (const e of s.drain()) {
      seen.push(e.payload.toString());
      if (seen.length === 3) break;
    }
    expect(seen).toEqual(['x99', 'x98', 'x97']);
    expect(existsSync(folder)).toBe(false);
  });

  it('fails with RAMPART_ERR_INPUT_SORT_FAILED when it cannot write a run', () => {
    const s = new TimeSorter({ memoryEvents: 2, tmpDir: join(tmp(), 'missing', 'folder') });
    s.add(at(1), 0, 'a');
    expect(() => s.add(at(2), 0, 'b')).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_INPUT_SORT_FAILED', message: expect.stringContaining('cannot write the time sort') }));
  });

  it('fails with RAMPART_ERR_INPUT_SORT_FAILED when a run on disk was cut short, and still removes the runs', async () => {
    const dir = tmp();
    const s = new TimeSorter({ memoryEvents: 50, tmpDir: dir });
    for (let i = 0; i < 120; i++) s.add(at(i % 7), 0, `event ${i}`);
    const folder = join(dir, readdirSync(dir)[0]);
    const run = join(folder, readdirSync(folder).sort()[0]);
    truncateSync(run, statSync(run).size - 3); // the last record loses its tail
    await expect(drain(s)).rejects.toMatchObject({ code: 'RAMPART_ERR_INPUT_SORT_FAILED', message: expect.stringContaining('cannot read the time sort') });
    expect(existsSync(folder)).toBe(false);
  });
});
