/**
 * Block-store prototype for issue 2's (c) target, (c)/(a) >= 0.35: what the ingest path measures when it is spread
 * over both vCPUs and stores blocks instead of one SQLite row per activity. NOT the store: no lookups are built and
 * nothing can query these files; it answers how far the design the pipeline bench's ceilings point to
 * ((e), (f); docs/store.md) gets on this machine before any of that is added.
 *   (a) JSON.parse of every line alone, on this thread: the pipeline bench's ceiling, measured again here;
 *   (g) WORKERS producing threads (bench/block-ingest.worker.ts) parse, normalise and enrich 1,000-line slices
 *       with the product's code and turn each into one block of the activities' JSON text; this thread appends
 *       each block to SQLite (64 KiB pages, WAL, one transaction per block) after checking every id hash against
 *       an in-memory set (the idempotency a store needs; a real one would confirm a hit against the block);
 *   (h) the same, but a block holds the input lines as received plus each activity's enrichment and receive time
 *       (~0.2 KB of JSON), not the whole normalised activity: reads would normalise the line again.
 * The input is the pipeline bench's 1M-line file, read in slices of 20,000 lines; per slice, (a), (g) and (h) run
 * back to back (a full GC before each slice), so load changes on the shared machine hit all three alike. Worker
 * start-up (each builds its own enricher) is outside the timers, as the enricher's is in the pipeline bench.
 */
import Database from 'better-sqlite3';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { collectGarbage } from './gc.ts';
import { writeSyntheticWorkplace } from './synthetic.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';
import type { BlockMessage, BlockMode, SliceMessage } from './block-ingest.worker.ts';

const EVENTS = Number(process.env.RAMPART_BENCH_EVENTS ?? 1_000_000);
const SLICE = Number(process.env.RAMPART_BENCH_SLICE ?? 20_000);
const BLOCK_LINES = 1_000;
const WORKERS = Number(process.env.RAMPART_BENCH_WORKERS ?? 2);
/** Slices handed to one worker and not yet returned: enough to keep it busy while this thread writes. */
const IN_FLIGHT_PER_WORKER = 2;
const DIR = join(process.cwd(), '.bench-tmp');

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface Clock {
  cpu: number;
  wall: number;
}

async function timed(clock: Clock, fn: () => void | Promise<void>): Promise<void> {
  const c0 = cpuMs();
  const w0 = performance.now();
  await fn();
  clock.cpu += cpuMs() - c0;
  clock.wall += performance.now() - w0;
}

/** Lines of a file as byte buffers, in slices of `size` lines. */
async function* lineSlices(path: string, size: number): AsyncGenerator<Buffer[]> {
  let slice: Buffer[] = [];
  let rest = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      if (nl > start) slice.push(Buffer.from(buf.subarray(start, nl)));
      start = nl + 1;
      if (slice.length === size) {
        yield slice;
        slice = [];
      }
    }
    rest = Buffer.from(buf.subarray(start));
  }
  if (rest.length) slice.push(rest);
  if (slice.length) yield slice;
}

/** The writing side: one SQLite file of blocks, and the id hashes seen. */
class BlockSink {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #append: (b: BlockMessage) => void;
  readonly #ids = new Set<number>();
  stored = 0;
  duplicates = 0;

  constructor(path: string) {
    this.path = path;
    for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
    this.#db = new Database(path);
    this.#db.pragma('page_size = 65536');
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec('CREATE TABLE activity_blocks (bid INTEGER PRIMARY KEY, tmin INTEGER, tmax INTEGER, n INTEGER, keys BLOB, body BLOB)');
    const insert = this.#db.prepare('INSERT INTO activity_blocks (tmin, tmax, n, keys, body) VALUES (?, ?, ?, ?, ?)');
    this.#append = this.#db.transaction((b: BlockMessage) => {
      const width = b.keys.length / b.count;
      let tmin = Infinity;
      let tmax = -Infinity;
      for (let i = 0; i < b.count; i++) {
        const t = b.keys[i * width];
        const id = b.keys[i * width + 1];
        if (this.#ids.has(id)) this.duplicates++;
        else this.#ids.add(id);
        if (t < tmin) tmin = t;
        if (t > tmax) tmax = t;
      }
      insert.run(tmin, tmax, b.count, Buffer.from(b.keys.buffer, b.keys.byteOffset, b.keys.byteLength), Buffer.from(b.body.buffer, b.body.byteOffset, b.body.byteLength));
      this.stored += b.count;
    });
  }

  append(b: BlockMessage): void {
    this.#append(b);
  }

  close(): void {
    this.#db.close();
  }
}

/** WORKERS producing threads in one mode, fed round-robin; blocks are written in input order. */
class ProducerPool {
  readonly #workers: Worker[] = [];

  static async start(mode: BlockMode, count: number): Promise<ProducerPool> {
    const pool = new ProducerPool();
    const entry = new URL('./block-ingest.worker.ts', import.meta.url).href;
    await Promise.all(
      Array.from({ length: count }, async () => {
        const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { entry, mode } });
        await new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        });
        pool.#workers.push(w);
      }),
    );
    return pool;
  }

  /** Sends the lines in BLOCK_LINES slices and hands each block to `write`, in order; resolves when all are written. */
  run(lines: Buffer[], write: (b: BlockMessage) => void): Promise<void> {
    const slices: Buffer[][] = [];
    for (let i = 0; i < lines.length; i += BLOCK_LINES) slices.push(lines.slice(i, i + BLOCK_LINES));
    return new Promise((resolve, reject) => {
      let sent = 0;
      let written = 0;
      const arrived = new Map<number, BlockMessage>();
      const send = (w: Worker) => {
        if (sent >= slices.length) return;
        const bytes = Buffer.concat(slices[sent].flatMap((l) => [l, NEWLINE]));
        const msg: SliceMessage = { seq: sent++, lines: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
        w.postMessage(msg, bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? [bytes.buffer as ArrayBuffer] : []);
      };
      const cleanup = () => {
        for (const w of this.#workers) {
          w.removeAllListeners('message');
          w.removeAllListeners('error');
        }
      };
      for (const w of this.#workers) {
        w.on('message', (b: BlockMessage) => {
          arrived.set(b.seq, b);
          send(w);
          try {
            for (let next = arrived.get(written); next; next = arrived.get(written)) {
              arrived.delete(written++);
              write(next);
            }
          } catch (err) {
            cleanup();
            reject(err);
            return;
          }
          if (written === slices.length) {
            cleanup();
            resolve();
          }
        });
        w.on('error', (err) => {
          cleanup();
          reject(err);
        });
        for (let k = 0; k < IN_FLIGHT_PER_WORKER; k++) send(w);
      }
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
const NEWLINE = Buffer.from('\n');

export const bench: BenchModule = {
  title: 'Block-store prototype: ingest over both vCPUs (issue 2, (c)/(a))',
  async run(): Promise<BenchResult[]> {
    const file = join(DIR, `workplace-${EVENTS}.ndjson`);
    await writeSyntheticWorkplace({ events: EVENTS, users: 20_000, seed: 7, path: file });
    const modes: { mode: BlockMode; clock: Clock; sink: BlockSink; pool: ProducerPool }[] = [];
    for (const mode of ['json', 'source'] as const) {
      modes.push({ mode, clock: { cpu: 0, wall: 0 }, sink: new BlockSink(join(DIR, `block-ingest-${mode}.db`)), pool: await ProducerPool.start(mode, WORKERS) });
    }
    const a: Clock = { cpu: 0, wall: 0 };
    let lines = 0;
    let sink = 0;
    for await (const slice of lineSlices(file, SLICE)) {
      collectGarbage();
      await timed(a, () => {
        for (const l of slice) sink += (JSON.parse(l.toString('utf8')) as { entry: unknown[] }).entry.length;
      });
      for (const m of modes) {
        collectGarbage();
        await timed(m.clock, () => m.pool.run(slice, (b) => m.sink.append(b)));
      }
      lines += slice.length;
    }
    if (sink === 0) throw new Error('nothing parsed');
    const results: BenchResult[] = [];
    const rate = (k: Clock) => (lines * 1000) / k.wall;
    const cpuRate = (k: Clock) => (lines * 1000) / k.cpu;
    results.push({ name: '(a) JSON.parse alone (ceiling), this thread', value: Math.round(rate(a)), unit: 'events/s', note: `${Math.round(cpuRate(a)).toLocaleString('en-US')} events per CPU second` });
    for (const m of modes) {
      await m.pool.close();
      m.sink.close();
      if (m.sink.stored !== lines) throw new Error(`${m.mode}: ${m.sink.stored} activities stored of ${lines} (${m.sink.duplicates} id hashes seen twice)`);
      const label = m.mode === 'json' ? '(g) blocks of activity JSON' : '(h) blocks of input lines + enrichment';
      const bytes = statSync(m.sink.path).size + (statSync(m.sink.path + '-wal', { throwIfNoEntry: false })?.size ?? 0);
      results.push(
        { name: `${label}, ${WORKERS} producing threads`, value: Math.round(rate(m.clock)), unit: 'events/s', note: `${Math.round(cpuRate(m.clock)).toLocaleString('en-US')} events per CPU second (all threads); ${m.sink.stored} stored; ${Math.round(bytes / m.sink.stored)} bytes per activity on disk` },
        { name: `${label.slice(0, 3)}/(a)`, value: +(rate(m.clock) / rate(a)).toFixed(3), unit: 'ratio', note: 'issue 2 asks (c)/(a) >= 0.35 of the whole store; this is a prototype without lookups or reads' },
      );
    }
    results.push({ name: 'peak RSS (two enrichers per mode, one per producing thread)', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB' });
    return results;
  },
};

await runStandalone(bench, import.meta.url);
