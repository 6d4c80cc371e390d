/** Runs one bench module in its own process (so peak RSS is per benchmark) and prints its results as JSON. */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import type { BenchModule, BenchResult } from './types.ts';

const file = process.argv[2];
const mod = (await import(pathToFileURL(resolve(file)).href)) as { bench?: BenchModule; run?: () => Promise<BenchResult[]>; title?: string };
const runFn = mod.bench?.run ?? mod.run;
if (!runFn) throw new Error(`${file} exports neither bench nor run()`);
const title = mod.bench?.title ?? mod.title ?? file;
const results = await runFn();
const peakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
process.stdout.write('\n@@BENCH@@' + JSON.stringify({ title, results, peakRssMb }) + '\n');
