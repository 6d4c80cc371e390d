/**
 * `npm run bench`: runs every bench/*.bench.ts in its own process, prints the figures and writes
 * docs/benchmarks.md with the machine, Node version and date. Pass names to run a subset:
 * `npm run bench -- pipeline detect`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
  /** When this section was measured (a subset run keeps the other sections' earlier figures). */
  at?: string;
  /** Where and with which Node.js it was measured (sections of a subset run can come from different machines). */
  machine?: string;
  node?: string;
}

// docs/benchmarks.json keeps every section's last figures, so `npm run bench -- <name>` updates one section.
const JSON_PATH = 'docs/benchmarks.json';
const previous: Section[] = existsSync(JSON_PATH) ? (JSON.parse(readFileSync(JSON_PATH, 'utf8')) as { sections: Section[] }).sections : [];
const cpu = cpus();
let distro = '';
try {
  distro = execFileSync('sh', ['-c', '. /etc/os-release && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).trim();
} catch {
  distro = 'unknown';
}
const machine = `${cpu.length} x ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, ${distro} (kernel ${release()})`;
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
    sections.push({ file: f, title: f, results: [], peakRssMb: 0, error: `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`, at: new Date().toISOString(), machine, node: process.version });
    process.stderr.write(`bench: ${f} failed (exit ${r.status})\n`);
    continue;
  }
  const parsed = JSON.parse(line.slice('@@BENCH@@'.length)) as Omit<Section, 'file'>;
  sections.push({ file: f, ...parsed, at: new Date().toISOString(), machine, node: process.version });
  for (const x of parsed.results) process.stdout.write(`${parsed.title} | ${x.name}: ${x.value} ${x.unit}${x.target ? ` (target ${x.target.op} ${x.target.value}: ${meets(x) ? 'met' : 'NOT met'})` : ''}\n`);
}

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString('en-US') : String(v));
let md = `# Benchmarks\n\nProduced by \`npm run bench\` (bench/run.ts); each benchmark runs in its own process. Throughput figures are\ncompared with a ceiling measured in the same run, because the machines are shared and noisy: read the ratios,\nnot the absolute numbers. The test suite has no timing assertions.\n\n`;
md += `- Date of this run: ${new Date().toISOString()}\n- Machine of this run: ${machine}\n- Node.js: ${process.version}\n- Each section names when, and where when recorded, it was measured: a run of some benchmarks keeps the others' earlier figures.\n\n`;
const merged = [...previous.filter((p) => !sections.some((s) => s.file === p.file) && existsSync(join('bench', p.file))), ...sections].sort((x, y) =>
  x.file.localeCompare(y.file),
);
for (const s of merged) {
  const where = s.machine ? ` on ${s.machine}, Node.js ${s.node}` : ' (machine not recorded)';
  md += `## ${s.title}\n\n\`bench/${s.file}\`${s.at ? `, measured ${s.at.slice(0, 16).replace('T', ' ')} UTC${where}` : ''}${s.peakRssMb ? ` — peak RSS of the process ${s.peakRssMb} MB` : ''}\n\n`;
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
writeFileSync('docs/benchmarks.md', md);
writeFileSync(JSON_PATH, JSON.stringify({ sections: merged }, null, 1) + '\n');
