/**
 * @module scan/scan
 * `rampart scan`: forensic batch analysis of exported logs. Reads NDJSON/gzip files, detects the input format
 * per line, enriches, orders by event time (bounded memory), runs every enabled detection and policy, and
 * returns the alerts. A bad line is reported (file:line and reason), counted and written to the rejects file;
 * it never aborts the scan. An event seen again (same id, same time: a redelivery) is detected once.
 */
import { accessSync, constants, createWriteStream, statSync, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { RampartError, isRampartError, type ErrorCode } from '../core/errors.ts';
import type { Activity } from '../schema/activity.ts';
import type { Alert } from '../schema/alert.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { AlertProducer } from '../core/pipeline.ts';
import type { InputContext, InputFormat } from '../connectors/input-format.ts';
import type { Store } from '../store/store.ts';
import { openInput, readNdjson, sampleOf, STDIN_PATH } from './ndjson-reader.ts';
import { TimeSorter, type SortedEvent } from './time-sorter.ts';

/** How rejects and messages name standard input. */
export const STDIN_NAME = '<stdin>';

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
  /** Events skipped because an event with the same id and time was already detected (redelivered copies). */
  duplicates: number;
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

/**
 * Fails before anything is read when an input cannot be read (missing, a folder, no read permission), so a
 * long scan does not stop at its last file. Returns each input's size (0 for standard input and pipes).
 */
function checkInputs(files: readonly string[]): number[] {
  if (files.filter((f) => f === STDIN_PATH).length > 1) {
    throw new RampartError('RAMPART_ERR_INPUT_UNREADABLE', [STDIN_PATH, 'standard input is named more than once (it can be read only once)']);
  }
  return files.map((f) => {
    if (f === STDIN_PATH) return 0; // its size is known once read
    try {
      const st = statSync(f);
      if (st.isDirectory()) throw new Error('it is a directory');
      accessSync(f, constants.R_OK);
      return st.isFile() ? st.size : 0; // a pipe (`<(zcat export.gz)`) has no size
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_UNREADABLE', [f, (cause as Error).message], { cause });
    }
  });
}

/**
 * Fails before anything is read when the rejects file could not be written, without creating it (it is created
 * at the first reject): its folder must exist and be writable, an existing file must be a writable file, and it
 * must not be one of the inputs (it would be truncated while being read).
 */
function checkRejectsPath(path: string, files: readonly string[]): void {
  const refuse = (why: string, cause?: unknown): never => {
    throw new RampartError('RAMPART_ERR_INPUT_REJECTS_UNWRITABLE', [path, why], { cause });
  };
  let st;
  try {
    st = statSync(path);
  } catch {
    st = null; // not there yet: its folder decides
  }
  if (st) {
    if (st.isDirectory()) refuse('it is a directory');
    for (const f of files) {
      if (f === STDIN_PATH) continue;
      const input = statSync(f);
      if (input.dev === st.dev && input.ino === st.ino) refuse(`it is the input file ${f}`);
    }
    try {
      accessSync(path, constants.W_OK);
    } catch (cause) {
      refuse((cause as Error).message, cause);
    }
    return;
  }
  const dir = dirname(path);
  try {
    if (!statSync(dir).isDirectory()) refuse(`${dir} is not a directory`);
    accessSync(dir, constants.W_OK);
  } catch (cause) {
    if (isRampartError(cause)) throw cause;
    refuse((cause as Error).message, cause);
  }
}

export async function runScan(opts: ScanOptions, deps: ScanDeps): Promise<ScanResult> {
  const started = performance.now();
  // Fail before reading anything when the run itself cannot proceed.
  const sizes = checkInputs(opts.files);
  if (opts.rejectsPath) checkRejectsPath(opts.rejectsPath, opts.files);

  const summary: ScanSummary = {
    files: opts.files.length,
    lines: 0,
    events: 0,
    duplicates: 0,
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
  // A write that fails after the check (a full disk) stops the scan with the catalogue's error, not an
  // unhandled 'error' event: the rejects are part of the scan's result.
  const rejectsWritten = async (out: WriteStream, event: 'drain' | 'finish') => {
    try {
      if (out.errored) throw out.errored; // its 'error' event has passed: the awaited event will never come
      await once(out, event);
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_INPUT_REJECTS_UNWRITABLE', [opts.rejectsPath, (cause as Error).message], { cause });
    }
  };
  const reject = async (r: ScanReject) => {
    summary.rejects++;
    summary.rejectsByCode[r.code] = (summary.rejectsByCode[r.code] ?? 0) + 1;
    opts.onReject?.(r);
    if (opts.rejectsPath) {
      // 0600: rejected lines are samples of the audit data itself.
      rejectsOut ??= createWriteStream(opts.rejectsPath, { mode: 0o600 }).on('error', () => undefined); // seen through .errored
      if (rejectsOut.errored || !rejectsOut.write(JSON.stringify(r) + '\n')) await rejectsWritten(rejectsOut, 'drain');
    }
  };

  const sorter = new TimeSorter({ memoryEvents: opts.sortMemoryEvents, memoryBytes: opts.sortMemoryBytes });
  const ctx = { receivedAt: new Date().toISOString(), source: 'scan' };
  let alerts: Map<string, Alert>;
  // The sorter's temporary runs are removed however the scan ends (done, a failed write of a run, a throwing callback).
  try {
    await readInto(sorter, opts, deps.formats, ctx, summary, reject, sizes);
    summary.spilledRuns = sorter.spilledRuns;
    alerts = await detectInOrder(sorter, opts, deps, ctx, summary);
  } finally {
    sorter.dispose();
  }

  if (rejectsOut) {
    (rejectsOut as WriteStream).end();
    await rejectsWritten(rejectsOut, 'finish');
  }
  const sorted = [...alerts.values()].sort((x, y) => (x.time < y.time ? -1 : x.time > y.time ? 1 : x.id < y.id ? -1 : 1));
  summary.alerts = sorted.length;
  for (const a of sorted) summary.alertsByDetection[a.detection] = (summary.alertsByDetection[a.detection] ?? 0) + 1;
  summary.elapsedMs = Math.round(performance.now() - started);
  summary.eventsPerSec = summary.elapsedMs > 0 ? Math.round((summary.events * 1000) / summary.elapsedMs) : summary.events;
  return { alerts: sorted, summary };
}

/** What one good line of input is: its format and activities, or why it is rejected. */
type Normalized = { formatIndex: number; activities: Activity[] } | { code: ErrorCode; reason: string };

/**
 * The line's format and activities. Never throws: whatever a format does with a hostile record (detect or parse
 * failing in an unforeseen way) rejects this one line, and the scan goes on with the next.
 */
function normalizeLine(record: Record<string, unknown>, formats: readonly InputFormat[], ctx: InputContext): Normalized {
  try {
    const formatIndex = formats.findIndex((f) => f.detect(record));
    if (formatIndex < 0) return { code: 'RAMPART_ERR_INPUT_UNKNOWN_FORMAT', reason: 'no registered input format recognises this record' };
    return { formatIndex, activities: formats[formatIndex].parse(record, ctx) };
  } catch (e) {
    return { code: isRampartError(e) ? e.code : 'RAMPART_ERR_INPUT_INVALID_RECORD', reason: (e as Error).message };
  }
}

/** Reads every file into the sorter: rejects reported in input order, each good line's activities held. */
async function readInto(
  sorter: TimeSorter,
  opts: ScanOptions,
  formats: readonly InputFormat[],
  ctx: InputContext,
  summary: ScanSummary,
  reject: (r: ScanReject) => Promise<void>,
  sizes: readonly number[],
): Promise<void> {
  let totalBytes = sizes.reduce((sum, n) => sum + n, 0);
  let readBytes = 0;
  for (const [i, path] of opts.files.entries()) {
    const fromStdin = path === STDIN_PATH;
    const file = fromStdin ? STDIN_NAME : path; // as rejects name it
    let fileBytes = 0; // uncompressed bytes, for the progress bar (approximate for gzip)
    // A read error part-way (a cut gzip file) is the file's last result, at its own line number: the complete
    // lines before it have been processed, and the scan goes on with the next file.
    for await (const res of readNdjson(openInput(path, opts.stdin), opts.maxLineBytes, file)) {
      summary.lines++;
      fileBytes += res.bytes + 1;
      // Standard input's size is what has been read of it so far.
      const total = fromStdin ? totalBytes + fileBytes : totalBytes;
      if (opts.onProgress && (summary.lines & 0x3fff) === 0) opts.onProgress(Math.min(readBytes + fileBytes, total), total, 'read');
      if (!res.ok) {
        await reject({ file, line: res.line, code: res.code, reason: res.reason, sample: res.sample });
        continue;
      }
      const n = normalizeLine(res.record, formats, ctx);
      if ('code' in n) {
        await reject({ file, line: res.line, code: n.code, reason: n.reason, sample: sampleOf(res.raw) });
        continue;
      }
      const { formatIndex, activities } = n;
      const format = formats[formatIndex];
      summary.eventsByFormat[format.id] = (summary.eventsByFormat[format.id] ?? 0) + activities.length;
      summary.events += activities.length;
      // Hold the line itself when it made one activity (parsed again after the sort); else each activity's JSON.
      if (activities.length === 1 && format.scanHold !== 'activity' && formatIndex < MAX_LINE_TAGS) sorter.add(timeKey(activities[0].time), FIRST_LINE_TAG + formatIndex, res.raw);
      else for (const a of activities) sorter.add(timeKey(a.time), ACTIVITY_TAG, JSON.stringify(a));
    }
    if (fromStdin) totalBytes += fileBytes;
    readBytes += fromStdin ? fileBytes : sizes[i];
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
  // A redelivered event (the same export twice, a file given twice, a webhook retried) has its id AND its time,
  // so its copies are neighbours in time order: remembering the ids of the current time finds every one of them
  // in bounded memory. Like the live pipeline, which detects only what the store inserted as new, a copy is
  // counted and skipped. The same id at another time is not a redelivery: it is detected again.
  let idsTime = Number.NaN;
  const idsAtTime = new Set<string>();
  for await (const e of sorter.drain()) {
    if (opts.onProgress && (++detected & 0x3fff) === 0) opts.onProgress(detected, summary.events, 'detect');
    const a = replay(e, deps.formats, ctx);
    if (e.time !== idsTime) {
      idsTime = e.time;
      idsAtTime.clear();
    }
    if (idsAtTime.has(a.id)) {
      summary.duplicates++;
      continue;
    }
    idsAtTime.add(a.id);
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
