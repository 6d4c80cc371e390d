/** One measured figure of a benchmark, with its target when the issue names one. */
export interface BenchResult {
  /** e.g. "pipeline: (b) parse+validate+normalize+enrich" */
  name: string;
  value: number;
  unit: string;
  target?: { op: '>=' | '<='; value: number };
  note?: string;
}

export interface BenchModule {
  /** Section title in docs/benchmarks.md. */
  title: string;
  run(): Promise<BenchResult[]>;
}

export const meets = (r: BenchResult): boolean | null =>
  r.target ? (r.target.op === '>=' ? r.value >= r.target.value : r.value <= r.target.value) : null;

/** Runs a bench module directly (`node --import tsx bench/x.bench.ts`), printing JSON for bench/run.ts. */
export async function runStandalone(mod: BenchModule, importMetaUrl: string): Promise<void> {
  if (process.argv[1] && importMetaUrl.endsWith(process.argv[1].split('/').pop()!)) {
    const results = await mod.run();
    const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.stdout.write(JSON.stringify({ title: mod.title, results, peakRssMb }) + '\n');
  }
}
