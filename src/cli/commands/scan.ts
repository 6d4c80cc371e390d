/** `rampart scan`: forensic analysis of exported activity logs (NDJSON, gzip) with every detection and policy. */
import { escapeControls } from '../../core/text.ts';
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { z } from 'zod';
import { RampartError } from '../../core/errors.ts';
import { DirectoryUserSchema } from '../../schema/directory.ts';
import { describeZodError } from '../../schema/rampart-format.ts';
import type { Alert } from '../../schema/alert.ts';
import type { Config } from '../../config/schema.ts';
import { INPUT_FORMATS } from '../../connectors/registry.ts';
import { toOcsfDetectionFinding } from '../../deliver/ocsf.ts';
import { parseScimListResponse } from '../../connectors/workplace/directory.ts';
import { runScan, type ScanReject, type ScanSummary } from '../../scan/scan.ts';
import { STDIN_PATH } from '../../scan/ndjson-reader.ts';
import { openStore } from '../../store/index.ts';
import { buildEngine, buildEnricher } from '../../main.ts';
import { DetectionsConfigSchema } from '../../detect/config.ts';
import { loadConfigOption, parseWholeNumber } from '../config-option.ts';

interface ScanCliOptions {
  config?: string;
  directory?: string;
  learningDays?: number;
  json?: boolean;
  ocsf?: boolean;
  rejects?: string;
  import?: boolean;
  progress?: boolean;
}

export function register(program: Command): void {
  program
    .command('scan')
    .description('analyse exported activity logs (NDJSON or gzip; formats detected per line) and print alerts')
    .argument('<files...>', 'NDJSON files (.gz accepted; - reads standard input)')
    .option('-c, --config <file>', 'config file (detections, policies, IP ranges, feeds)')
    .option('--directory <file>', 'user directory: a SCIM 2.0 ListResponse JSON export (active, termDate, department), or a JSON array of Rampart directory users')
    .option('--learning-days <n>', 'learning period in days of event time (overrides the config)', parseWholeNumber('--learning-days', DetectionsConfigSchema.unwrap().shape.learningDays))
    .option('--json', 'print alerts as NDJSON on stdout, one per line')
    .addOption(new Option('--ocsf', 'print alerts as OCSF 1.x Detection Findings (class 2004) on stdout, one JSON object per line (for a SIEM)').conflicts('json'))
    .option('--rejects <file>', 'where to write rejected lines as NDJSON (default: rampart-rejects.ndjson)')
    .option('--import', 'also import the activities and alerts into the configured store')
    .option('--no-progress', 'no progress bar even on a terminal')
    .action(async (files: string[], o: ScanCliOptions) => {
      const loaded = loadConfigOption(o.config);
      const config = { ...loaded.config };
      if (o.learningDays !== undefined) config.detections = { ...config.detections, learningDays: o.learningDays };
      const directory = o.directory ? readDirectory(o.directory) : [];
      const store = o.import ? await openStore(importStoreConfig(config.store)) : null;
      try {
        const enricher = await buildEnricher(config, store, { baseDir: loaded.baseDir });
        // A feed that cannot be read is skipped (docs/enrichment.md), but a scan has no log to say so: stderr does,
        // as stdout is the alerts only.
        for (const f of enricher.feedStatuses) if (!f.ok && f.error) process.stderr.write(`scan: warning: ${f.error.code}: ${f.error.message}\n`);
        const { engine, policyIssues } = buildEngine(config, directory);
        for (const i of policyIssues) process.stderr.write(`${i.file ?? ''}${i.line ? `:${i.line}:${i.col ?? 1}` : ''}: ${i.level}: ${i.message}\n`);
        const tty = process.stderr.isTTY && o.progress !== false;
        if (files.includes(STDIN_PATH) && process.stdin.isTTY) process.stderr.write('scan: reading standard input from the terminal (end it with Ctrl-D)\n');
        const startedAt = Date.now();
        const { alerts, summary } = await runScan(
          {
            files,
            maxLineBytes: config.scan.maxLineBytes,
            sortMemoryEvents: config.scan.sortMemoryEvents,
            sortMemoryBytes: config.scan.sortMemoryBytes,
            rejectsPath: o.rejects ?? 'rampart-rejects.ndjson',
            onReject: (r) => {
              if (tty) process.stderr.write('\r\x1b[K');
              process.stderr.write(`${r.file}:${r.line}: ${r.code}: ${r.reason}\n`);
            },
            onProgress: tty ? (done, total, phase) => progressBar(done, total, phase, startedAt) : undefined,
          },
          { enricher, engine, formats: INPUT_FORMATS, store },
        );
        if (tty) process.stderr.write('\r\x1b[K');
        const ocsf = { consoleBaseUrl: config.alerts.consoleBaseUrl };
        const out = alertOutput();
        for (const a of alerts) {
          if (!out.write(o.ocsf ? JSON.stringify(toOcsfDetectionFinding(a, ocsf)) + '\n' : o.json ? JSON.stringify(toScanAlert(a)) + '\n' : formatAlert(a))) break;
        }
        process.stderr.write(formatSummary(summary, summary.rejects ? (o.rejects ?? 'rampart-rejects.ndjson') : null));
      } finally {
        await store?.close();
      }
    });
}

/**
 * Standard output for the alerts. When its reader goes away (`scan --json export.gz | head -1`), writes fail with
 * EPIPE: the rest is dropped and the scan ends normally, as other Unix tools do, instead of dying on an unhandled
 * 'error' event. Any other write error is said once on stderr and makes the exit status 1.
 */
function alertOutput(): { write: (text: string) => boolean } {
  let open = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (!open) return;
    open = false;
    if (e.code === 'EPIPE') return;
    process.stderr.write(`scan: cannot write the alerts to standard output: ${e.message}\n`);
    process.exitCode = 1;
  });
  return { write: (text) => open && (process.stdout.write(text), open) };
}

/** An import writes on SQLite's writer thread unless the config says otherwise: detection goes on meanwhile. */
function importStoreConfig(store: Config['store']): Config['store'] {
  return store.driver === 'sqlite' ? { ...store, writer: store.writer ?? 'worker' } : store;
}

function readDirectory(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_UNREADABLE', [path, (cause as Error).message], { cause });
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a byte order mark (Windows tools) is not JSON
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_MALFORMED_JSON', [`${path}: ${(cause as Error).message}`], { cause });
  }
  // Rampart's own directory export (a JSON array of directory users), else a SCIM 2.0 ListResponse.
  if (Array.isArray(json)) {
    const parsed = z.array(DirectoryUserSchema).safeParse(json);
    if (!parsed.success) throw new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', ['directory list', describeZodError(parsed.error)]);
    return parsed.data;
  }
  return parseScimListResponse(json); // its errors name the ListResponse and the Resources[i] at fault
}

/** The stable `scan --json` shape: the alert, led by the documented fields. */
export function toScanAlert(a: Alert) {
  const { id, detection, title, severity, user, time, activityIds, evidence, details, ...rest } = a;
  return { id, detection, title, severity, user, time, activityIds, evidence, details, ...rest };
}

/** One alert as text. User, title and evidence quote event data: escaped, so they cannot start lines of their own. */
export function formatAlert(a: Alert): string {
  const l = escapeControls;
  const head = `${a.time}  ${a.severity.toUpperCase().padEnd(13)} ${l(a.detection).padEnd(22)} ${l(a.user ?? '-')}  ${l(a.title)}`;
  return [head, ...a.evidence.map((e) => `    - ${l(e)}`)].join('\n') + '\n';
}

function formatSummary(s: ScanSummary, rejectsFile: string | null): string {
  const byDet = Object.entries(s.alertsByDetection)
    .map(([d, n]) => `${d}=${n}`)
    .join(' ');
  const byCode = Object.entries(s.rejectsByCode)
    .map(([c, n]) => `${c}=${n}`)
    .join(' ');
  return (
    `scan: ${s.files} file(s), ${s.lines} lines, ${s.events} events${s.duplicates ? ` (${s.duplicates} duplicates skipped)` : ''}, ${s.rejects} rejected${byCode ? ` (${byCode})` : ''}` +
    `${rejectsFile ? ` -> ${rejectsFile}` : ''}\n` +
    `scan: ${s.alerts} alert(s)${byDet ? `: ${byDet}` : ''}\n` +
    `scan: ${(s.elapsedMs / 1000).toFixed(1)} s, ${s.eventsPerSec} events/s${s.imported ? `, ${s.imported} imported` : ''}\n`
  );
}

/** One line on stderr, redrawn: reading (MB of input) and then detecting (events, in time order). */
export function progressLine(done: number, total: number, phase: 'read' | 'detect', secs: number): string {
  const frac = total ? Math.min(1, done / total) : 0;
  const width = 30;
  const filled = Math.round(frac * width);
  const amount = phase === 'read' ? `reading ${(done / 1e6).toFixed(0)}/${(total / 1e6).toFixed(0)} MB` : `detecting ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} events`;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0)}% ${amount} ${secs.toFixed(0)} s`;
}

function progressBar(done: number, total: number, phase: 'read' | 'detect', startedAt: number): void {
  process.stderr.write(`\r\x1b[K${progressLine(done, total, phase, (Date.now() - startedAt) / 1000)}`);
}
