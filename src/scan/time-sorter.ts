/**
 * @module scan/time-sorter
 * Puts activities in event-time order with bounded memory: up to `memoryItems` are sorted in memory; beyond
 * that, sorted runs are spilled to temporary NDJSON files and merged with a k-way heap merge.
 * Ties keep input order (stable), so a scan is deterministic.
 */
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

interface Entry<T> {
  t: string;
  seq: number;
  item: T;
}

const before = <T>(a: Entry<T>, b: Entry<T>) => (a.t < b.t ? true : a.t > b.t ? false : a.seq < b.seq);

export class TimeSorter<T extends { time: string }> {
  readonly #memoryItems: number;
  #buffer: Entry<T>[] = [];
  #runs: string[] = [];
  #dir: string | null = null;
  #seq = 0;
  #spilling: Promise<void> = Promise.resolve();

  constructor(memoryItems: number) {
    this.#memoryItems = memoryItems;
  }

  get spilledRuns(): number {
    return this.#runs.length;
  }

  /** Adds an item; returns a promise only when a spill is in progress (await it for backpressure). */
  add(item: T): Promise<void> | void {
    this.#buffer.push({ t: item.time, seq: this.#seq++, item });
    if (this.#buffer.length >= this.#memoryItems) return (this.#spilling = this.#spill());
  }

  async #spill(): Promise<void> {
    const run = this.#buffer;
    this.#buffer = [];
    run.sort((a, b) => (before(a, b) ? -1 : 1));
    this.#dir ??= mkdtempSync(join(tmpdir(), 'rampart-sort-'));
    const path = join(this.#dir, `run-${this.#runs.length}.ndjson`);
    this.#runs.push(path);
    const out = createWriteStream(path);
    for (const e of run) {
      if (!out.write(JSON.stringify([e.seq, e.item]) + '\n')) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  }

  /** Yields every item in event-time order, then removes the temporary files. */
  async *drain(): AsyncGenerator<T> {
    await this.#spilling;
    const mem = this.#buffer.sort((a, b) => (before(a, b) ? -1 : 1));
    this.#buffer = [];
    if (this.#runs.length === 0) {
      for (const e of mem) yield e.item;
      return;
    }
    try {
      const sources: AsyncIterator<Entry<T>>[] = this.#runs.map((p) => readRun<T>(p));
      sources.push(
        (async function* () {
          for (const e of mem) yield e;
        })(),
      );
      // Min-heap of [entry, source index].
      const heap: [Entry<T>, number][] = [];
      const push = (x: [Entry<T>, number]) => {
        heap.push(x);
        let i = heap.length - 1;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!before(heap[i][0], heap[p][0])) break;
          [heap[i], heap[p]] = [heap[p], heap[i]];
          i = p;
        }
      };
      const pop = (): [Entry<T>, number] => {
        const top = heap[0];
        const last = heap.pop()!;
        if (heap.length) {
          heap[0] = last;
          let i = 0;
          for (;;) {
            const l = 2 * i + 1;
            const r = l + 1;
            let m = i;
            if (l < heap.length && before(heap[l][0], heap[m][0])) m = l;
            if (r < heap.length && before(heap[r][0], heap[m][0])) m = r;
            if (m === i) break;
            [heap[i], heap[m]] = [heap[m], heap[i]];
            i = m;
          }
        }
        return top;
      };
      for (let i = 0; i < sources.length; i++) {
        const n = await sources[i].next();
        if (!n.done) push([n.value, i]);
      }
      while (heap.length) {
        const [e, i] = pop();
        yield e.item;
        const n = await sources[i].next();
        if (!n.done) push([n.value, i]);
      }
    } finally {
      if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
      this.#dir = null;
      this.#runs = [];
    }
  }
}

async function* readRun<T extends { time: string }>(path: string): AsyncGenerator<Entry<T>> {
  const rl = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line) continue;
    const [seq, item] = JSON.parse(line) as [number, T];
    yield { t: item.time, seq, item };
  }
}
