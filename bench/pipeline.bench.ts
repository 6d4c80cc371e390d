/**
 * Pipeline throughput on 1,000,000 synthetic Workplace webhook lines (issue 2, item 8):
 *   (a) JSON.parse of every line alone: the ceiling;
 *   (b) JSON.parse + detect format + validate + normalize + enrich, each line's activities handed on at once;
 *   (c) (b) + store in SQLite (one transaction per 5,000 activities);
 *   (d) beside them, SQLite's own ceiling on this machine: the same activities' stored rows appended to a table
 *       with no key and no index (bench/sqlite-ceiling.ts), only the INSERTs timed. No design that writes one
 *       SQLite row per activity can store faster, so (d)/(a) bounds what (c)/(a) can reach here;
 *   (f) beside them, a block store's write ceiling: the same activities' JSON text, 1,000 to a blob, appended to
 *       an unindexed table with 64 KiB pages (bench/sqlite-ceiling.ts), only the INSERTs timed. It bounds the
 *       writes of any block-packed layout; with (e) it shows which side limits such a store here;
 *   (e) (b) + JSON.stringify of every activity: the least any store must do on the thread that makes the
 *       activities (the SQLite writer thread and PostgreSQL both take the record as JSON text), so (e)/(a)
 *       bounds (c)/(a) for a single producing thread whatever the store does with the text.
 * What each phase holds. The input is read in slices of 20,000 lines (raw bytes, held in memory), and the
 * phases run back to back on each slice, so load changes on the shared machine hit them all alike. (a) drops
 * each parsed line at once. (b) hands each activity on to a consumer that reads the fields detection reads, and
 * drops it: that is (b)'s own work, as in `rampart serve` (a delivery's activities go to the group commit) and
 * `rampart scan` (each activity goes to the time sorter). What the next stage holds is that stage's cost, not
 * (b)'s: (c) holds its 5,000-activity store batches (the group commit's and scan import's bound); `rampart scan`
 * holds lines as bytes while it sorts them by time and normalises them again afterwards (bench/scan.bench.ts).
 * Each phase starts with a full garbage collection, outside the timers: the store phases leave old-generation
 * garbage (held batches, (d)'s rows), and without it the next slice's major GC work lands on whichever phase
 * allocates most, which is (b) (RAMPART_BENCH_GC=0 turns it off, to see that effect). Each phase also starts on
 * a settled machine (bench/clock.ts, settle: the kernel has written the earlier phases' files, no thread is
 * busy). (c) is timed until its last acknowledgement; the store's work after it (the writer's last merge steps,
 * the checkpointer's copy) ran into the next slice's (a) until 2026-11-27, and is now outside every timer.
 * RAMPART_BENCH_HOLD=<n> makes (b) hold n activities before handing them on, to see that cost (the old bench
 * held the whole slice: several times slower, the young generation overflowing). Per slice, (b) meets new
 * addresses first, so it pays the enrichment cache misses and (c) runs warm.
 * The figures and the target ratios are wall-clock rates. Each phase's rate per CPU second of the process (user +
 * system, every thread, GC helpers included: what the phase costs whatever else runs) is noted beside it, and the
 * (b)/(a) and (c)/(a) ratios are also given per CPU second, the steadier figure on a shared machine.
 */
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openInput, readNdjson } from '../src/scan/ndjson-reader.ts';
import { INPUT_FORMATS } from '../src/connectors/registry.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { createEnricher } from '../src/enrich/index.ts';
import { openStore } from '../src/store/index.ts';
import type { Activity } from '../src/schema/activity.ts';
import { newClock, settle, timed, type Clock } from './clock.ts';
import { collectGarbage } from './gc.ts';
import { SqliteAppendCeiling, SqliteBlockCeiling } from './sqlite-ceiling.ts';
import { writeSyntheticWorkplace } from './synthetic.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';

const EVENTS = Number(process.env.RAMPART_BENCH_EVENTS ?? 1_000_000);
const SLICE = Number(process.env.RAMPART_BENCH_SLICE ?? 20_000);
const BATCH = Number(process.env.RAMPART_BENCH_BATCH ?? 5_000);
const HOLD = Number(process.env.RAMPART_BENCH_HOLD ?? 1);
/** Phases to run (development aid): e.g. RAMPART_BENCH_PHASES=abe skips the slow store phases. */
const PHASES = process.env.RAMPART_BENCH_PHASES ?? 'abcdef';
const GC_PER_SLICE = process.env.RAMPART_BENCH_GC !== '0';
const DIR = join(process.cwd(), '.bench-tmp');

export const bench: BenchModule = {
  title: 'Pipeline: parse, normalize, enrich, store (1M Workplace webhook lines)',
  async run(): Promise<BenchResult[]> {
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, `workplace-${EVENTS}.ndjson`);
    await writeSyntheticWorkplace({ events: EVENTS, users: 20_000, seed: 7, path: file });
    const enricher = await createEnricher(ConfigSchema.parse({}));
    const ctx = { receivedAt: new Date().toISOString(), source: 'bench' };
    const dbPath = join(DIR, 'pipeline-bench.db');
    for (const s of ['', '-wal', '-shm']) rmSync(dbPath + s, { force: true });
    const store = await openStore({ driver: 'sqlite', path: dbPath, writer: (process.env.RAMPART_BENCH_WRITER as 'inline' | 'worker' | undefined) ?? 'worker', checkpoints: (process.env.RAMPART_BENCH_CHECKPOINTS as 'thread' | 'writer' | undefined) ?? 'thread' });

    const toActivities = (line: Buffer, out: Activity[]) => {
      const rec = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
      const f = INPUT_FORMATS.find((x) => x.detect(rec));
      if (!f) throw new Error('no input format for a bench line');
      for (const a of f.parse(rec, ctx)) {
        enricher.enrich(a);
        out.push(a);
      }
    };

    // The next stage's first look at an activity (detection reads its time, actor and place).
    const consume = (held: Activity[]) => {
      let n = 0;
      for (const x of held) n += x.time.length + (x.actor.id ? 1 : 0) + (x.geo?.country ? 1 : 0) + x.ipTags.length;
      return n;
    };
    // What a store must at least do with each activity on the producing thread: make its JSON text.
    const serialize = (held: Activity[]) => {
      let n = 0;
      for (const x of held) n += JSON.stringify(x).length;
      return n;
    };

    const a = newClock();
    const b = newClock();
    const c = newClock();
    const d = newClock();
    const e = newClock();
    const f = newClock();
    const ceiling = new SqliteAppendCeiling(join(DIR, 'pipeline-ceiling.db'));
    const blockCeiling = new SqliteBlockCeiling(join(DIR, 'pipeline-block-ceiling.db'));
    let lines = 0;
    let sink = 0;
    let slice: Buffer[] = [];
    // Each phase starts from a full GC (optional) and a settled machine (bench/clock.ts, settle).
    const ready = async () => {
      if (GC_PER_SLICE) collectGarbage();
      await settle();
    };
    /** Runs a phase when RAMPART_BENCH_PHASES names it: ready, then timed on its clock. */
    const phase = async (name: string, clock: Clock, fn: () => void | Promise<void>) => {
      if (!PHASES.includes(name)) return;
      await ready();
      await timed(clock, fn);
    };
    const runSlice = async () => {
      await phase('a', a, () => {
        for (const l of slice) sink += (JSON.parse(l.toString('utf8')) as { entry: unknown[] }).entry.length;
      });
      await phase('b', b, () => {
        const held: Activity[] = [];
        for (const l of slice) {
          toActivities(l, held);
          if (held.length >= HOLD) {
            sink += consume(held);
            held.length = 0;
          }
        }
        sink += consume(held);
      });
      await phase('e', e, () => {
        const held: Activity[] = [];
        for (const l of slice) {
          toActivities(l, held);
          sink += serialize(held);
          held.length = 0;
        }
      });
      await phase('c', c, async () => {
        let batch: Activity[] = [];
        const inFlight: Promise<unknown>[] = [];
        const flush = async () => {
          sink += batch.length;
          inFlight.push(store.putActivities(batch));
          batch = [];
          if (inFlight.length >= 2) await inFlight.shift();
        };
        for (const l of slice) {
          toActivities(l, batch);
          if (batch.length >= BATCH) await flush();
        }
        if (batch.length) await flush();
        await Promise.all(inFlight);
      });
      if (PHASES.includes('d') || PHASES.includes('f')) {
        await ready();
        const again: Activity[] = [];
        for (const l of slice) toActivities(l, again);
        for (let i = 0; i < again.length; i += BATCH) {
          const batch = again.slice(i, i + BATCH);
          if (PHASES.includes('d')) {
            const rows = SqliteAppendCeiling.rows(batch);
            await timed(d, () => ceiling.append(rows));
          }
          if (PHASES.includes('f')) {
            const blocks = SqliteBlockCeiling.blocks(batch);
            await timed(f, () => blockCeiling.append(blocks));
          }
        }
      }
      lines += slice.length;
      slice = [];
    };
    for await (const r of readNdjson(openInput(file), 1 << 20)) {
      if (!r.ok) throw new Error(`bench input line ${r.line}: ${r.reason}`);
      // Every phase starts from the same input: a copy of the line's bytes (raw views the reader's chunk).
      slice.push(Buffer.from(r.raw));
      if (slice.length >= SLICE) await runSlice();
    }
    if (slice.length) await runSlice();
    const stored = await store.countActivities();
    await store.close();
    const ceilingRows = ceiling.count();
    ceiling.close();
    blockCeiling.close();
    if (sink === 0) throw new Error('nothing processed');

    const rate = (k: Clock) => (lines * 1000) / k.wall;
    const cpuRate = (k: Clock) => (lines * 1000) / k.cpu;
    const cpuNote = (k: Clock) => `${Math.round(cpuRate(k)).toLocaleString('en-US')} events per CPU second`;
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    // A partial run (RAMPART_BENCH_PHASES) reports only the figures whose phases it measured.
    const ran = (...phases: Clock[]) => phases.every((k) => k.wall > 0);
    const rows: [boolean, BenchResult][] = [
      [ran(a), { name: '(a) JSON.parse alone (ceiling)', value: Math.round(rate(a)), unit: 'events/s', note: cpuNote(a) }],
      [ran(b), { name: '(b) + validate + normalize + enrich', value: Math.round(rate(b)), unit: 'events/s', note: cpuNote(b) }],
      [ran(c), { name: '(c) + store in SQLite', value: Math.round(rate(c)), unit: 'events/s', note: `${cpuNote(c)}; ${stored} rows stored` }],
      [ran(d), { name: '(d) SQLite append ceiling (unindexed table, INSERTs only)', value: Math.round(rate(d)), unit: 'rows/s', note: `${cpuNote(d).replace('events', 'rows')}; ${ceilingRows} rows` }],
      [ran(a, b), { name: '(b)/(a)', value: +(rate(b) / rate(a)).toFixed(3), unit: 'ratio', target: { op: '>=', value: 0.5 } }],
      [ran(a, c), { name: '(c)/(a)', value: +(rate(c) / rate(a)).toFixed(3), unit: 'ratio', target: { op: '>=', value: 0.35 } }],
      [ran(a, d), { name: '(d)/(a): the most (c)/(a) can be with one SQLite row per activity', value: +(rate(d) / rate(a)).toFixed(3), unit: 'ratio' }],
      [ran(e), { name: '(e) (b) + JSON.stringify of every activity', value: Math.round(rate(e)), unit: 'events/s', note: cpuNote(e) }],
      [ran(a, e), { name: '(e)/(a): the most (c)/(a) can be with one producing thread that serialises each activity', value: +(rate(e) / rate(a)).toFixed(3), unit: 'ratio' }],
      [ran(f), { name: '(f) SQLite block ceiling (JSON text, 1,000 activities to a blob, 64 KiB pages, INSERTs only)', value: Math.round(rate(f)), unit: 'events/s', note: cpuNote(f) }],
      [ran(a, f), { name: '(f)/(a): the most (c)/(a) can be for the writes of a block-packed store', value: +(rate(f) / rate(a)).toFixed(3), unit: 'ratio' }],
      [ran(a, b), { name: '(b)/(a) per CPU second', value: +(cpuRate(b) / cpuRate(a)).toFixed(3), unit: 'ratio' }],
      [ran(a, c), { name: '(c)/(a) per CPU second', value: +(cpuRate(c) / cpuRate(a)).toFixed(3), unit: 'ratio' }],
      [true, { name: 'peak RSS', value: peakRssMb, unit: 'MB', target: { op: '<=', value: 1024 } }],
    ];
    return rows.filter(([measured]) => measured).map(([, r]) => r);
  },
};

await runStandalone(bench, import.meta.url);
