/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, prints the figures and writes
 * docs/benchmarks.md with the machine, Node version and date. Pass names to run a subset:
 * `npm run bench -- pipeline detect`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { meets, type BenchResult } from './types.ts';

const only = process.argv.slice(2);
const files = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

interface Section {
  file: string;
  title: string;
  results: BenchResult[];
  peakRssMb: number;
  error?: string;
}

const sections: Section[] = [];
for (const f of files) {
  process.stderr.write(`bench: ${f} ...\n`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', join('bench', 'child.ts'), join('bench', f)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
    timeout: 20 * 60_000,
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('@@BENCH@@'));
  if (r.status !== 0 || !line) {
    sections.push({ file: f, title: f, results: [], peakRssMb: 0, error: `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}` });
    process.stderr.write(`bench: ${f} failed (exit ${r.status})\n`);
    continue;
  }
  const parsed = JSON.parse(line.slice('@@BENCH@@'.length)) as Omit<Section, 'file'>;
  sections.push({ file: f, ...parsed });
  for (const x of parsed.results) process.stdout.write(`${parsed.title} | ${x.name}: ${x.value} ${x.unit}${x.target ? ` (target ${x.target.op} ${x.target.value}: ${meets(x) ? 'met' : 'NOT met'})` : ''}\n`);
}

const cpu = cpus();
let distro = '';
try {
  distro = execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).trim();
} catch {
  distro = 'unknown';
}
const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v));
let md = `# Benchmarks\n\nProduced by \`npm run bench\` (bench/run.ts); each benchmark runs in its own process. Throughput figures are\ncompared with a ceiling measured in the same run, because the machines are shared and noisy: read the ratios,\nnot the absolute numbers. The test suite has no timing assertions.\n\n`;
md += `- Date: ${new Date().toISOString()}\n- Machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${distro} (kernel ${release()})\n- Node.js: ${process.version}\n\n`;
for (const s of sections) {
  md += `## ${s.title}\n\n\`bench/${s.file}\`${s.peakRssMb ? ` — peak RSS of the process ${s.peakRssMb} MB` : ''}\n\n`;
  if (s.error) {
    md += `Failed: ${s.error}\n\n`;
    continue;
  }
  md += '| Measure | Value | Unit | Target | Met |\n|---|---|---|---|---|\n';
  for (const r of s.results) {
    const m = meets(r);
    md += `| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${r.target ? `${r.target.op} ${fmt(r.target.value)}` : ''} | ${m === null ? '' : m ? 'yes' : '**no**'} |\n`;
  }
  const notes = s.results.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
  if (notes.length) md += `\n${notes.join('\n')}\n`;
  md += '\n';
}
if (only.length === 0) writeFileSync('docs/benchmarks.md', md);
else process.stdout.write('\n(subset run: docs/benchmarks.md not rewritten)\n');
