/**
 * @module scan/scan
 * `rampart scan`: forensic batch analysis of exported logs. Reads NDJSON/gzip files, detects the input format
 * per line, enriches, orders by event time (bounded memory), runs every enabled detection and policy, and
 * returns the alerts. A bad line is reported (file:line and reason), counted and written to the rejects file;
 * it never aborts the scan.
 */
import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { RampartError, isRampartError, type ErrorCode } from '../core/errors.ts';
import type { Activity } from '../schema/activity.ts';
import type { Alert } from '../schema/alert.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { AlertProducer } from '../core/pipeline.ts';
import type { InputContext, InputFormat } from '../connectors/input-format.ts';
import type { Store } from '../store/store.ts';
import { openInput, readNdjson, STDIN_PATH } from './ndjson-reader.ts';

/** How rejects and messages name standard input. */
export const STDIN_NAME = '<stdin>';
import { TimeSorter, type SortedEvent } from './time-sorter.ts';

export interface ScanDeps {
  enricher: Enricher;
  engine: AlertProducer;
  formats: readonly InputFormat[];
  /** When set, activities are also imported into the store (in event-time order, batched). */
  store?: Store | null;
}

export interface ScanOptions {
  /** Files to read, in order; `-` reads standard input (once). */
  files: string[];
  /** What `-` reads (default process.stdin; tests pass their own stream). */
  stdin?: AsyncIterable<Buffer>;
  maxLineBytes: number;
  sortMemoryEvents: number;
  /** Bytes of held events before the on-disk sort takes over (default 256 MiB). */
  sortMemoryBytes?: number;
  /** Where rejected lines are written as NDJSON; null = not written (still reported and counted). */
  rejectsPath: string | null;
  /** Called for each rejected line (the CLI prints it on stderr). */
  onReject?: (r: ScanReject) => void;
  /**
   * Progress bar: while reading, bytes read so far and the total (`read`); then, while detections run over the
   * sorted events (the longer part of a large scan), events done and the total (`detect`).
   */
  onProgress?: (done: number, total: number, phase: 'read' | 'detect') => void;
  importBatchSize?: number;
}

export interface ScanReject {
  file: string;
  line: number;
  code: ErrorCode;
  reason: string;
  sample: string;
}

export interface ScanSummary {
  files: number;
  lines: number;
  events: number;
  rejects: number;
  rejectsByCode: Record<string, number>;
  eventsByFormat: Record<string, number>;
  alerts: number;
  alertsByDetection: Record<string, number>;
  imported: number;
  spilledRuns: number;
  elapsedMs: number;
  eventsPerSec: number;
}

export interface ScanResult {
  alerts: Alert[];
  summary: ScanSummary;
}

/**
 * How a held event is stored in the sorter: its input line when the line made exactly one activity and the
 * format holds lines (tag FIRST_LINE_TAG + the format's index: parsing and normalising a Workplace line again
 * after the sort costs less than JSON.stringify and JSON.parse of the activity, and the line is half the
 * bytes), else the normalised activity's JSON (ACTIVITY_TAG). Enrichment runs once, after the sort, on either.
 */
const ACTIVITY_TAG = 0;
const FIRST_LINE_TAG = 1;
const MAX_LINE_TAGS = 255 - FIRST_LINE_TAG;

/** The sort key of an activity's time (always a toISOString text): epoch milliseconds; last if unreadable. */
const timeKey = (iso: string): number => {
  const t = Date.parse(iso);
  return t === t ? t : Number.MAX_VALUE; // NaN would break the sort's comparisons
};

/** The activity a held event stands for. Parsing a line again gives the same activity: formats are pure. */
function replay(e: SortedEvent, formats: readonly InputFormat[], ctx: InputContext): Activity {
  const text = e.payload.toString('utf8');
  if (e.tag === ACTIVITY_TAG) return JSON.parse(text) as Activity;
  const activities = formats[e.tag - FIRST_LINE_TAG].parse(JSON.parse(text) as Record<string, unknown>, ctx);
  if (activities.length !== 1) throw new Error(`scan: a held line made ${activities.length} activities when read again`);
  return activities[0];
}

export async function runScan(opts: ScanOptions, deps: ScanDeps): Promise<ScanResult> {
  const started = performance.now();
  // Fail before reading anything when an input cannot be opened: the run itself cannot proceed.
  let totalBytes = 0;
  for (const f of opts.files) {
    if (f === STDIN_PATH) continue; // its size is known once read
    try {
      totalBytes += statSync(f).size;
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_UNREADABLE', [f, (cause as Error).message], { cause });
    }
  }
  if (opts.files.filter((f) => f === STDIN_PATH).length > 1) {
    throw new RampartError('RAMPART_ERR_INPUT_UNREADABLE', [STDIN_PATH, 'standard input is named more than once (it can be read only once)']);
  }

  const summary: ScanSummary = {
    files: opts.files.length,
    lines: 0,
    events: 0,
    rejects: 0,
    rejectsByCode: {},
    eventsByFormat: {},
    alerts: 0,
    alertsByDetection: {},
    imported: 0,
    spilledRuns: 0,
    elapsedMs: 0,
    eventsPerSec: 0,
  };
  let rejectsOut: WriteStream | null = null;
  const reject = async (r: ScanReject) => {
    summary.rejects++;
    summary.rejectsByCode[r.code] = (summary.rejectsByCode[r.code] ?? 0) + 1;
    opts.onReject?.(r);
    if (opts.rejectsPath) {
      // 0600: rejected lines are samples of the audit data itself.
      rejectsOut ??= createWriteStream(opts.rejectsPath, { mode: 0o600 });
      if (!rejectsOut.write(JSON.stringify(r) + '\n')) await once(rejectsOut, 'drain');
    }
  };

  const sorter = new TimeSorter({ memoryEvents: opts.sortMemoryEvents, memoryBytes: opts.sortMemoryBytes });
  const ctx = { receivedAt: new Date().toISOString(), source: 'scan' };
  let alerts: Map<string, Alert>;
  // The sorter's temporary runs are removed however the scan ends (done, a failed write of a run, a throwing callback).
  try {
    await readInto(sorter, opts, deps.formats, ctx, summary, reject, totalBytes);
    summary.spilledRuns = sorter.spilledRuns;
    alerts = await detectInOrder(sorter, opts, deps, ctx, summary);
  } finally {
    sorter.dispose();
  }

  if (rejectsOut) {
    (rejectsOut as WriteStream).end();
    await once(rejectsOut as WriteStream, 'finish');
  }
  const sorted = [...alerts.values()].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : 1));
  summary.alerts = sorted.length;
  for (const a of sorted) summary.alertsByDetection[a.detection] = (summary.alertsByDetection[a.detection] ?? 0) + 1;
  summary.elapsedMs = Math.round(performance.now() - started);
  summary.eventsPerSec = summary.elapsedMs > 0 ? Math.round((summary.events * 1000) / summary.elapsedMs) : summary.events;
  return { alerts: sorted, summary };
}

/** Reads every file into the sorter: rejects reported in input order, each good line's activities held. */
async function readInto(
  sorter: TimeSorter,
  opts: ScanOptions,
  formats: readonly InputFormat[],
  ctx: InputContext,
  summary: ScanSummary,
  reject: (r: ScanReject) => Promise<void>,
  totalBytes: number,
): Promise<void> {
  let readBytes = 0;
  for (const path of opts.files) {
    const fromStdin = path === STDIN_PATH;
    const file = fromStdin ? STDIN_NAME : path; // as rejects name it
    const input = openInput(path, opts.stdin);
    let fileBytes = 0; // uncompressed bytes, for the progress bar (approximate for gzip)
    try {
      for await (const res of readNdjson(input, opts.maxLineBytes)) {
        summary.lines++;
        fileBytes += res.bytes + 1;
        // Standard input's size is what has been read of it so far.
        const total = fromStdin ? totalBytes + fileBytes : totalBytes;
        if (opts.onProgress && (summary.lines & 0x3fff) === 0) opts.onProgress(Math.min(readBytes + fileBytes, total), total, 'read');
        if (!res.ok) {
          await reject({ file, line: res.line, code: res.code, reason: res.reason, sample: res.sample });
          continue;
        }
        const formatIndex = formats.findIndex((f) => f.detect(res.record));
        if (formatIndex < 0) {
          await reject({ file, line: res.line, code: 'RAMPART_ERR_INPUT_UNKNOWN_FORMAT', reason: 'no registered input format recognises this record', sample: JSON.stringify(res.record).slice(0, 512) });
          continue;
        }
        const format = formats[formatIndex];
        let activities: Activity[];
        try {
          activities = format.parse(res.record, ctx);
        } catch (e) {
          const code: ErrorCode = isRampartError(e) ? e.code : 'RAMPART_ERR_INPUT_INVALID_RECORD';
          await reject({ file, line: res.line, code, reason: (e as Error).message, sample: JSON.stringify(res.record).slice(0, 512) });
          continue;
        }
        summary.eventsByFormat[format.id] = (summary.eventsByFormat[format.id] ?? 0) + activities.length;
        summary.events += activities.length;
        // Hold the line itself when it made one activity (parsed again after the sort); else each activity's JSON.
        if (activities.length === 1 && format.scanHold !== 'activity' && formatIndex < MAX_LINE_TAGS) sorter.add(timeKey(activities[0].time), FIRST_LINE_TAG + formatIndex, res.raw);
        else for (const a of activities) sorter.add(timeKey(a.time), ACTIVITY_TAG, JSON.stringify(a));
      }
    } catch (cause) {
      if (isRampartError(cause)) throw cause;
      // A read error mid-file (e.g. a truncated gzip): report what was read, then stop this file.
      await reject({ file, line: summary.lines + 1, code: 'RAMPART_ERR_INPUT_UNREADABLE', reason: `cannot read input ${file}: ${(cause as Error).message}`, sample: '' });
    }
    if (fromStdin) totalBytes += fileBytes;
    readBytes += fromStdin ? fileBytes : statSync(path).size;
    opts.onProgress?.(readBytes, totalBytes, 'read');
  }
}

/**
 * Enriches and detects the held events in event-time order (and imports them when a store is given). Alerts are
 * keyed by id, so repeats folded by dedup keep their final state.
 */
async function detectInOrder(sorter: TimeSorter, opts: ScanOptions, deps: ScanDeps, ctx: InputContext, summary: ScanSummary): Promise<Map<string, Alert>> {
  const alerts = new Map<string, Alert>();
  const store = deps.store;
  let batch: Activity[] = [];
  // One import batch is written while detection runs on the next (with the SQLite writer thread, which the CLI
  // opens for --import, or PostgreSQL). Never two writes at once: two transactions taking the same ids in
  // opposite orders could deadlock on PostgreSQL.
  let writing: Promise<void> | null = null;
  const importBatch = async (s: Store) => {
    const rows = batch;
    batch = [];
    if (writing) await writing;
    writing = s.putActivities(rows).then((r) => {
      summary.imported += r.inserted;
    });
    writing.catch(() => undefined); // awaited at the next batch or at the end; not an unhandled rejection meanwhile
  };
  const batchSize = opts.importBatchSize ?? 5000;
  let detected = 0;
  for await (const e of sorter.drain()) {
    if (opts.onProgress && (++detected & 0x3fff) === 0) opts.onProgress(detected, summary.events, 'detect');
    const a = replay(e, deps.formats, ctx);
    deps.enricher.enrich(a);
    for (const alert of deps.engine.process(a)) alerts.set(alert.id, alert);
    if (store) {
      batch.push(a);
      if (batch.length >= batchSize) await importBatch(store);
    }
  }
  if (store && batch.length) await importBatch(store);
  if (writing) await writing;
  opts.onProgress?.(summary.events, summary.events, 'detect');
  if (store) for (const a of alerts.values()) await store.putAlert(a);
  return alerts;
}
