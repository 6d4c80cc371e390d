/**
 * `rampart scan` throughput on the pipeline bench's 1,000,000 synthetic Workplace webhook lines (unsorted
 * input is the general case; this file is in time order, which the scan cannot know until it has read it all):
 *   (a) JSON.parse of every line alone, the same ceiling as the pipeline bench, measured before and after the
 *       scan (the mean is used: the host's load moves within minutes);
 *   scan: runScan as the CLI runs it (default config: every built-in detection, bundled enrichment, the
 *       on-disk sort with its default bounds, no store), from opening the file to the last alert.
 * Peak RSS is the process's: the ceiling phases hold one 20,000-line slice at a time, so it is the scan's.
 * The ceiling's lines are read as the pipeline bench reads them (readNdjson; its parse is outside the timer).
 */
import { join } from 'node:path';
import { ConfigSchema } from '../src/config/schema.ts';
import { INPUT_FORMATS } from '../src/connectors/registry.ts';
import { buildEngine, buildEnricher } from '../src/main.ts';
import { openInput, readNdjson } from '../src/scan/ndjson-reader.ts';
import { runScan } from '../src/scan/scan.ts';
import { newClock, settle, timed, type Clock } from './clock.ts';
import { collectGarbage } from './gc.ts';
import { writeSyntheticWorkplace } from './synthetic.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';

const EVENTS = Number(process.env.RAMPART_BENCH_EVENTS ?? 1_000_000);
const SLICE = 20_000;
const DIR = join(process.cwd(), '.bench-tmp');

/** Times JSON.parse of every line of the file, 20,000 lines at a time (reading and splitting are not timed). */
async function parseCeiling(file: string, clock: Clock): Promise<number> {
  let lines = 0;
  let sink = 0;
  let slice: Buffer[] = [];
  const parseSlice = async () => {
    await timed(clock, () => {
      for (const l of slice) sink += (JSON.parse(l.toString('utf8')) as { entry: unknown[] }).entry.length;
    });
    lines += slice.length;
    slice = [];
  };
  for await (const r of readNdjson(openInput(file), 1 << 20)) {
    if (!r.ok) throw new Error(`bench input line ${r.line}: ${r.reason}`);
    slice.push(Buffer.from(r.raw)); // a copy: raw views the reader's chunk
    if (slice.length >= SLICE) await parseSlice();
  }
  if (slice.length) await parseSlice();
  if (sink === 0) throw new Error('nothing parsed');
  return lines;
}

export const bench: BenchModule = {
  title: '`rampart scan`: 1M Workplace webhook lines, every built-in detection',
  async run(): Promise<BenchResult[]> {
    const file = join(DIR, `workplace-${EVENTS}.ndjson`);
    await writeSyntheticWorkplace({ events: EVENTS, users: 20_000, seed: 7, path: file });
    const config = ConfigSchema.parse({});

    const before = newClock();
    const after = newClock();
    const scanClock = newClock();
    collectGarbage();
    await settle();
    const lines = await parseCeiling(file, before);

    collectGarbage();
    await settle();
    const enricher = await buildEnricher(config);
    const { engine } = buildEngine(config);
    let summary!: Awaited<ReturnType<typeof runScan>>['summary'];
    let alerts = 0;
    await timed(scanClock, async () => {
      const r = await runScan(
        { files: [file], maxLineBytes: config.scan.maxLineBytes, sortMemoryEvents: config.scan.sortMemoryEvents, sortMemoryBytes: config.scan.sortMemoryBytes, rejectsPath: null },
        { enricher, engine, formats: INPUT_FORMATS },
      );
      summary = r.summary;
      alerts = r.alerts.length;
    });
    if (summary.events !== lines) throw new Error(`scan saw ${summary.events} events of ${lines} lines`);

    collectGarbage();
    await settle();
    await parseCeiling(file, after);

    const ceilingWall = (before.wall + after.wall) / 2;
    const ceilingCpu = (before.cpu + after.cpu) / 2;
    const perSec = (ms: number) => (lines * 1000) / ms;
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    return [
      { name: '(a) JSON.parse alone (ceiling; mean of the runs before and after the scan)', value: Math.round(perSec(ceilingWall)), unit: 'lines/s', note: `before ${Math.round(perSec(before.wall)).toLocaleString('en-US')}, after ${Math.round(perSec(after.wall)).toLocaleString('en-US')} lines/s` },
      { name: 'scan: read, parse, normalize, sort by time, enrich, detect', value: Math.round(perSec(scanClock.wall)), unit: 'events/s', note: `${Math.round(perSec(scanClock.cpu)).toLocaleString('en-US')} events per CPU second; ${(scanClock.wall / 1000).toFixed(1)} s; ${summary.spilledRuns} sorted runs on disk; ${alerts} alerts` },
      { name: 'scan/(a)', value: +(ceilingWall / scanClock.wall).toFixed(3), unit: 'ratio' },
      { name: 'scan/(a) per CPU second', value: +(ceilingCpu / scanClock.cpu).toFixed(3), unit: 'ratio' },
      { name: 'peak RSS', value: peakRssMb, unit: 'MB' },
    ];
  },
};

await runStandalone(bench, import.meta.url);
