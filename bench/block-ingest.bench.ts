/**
 * Block-store prototype for issue 2's (c) target, (c)/(a) >= 0.35: what the ingest path measures when it is spread
 * over both vCPUs and stores blocks instead of one SQLite row per activity. NOT the store: it writes what a block
 * store must write (blocks, an id set for idempotency, and either postings or Bloom filters for the user and IP
 * lookups) and serves its most common read (one user's first page, BlockReader), and nothing else (no recovery,
 * prune, compaction, other filters); it answers how far the designs the pipeline bench's ceilings point to ((e),
 * (f); docs/store.md) get on this machine, and what their reads cost.
 *   (a) JSON.parse of every line alone, on this thread: the pipeline bench's ceiling, measured again here.
 * In every variant, WORKERS producing threads (bench/block-ingest.worker.ts) parse, normalise and enrich 1,000-line
 * slices with the product's code and turn each into one block; this thread checks every id hash against an
 * in-memory set (the idempotency a store needs; a real one would confirm a hit against the block and rebuild the
 * set from the blocks when it opens) and appends the block to SQLite (64 KiB pages, WAL, one transaction each:
 * the block's key columns, record offsets and filters in one row, its body in pieces of CHUNK_ACTIVITIES):
 *   (g) blocks of the activities' JSON text, with user, IP and action postings (BlockSink);
 *   (h) blocks of the input lines plus each activity's enrichment and receive time (~0.2 KB of JSON, schema on
 *       read: reads normalise the line again), with the same postings;
 *   (i) as (h), with Bloom filters of each block's users and IPs made by the producing threads instead of postings
 *       (a lookup tests the blocks' filters newest first: no index to maintain, slower reads);
 *   (j) as (h), with neither: the floor of these writes;
 *   (k) as (i), but the block keeps each activity's normalised, enriched record without `raw` (JSON) beside its
 *       line, so reads take the record as stored (no schema on read) and cut `raw` out of the line.
 * The input is the pipeline bench's 1M-line file, read in slices of 20,000 lines; per slice, (a) and the variants
 * run back to back (a full GC before each), so load changes on the shared machine hit them all alike. Worker
 * start-up (each builds its own enricher) is outside the timers, as the enricher's is in the pipeline bench.
 * After the writes, (h), (i) and (k) each serve READ_QUERIES users' first pages (p50 and p99).
 */
import Database from 'better-sqlite3';
import { createReadStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { newClock, settle, timed, type Clock } from './clock.ts';
import { collectGarbage } from './gc.ts';
import { mulberry32, writeSyntheticWorkplace } from './synthetic.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';
import { BLOOM_BITS_PER_KEY, CHUNK_ACTIVITIES, KEY, KEY_COLUMNS, bloomHas, hash53, type BlockBody, type BlockMessage, type SliceMessage } from './block-format.ts';
import { INPUT_FORMATS } from '../src/connectors/registry.ts';
import { spawnCheckpointer } from '../src/store/sqlite/index.ts';
import type { Activity } from '../src/schema/activity.ts';

const EVENTS = Number(process.env.RAMPART_BENCH_EVENTS ?? 1_000_000);
const SLICE = Number(process.env.RAMPART_BENCH_SLICE ?? 20_000);
const BLOCK_LINES = 1_000;
const WORKERS = Number(process.env.RAMPART_BENCH_WORKERS ?? 2);
/** Slices handed to one worker and not yet returned: enough to keep it busy while this thread writes. */
const IN_FLIGHT_PER_WORKER = Number(process.env.RAMPART_BENCH_IN_FLIGHT ?? 4);
const DIR = join(process.cwd(), '.bench-tmp');
const READ_QUERIES = 200;
/** Variants to run (development aid): e.g. RAMPART_BENCH_VARIANTS=jk. */
const VARIANTS = process.env.RAMPART_BENCH_VARIANTS ?? 'ghijk';
/**
 * `thread` (default, as the store does since 2026-11-27): the store's checkpointer thread copies the WAL back, so
 * the writer never waits for the copy and its fsync; `inline`: SQLite's automatic checkpoint on the writer.
 */
const CHECKPOINT = process.env.RAMPART_BENCH_CHECKPOINT ?? 'thread';

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

/**
 * The writing side: one SQLite file of blocks; the id hashes seen (in memory: a store would rebuild the set from
 * the blocks' key columns when it opens); and, when asked, the user, IP and action postings, buffered per segment
 * of SEGMENT activities and written at its end: one row per key per segment holding that key's (block, slot)
 * references, keyed (segment, kind, key) so each segment's rows append at the end of their B-tree. A user or IP
 * query reads one row per segment (an LSM without compaction), then only the blocks those rows name.
 */
class BlockSink {
  static readonly SEGMENT = Number(process.env.RAMPART_BENCH_SEGMENT ?? 100_000);
  readonly path: string;
  readonly #db: Database.Database;
  readonly #append: (b: BlockMessage) => void;
  readonly #flush: () => void;
  readonly #ids = new Set<number>();
  /** The open segment's postings: key hash and reference (block id * 65,536 + slot) per activity, per kind (user, IP, action). */
  readonly #postings = { user: { keys: [] as number[], refs: [] as number[] }, ip: { keys: [] as number[], refs: [] as number[] }, action: { keys: [] as number[], refs: [] as number[] } };
  #segment = 0;
  get segments(): number {
    return this.#segment;
  }
  readonly #withPostings: boolean;
  stored = 0;
  duplicates = 0;
  postingRows = 0;

  constructor(path: string, withPostings: boolean) {
    this.path = path;
    this.#withPostings = withPostings;
    for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
    this.#db = new Database(path);
    this.#db.pragma('page_size = 65536');
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    if (CHECKPOINT === 'thread') {
      // Unlike the store, no automatic checkpoint on the writer as a bound: a prototype's WAL may grow while the
      // checkpointer lags (it is removed at close). The store's own checkpointer thread, at the store's pace.
      this.#db.pragma('wal_autocheckpoint = 0');
      this.#checkpointer = spawnCheckpointer(path, 5000);
    }
    this.#db.exec(
      'CREATE TABLE activity_blocks (bid INTEGER PRIMARY KEY, tmin INTEGER, tmax INTEGER, n INTEGER, keys BLOB, starts BLOB, blooms BLOB);' +
        'CREATE TABLE activity_chunks (bid INTEGER, c INTEGER, body BLOB, PRIMARY KEY (bid, c)) WITHOUT ROWID;' +
        'CREATE TABLE activity_postings (seg INTEGER, kind INTEGER, k INTEGER, refs BLOB, PRIMARY KEY (seg, kind, k)) WITHOUT ROWID;',
    );
    const insert = this.#db.prepare('INSERT INTO activity_blocks (tmin, tmax, n, keys, starts, blooms) VALUES (?, ?, ?, ?, ?, ?)');
    const chunk = this.#db.prepare('INSERT INTO activity_chunks (bid, c, body) VALUES (?, ?, ?)');
    const posting = this.#db.prepare('INSERT INTO activity_postings (seg, kind, k, refs) VALUES (?, ?, ?, ?)');
    this.#append = this.#db.transaction((b: BlockMessage) => {
      const width = b.keys.length / b.count;
      let tmin = Infinity;
      let tmax = -Infinity;
      for (let i = 0; i < b.count; i++) {
        const t = b.keys[i * width + KEY.time];
        const id = b.keys[i * width + KEY.id];
        if (this.#ids.has(id)) this.duplicates++;
        else this.#ids.add(id);
        if (t < tmin) tmin = t;
        if (t > tmax) tmax = t;
      }
      const bytes = (x: ArrayBufferView) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
      const bid = Number(insert.run(tmin, tmax, b.count, bytes(b.keys), bytes(b.starts), b.blooms.length ? bytes(b.blooms) : null).lastInsertRowid);
      // The body in pieces of CHUNK_ACTIVITIES activities, so a read fetches ~60 KB instead of the whole block.
      const body = bytes(b.body);
      for (let c = 0; c * CHUNK_ACTIVITIES < b.count; c++) {
        chunk.run(bid, c, body.subarray(b.starts[c * CHUNK_ACTIVITIES], b.starts[Math.min(b.count, (c + 1) * CHUNK_ACTIVITIES)]));
      }
      this.stored += b.count;
      if (!this.#withPostings) return;
      const { user, ip, action } = this.#postings;
      for (let i = 0; i < b.count; i++) {
        const ref = bid * 65_536 + i;
        user.keys.push(b.keys[i * width + KEY.user]);
        user.refs.push(ref);
        ip.keys.push(b.keys[i * width + KEY.ip]);
        ip.refs.push(ref);
        action.keys.push(b.keys[i * width + KEY.action]);
        action.refs.push(ref);
      }
    });
    this.#flush = this.#db.transaction(() => {
      let kind = 0;
      for (const p of [this.#postings.user, this.#postings.ip, this.#postings.action]) {
        // Grouped by key in a Map, then the distinct keys sorted (a native numeric sort), so each segment's rows
        // go in key order.
        const byKey = new Map<number, number[]>();
        for (let i = 0; i < p.keys.length; i++) {
          const refs = byKey.get(p.keys[i]);
          if (refs) refs.push(p.refs[i]);
          else byKey.set(p.keys[i], [p.refs[i]]);
        }
        for (const k of Float64Array.from(byKey.keys()).sort()) {
          posting.run(this.#segment, kind, k, Buffer.from(Float64Array.from(byKey.get(k)!).buffer));
          this.postingRows++;
        }
        p.keys = [];
        p.refs = [];
        kind++;
      }
      this.#segment++;
    });
  }

  append(b: BlockMessage): void {
    this.#append(b);
    if (this.#postings.user.keys.length >= BlockSink.SEGMENT) this.#flush();
  }

  /** Writes the open segment's postings (at the end of the input). */
  finish(): void {
    if (this.#postings.user.keys.length) this.#flush();
  }

  close(): void {
    void this.#checkpointer?.terminate();
    this.#db.close();
  }
  #checkpointer: Worker | undefined;
}

/**
 * The read a block store must serve most: one user's newest activities, first page. With postings, the user's row
 * of every segment names its (block, slot)s; with Bloom filters, blocks are walked newest first and only those
 * whose filter may hold the user are opened. Either way the matches' times come from the blocks' key columns and
 * only the body pieces holding the page's activities are read. Each activity is made again from its input line by
 * the format's normaliser, with the stored enrichment laid over it (schema on read, body `source`), or read as
 * stored with its raw payload cut out of the line (body `record`).
 */
class BlockReader {
  readonly #db: Database.Database;
  readonly #lookup: 'postings' | 'bloom';
  readonly #segments: number;
  readonly #blocks: Database.Statement;
  readonly #keys: Database.Statement;
  readonly #chunk: Database.Statement;
  readonly #posting: Database.Statement;
  readonly #body: BlockBody;

  constructor(path: string, lookup: 'postings' | 'bloom', segments: number, body: BlockBody) {
    this.#db = new Database(path, { readonly: true });
    this.#body = body;
    this.#lookup = lookup;
    this.#segments = segments;
    this.#blocks = this.#db.prepare('SELECT bid, n, tmax, blooms FROM activity_blocks ORDER BY tmax DESC, bid DESC');
    this.#keys = this.#db.prepare('SELECT n, keys, starts FROM activity_blocks WHERE bid = ?');
    this.#chunk = this.#db.prepare('SELECT body FROM activity_chunks WHERE bid = ? AND c = ?').pluck();
    this.#posting = this.#db.prepare('SELECT refs FROM activity_postings WHERE seg = ? AND kind = 0 AND k = ?').pluck();
  }

  /** Users to look up: the user hashes of random activities. */
  sampleUsers(count: number, seed: number): number[] {
    const rand = mulberry32(seed);
    const maxBid = this.#db.prepare('SELECT max(bid) FROM activity_blocks').pluck().get() as number;
    const out: number[] = [];
    while (out.length < count) {
      const { n, keys } = this.#keys.get(1 + Math.floor(rand() * maxBid)) as { n: number; keys: Buffer };
      const k = new Float64Array(keys.buffer.slice(keys.byteOffset, keys.byteOffset + keys.byteLength));
      out.push(k[Math.floor(rand() * n) * KEY_COLUMNS + KEY.user]);
    }
    return out;
  }

  /** A block's key columns and record offsets (one read of its row). */
  #index(bid: number): { keys: Float64Array; starts: Uint32Array } {
    const row = this.#keys.get(bid) as { keys: Buffer; starts: Buffer };
    const copy = (b: Buffer) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    return { keys: new Float64Array(copy(row.keys)), starts: new Uint32Array(copy(row.starts)) };
  }

  /** The user's newest `limit` activities, newest first. */
  firstPage(user: number, limit: number): Activity[] {
    const hits: { time: number; bid: number; slot: number }[] = [];
    // The blocks whose key columns were read, kept for their record offsets when the page is decoded.
    const opened = new Map<number, Uint32Array>();
    // The block's slots holding the user: those named (postings), else every slot; each checked on its key column.
    const match = (bid: number, slots?: Iterable<number>) => {
      const { keys, starts } = this.#index(bid);
      opened.set(bid, starts);
      const test = (i: number) => {
        if (keys[i * KEY_COLUMNS + KEY.user] === user) hits.push({ time: keys[i * KEY_COLUMNS + KEY.time], bid, slot: i });
      };
      if (slots) for (const i of slots) test(i);
      else for (let i = 0; i < keys.length / KEY_COLUMNS; i++) test(i);
    };
    if (this.#lookup === 'postings') {
      const slotsByBlock = new Map<number, Set<number>>();
      for (let seg = 0; seg < this.#segments; seg++) {
        const refs = this.#posting.get(seg, user) as Buffer | undefined;
        if (!refs) continue;
        const r = new Float64Array(refs.buffer.slice(refs.byteOffset, refs.byteOffset + refs.byteLength));
        for (const ref of r) {
          const bid = Math.floor(ref / 65_536);
          let slots = slotsByBlock.get(bid);
          if (!slots) slotsByBlock.set(bid, (slots = new Set()));
          slots.add(ref % 65_536);
        }
      }
      for (const [bid, slots] of slotsByBlock) match(bid, slots);
    } else {
      for (const b of this.#blocks.iterate() as IterableIterator<{ bid: number; n: number; tmax: number; blooms: Buffer }>) {
        // Newest first: once a page is found, a block whose newest activity is older than the page's oldest ends the walk.
        if (hits.length >= limit) {
          hits.sort((x, y) => y.time - x.time);
          hits.length = limit;
          if (b.tmax < hits[limit - 1].time) break;
        }
        if (bloomHas(b.blooms, 0, b.n * BLOOM_BITS_PER_KEY, user)) match(b.bid);
      }
    }
    hits.sort((x, y) => y.time - x.time || y.bid - x.bid || y.slot - x.slot);
    const chunks = new Map<string, Buffer>();
    return hits.slice(0, limit).map((h) => {
      const st = opened.get(h.bid)!;
      const c = Math.floor(h.slot / CHUNK_ACTIVITIES);
      let body = chunks.get(`${h.bid}:${c}`);
      if (!body) chunks.set(`${h.bid}:${c}`, (body = this.#chunk.get(h.bid, c) as Buffer));
      const base = st[c * CHUNK_ACTIVITIES];
      const from = st[h.slot] - base;
      const nl = body.indexOf(10, from);
      const rec = JSON.parse(body.toString('utf8', from, nl)) as Record<string, unknown>;
      const second = JSON.parse(body.toString('utf8', nl + 1, st[h.slot + 1] - base - 1)) as Activity;
      let a: Activity;
      if (this.#body === 'record') {
        // The record as stored; raw is the webhook change it came from, cut out of the line (one change per bench
        // line; a real store would keep the entry and change index).
        const entry = (rec.entry as Record<string, unknown>[])[0];
        const change = (entry.changes as Record<string, unknown>[])[0];
        a = second;
        a.raw = { object: rec.object, entryId: entry.id, entryTime: entry.time ?? null, field: change.field ?? null, value: change.value };
      } else {
        const format = INPUT_FORMATS.find((f) => f.detect(rec));
        if (!format) throw new Error(`block ${h.bid} slot ${h.slot}: no input format`);
        a = format.parse(rec, { receivedAt: second.receivedAt, source: 'bench' })[0];
        Object.assign(a, { geo: second.geo, asn: second.asn, isp: second.isp, ipCategory: second.ipCategory, ipTags: second.ipTags, device: second.device });
      }
      if (hash53(a.actor.email ?? a.actor.id ?? '') !== user) throw new Error(`block ${h.bid} slot ${h.slot}: not the user looked up`);
      return a;
    });
  }

  close(): void {
    this.#db.close();
  }
}

/** WORKERS producing threads, fed round-robin; blocks are written in input order. */
class ProducerPool {
  readonly #workers: Worker[] = [];

  static async start(count: number): Promise<ProducerPool> {
    const pool = new ProducerPool();
    const entry = new URL('./block-ingest.worker.ts', import.meta.url).href;
    await Promise.all(
      Array.from({ length: count }, async () => {
        const w = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { entry } });
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
  run(lines: Buffer[], shape: { body: BlockBody; bloom: boolean }, write: (b: BlockMessage) => void): Promise<void> {
    const slices: Buffer[][] = [];
    for (let i = 0; i < lines.length; i += BLOCK_LINES) slices.push(lines.slice(i, i + BLOCK_LINES));
    return new Promise((resolve, reject) => {
      let sent = 0;
      let written = 0;
      const arrived = new Map<number, BlockMessage>();
      const send = (w: Worker) => {
        if (sent >= slices.length) return;
        const bytes = Buffer.concat(slices[sent].flatMap((l) => [l, NEWLINE]));
        const msg: SliceMessage = { seq: sent++, lines: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), ...shape };
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
    const pool = await ProducerPool.start(WORKERS);
    const variants = [
      { tag: 'g', label: 'blocks of activity JSON + postings', body: 'json' as const, bloom: false, postings: true },
      { tag: 'h', label: 'blocks of input lines + enrichment + postings', body: 'source' as const, bloom: false, postings: true },
      { tag: 'i', label: 'blocks of input lines + enrichment + Bloom filters', body: 'source' as const, bloom: true, postings: false },
      { tag: 'j', label: 'blocks of input lines + enrichment, no lookups', body: 'source' as const, bloom: false, postings: false },
      { tag: 'k', label: 'blocks of input lines + records without raw + Bloom filters', body: 'record' as const, bloom: true, postings: false },
    ].filter((v) => VARIANTS.includes(v.tag)).map((v) => ({ ...v, clock: newClock(), sink: new BlockSink(join(DIR, `block-ingest-${v.tag}.db`), v.postings) }));
    const a = newClock();
    let lines = 0;
    let sink = 0;
    for await (const slice of lineSlices(file, SLICE)) {
      // Each phase from a full GC and a settled machine (bench/clock.ts, settle).
      collectGarbage();
      await settle();
      await timed(a, () => {
        for (const l of slice) sink += (JSON.parse(l.toString('utf8')) as { entry: unknown[] }).entry.length;
      });
      for (const v of variants) {
        collectGarbage();
        await settle();
        await timed(v.clock, () => pool.run(slice, { body: v.body, bloom: v.bloom }, (b) => v.sink.append(b)));
      }
      lines += slice.length;
    }
    for (const v of variants) await timed(v.clock, () => v.sink.finish());
    await pool.close();
    if (sink === 0) throw new Error('nothing parsed');
    const results: BenchResult[] = [];
    const rate = (k: Clock) => (lines * 1000) / k.wall;
    const cpuRate = (k: Clock) => (lines * 1000) / k.cpu;
    results.push({ name: '(a) JSON.parse alone (ceiling), this thread', value: Math.round(rate(a)), unit: 'events/s', note: `${Math.round(cpuRate(a)).toLocaleString('en-US')} events per CPU second` });
    for (const v of variants) {
      v.sink.close();
      if (v.sink.stored !== lines) throw new Error(`(${v.tag}): ${v.sink.stored} activities stored of ${lines} (${v.sink.duplicates} id hashes seen twice)`);
      const bytes = statSync(v.sink.path).size + (statSync(v.sink.path + '-wal', { throwIfNoEntry: false })?.size ?? 0);
      results.push(
        {
          name: `(${v.tag}) ${v.label}, ${WORKERS} producing threads`,
          value: Math.round(rate(v.clock)),
          unit: 'events/s',
          note: `${Math.round(cpuRate(v.clock)).toLocaleString('en-US')} events per CPU second (all threads); ${v.sink.stored} stored; ${Math.round(bytes / v.sink.stored)} bytes per activity on disk; ${v.sink.postingRows} posting rows`,
        },
        { name: `(${v.tag})/(a)`, value: +(rate(v.clock) / rate(a)).toFixed(3), unit: 'ratio', note: 'issue 2 asks (c)/(a) >= 0.35 of a whole store; this prototype has the writes and one read of such a store' },
      );
    }
    // Reads: the first page (100 newest) of 200 users' activities, from the postings (h) and the filters (i).
    for (const v of variants.filter((x) => x.tag === 'h' || x.tag === 'i' || x.tag === 'k')) {
      const reader = new BlockReader(v.sink.path, v.postings ? 'postings' : 'bloom', v.sink.segments, v.body);
      const users = reader.sampleUsers(READ_QUERIES, 11);
      for (const u of users.slice(0, 20)) reader.firstPage(u, 100); // warm the page cache and the code
      const ms: number[] = [];
      let rows = 0;
      for (const u of users) {
        const t0 = performance.now();
        rows += reader.firstPage(u, 100).length;
        ms.push(performance.now() - t0);
      }
      reader.close();
      ms.sort((x, y) => x - y);
      const pct = (p: number) => +ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))].toFixed(1);
      results.push(
        { name: `(${v.tag}) read: one user's first page (100 newest), p50`, value: pct(50), unit: 'ms', note: `${READ_QUERIES} users, ${(rows / READ_QUERIES).toFixed(1)} activities per page on average, ${v.body === 'record' ? 'each read as stored, its raw cut out of its line' : 'each made again from its line'}` },
        { name: `(${v.tag}) read: one user's first page (100 newest), p99`, value: pct(99), unit: 'ms' },
      );
    }
    results.push({ name: 'peak RSS (one enricher per producing thread)', value: Math.round(process.resourceUsage().maxRSS / 1024), unit: 'MB' });
    return results;
  },
};

await runStandalone(bench, import.meta.url);
