/**
 * Pipeline throughput on 1,000,000 synthetic Workplace webhook lines (issue 2, item 8):
 *   (a) read lines + JSON.parse alone: the ceiling;
 *   (b) (a) + detect format + validate + normalize + enrich;
 *   (c) (b) + store in SQLite (batches of 5,000).
 * Ratios (b)/(a) and (c)/(a) are computed from the same run, so machine noise affects all three alike.
 */
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openInput, readNdjson } from '../src/scan/ndjson-reader.ts';
import { INPUT_FORMATS } from '../src/connectors/registry.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { createEnricher } from '../src/enrich/index.ts';
import { openStore } from '../src/store/index.ts';
import type { Activity } from '../src/schema/activity.ts';
import { writeSyntheticWorkplace } from './synthetic.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';

const EVENTS = Number(process.env.RAMPART_BENCH_EVENTS ?? 1_000_000);
const DIR = join(process.cwd(), '.bench-tmp');

async function phase(file: string, work: (rec: Record<string, unknown>) => void | Promise<void>): Promise<{ perSec: number; n: number }> {
  const t0 = performance.now();
  let n = 0;
  for await (const r of readNdjson(openInput(file), 1 << 20)) {
    if (!r.ok) throw new Error(`bench input line ${r.line}: ${r.reason}`);
    const p = work(r.record);
    if (p) await p;
    n++;
  }
  const secs = (performance.now() - t0) / 1000;
  return { perSec: n / secs, n };
}

export const bench: BenchModule = {
  title: 'Pipeline: parse, normalize, enrich, store (1M Workplace webhook lines)',
  async run(): Promise<BenchResult[]> {
    mkdirSync(DIR, { recursive: true });
    const file = join(DIR, `workplace-${EVENTS}.ndjson`);
    await writeSyntheticWorkplace({ events: EVENTS, users: 20_000, seed: 7, path: file });
    const config = ConfigSchema.parse({});
    const enricher = await createEnricher(config);
    const receivedAt = new Date().toISOString();
    const ctx = { receivedAt, source: 'bench' };
    const toActivities = (rec: Record<string, unknown>): Activity[] => {
      const f = INPUT_FORMATS.find((x) => x.detect(rec));
      if (!f) throw new Error('no format');
      const acts = f.parse(rec, ctx);
      for (const a of acts) enricher.enrich(a);
      return acts;
    };

    // Warm-up pass over a slice is not needed: each phase reads the whole file; (a) runs first and last and the
    // better of the two is the ceiling, so a cold page cache does not flatter the ratios.
    const a1 = await phase(file, () => {});
    const b = await phase(file, (rec) => {
      toActivities(rec);
    });
    const dbPath = join(DIR, 'pipeline-bench.db');
    rmSync(dbPath, { force: true });
    rmSync(`${dbPath}-wal`, { force: true });
    rmSync(`${dbPath}-shm`, { force: true });
    const store = await openStore({ driver: 'sqlite', path: dbPath });
    let batch: Activity[] = [];
    const c = await phase(file, async (rec) => {
      for (const act of toActivities(rec)) batch.push(act);
      if (batch.length >= 5000) {
        const full = batch;
        batch = [];
        await store.putActivities(full);
      }
    });
    if (batch.length) await store.putActivities(batch);
    const stored = await store.countActivities();
    await store.close();
    const a2 = await phase(file, () => {});
    const ceiling = Math.max(a1.perSec, a2.perSec);
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    return [
      { name: '(a) read + JSON.parse (ceiling)', value: Math.round(ceiling), unit: 'events/s' },
      { name: '(b) + validate + normalize + enrich', value: Math.round(b.perSec), unit: 'events/s' },
      { name: '(c) + store in SQLite', value: Math.round(c.perSec), unit: 'events/s', note: `${stored} rows stored` },
      { name: '(b)/(a)', value: +(b.perSec / ceiling).toFixed(3), unit: 'ratio', target: { op: '>=', value: 0.5 } },
      { name: '(c)/(a)', value: +(c.perSec / ceiling).toFixed(3), unit: 'ratio', target: { op: '>=', value: 0.35 } },
      { name: 'peak RSS', value: peakRssMb, unit: 'MB', target: { op: '<=', value: 1024 } },
    ];
  },
};

await runStandalone(bench, import.meta.url);
