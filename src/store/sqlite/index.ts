/**
 * @module store/sqlite
 * The zero-config store: one SQLite file through better-sqlite3. WAL with synchronous=NORMAL, so a committed
 * transaction survives a killed process (kill -9) — which is what acknowledging a webhook needs; only a power
 * loss or OS crash can lose the last transactions. better-sqlite3 is synchronous: every method runs on the
 * calling thread, which is also why it is fast (no per-row round trip). Long work (prune) is cut into short
 * transactions that yield to the event loop between them.
 */
import Database from 'better-sqlite3';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { randomId } from '../../core/ids.ts';
import { RampartError } from '../../core/errors.ts';
import type { Activity } from '../../schema/activity.ts';
import type { Alert } from '../../schema/alert.ts';
import type { DirectoryUser } from '../../schema/directory.ts';
import type { ActivityQuery, AlertQuery, Checkpoint, Doc, IpRange, Page, PutResult, Reject, Store, StoreStats } from '../store.ts';
import {
  activityColumns,
  clampLimit,
  DEFAULT_REJECT_LIMIT,
  deleteInBatches,
  driverCode,
  isRampart,
  loadMigrations,
  PRUNE_BATCH_ROWS,
  putResult,
  REJECT_REASON_MAX_CHARS,
  REJECT_SAMPLE_MAX_CHARS,
  rejectsAfter,
  toIsoInstant,
  toPage,
  type Migration,
} from '../common.ts';
import { buildAlertQuery, toAlertPage, type Dialect } from '../sql.ts';
import { buildSqliteActivityQuery } from './query.ts';
import { ActivityWriter, BUMP_LOG_GEN, LEVEL_SUFFIX, LOG_ROWS, MERGE_ROWS, MERGE_STEP_ROWS, MID_ROWS, READ_LEVEL_SUFFIX } from './activity-writer.js';

export interface SqliteStoreOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** Milliseconds a writer waits for another connection's lock before failing. */
  busyTimeoutMs?: number;
  /** Page cache in KiB; larger caches keep the secondary indexes hot during bulk inserts. */
  cacheKiB?: number;
  /** Where the NNNN_*.sql migrations are (tests point it elsewhere). */
  migrationsDir?: string;
  /**
   * `inline` (default): putActivities runs on the calling thread. `worker`: the batch's bound values are prepared
   * here and the transaction runs on a writer thread with its own connection, so ingestion overlaps with the
   * caller's parsing and enrichment and a long batch never blocks the event loop (the HTTP server stays
   * responsive). Acknowledgement is the same: the promise resolves after COMMIT.
   */
  writer?: 'inline' | 'worker';
  /**
   * `thread` (default for a file): WAL checkpoints run on a thread of their own (checkpointer.worker.js), so the
   * connection writing activities does not stop for the copy back and its fsync; the writers' automatic
   * checkpoint stays as the bound on the WAL. `writer`: only the writers checkpoint, as SQLite does by default.
   */
  checkpoints?: 'thread' | 'writer';
  /**
   * Told when the checkpointer thread fails a checkpoint (`checkpoint_failed`: an I/O error, a full disk) or
   * stops (`checkpointer_stopped`: it is not started again). Either way the writers' own checkpoints keep the WAL
   * bounded; the service turns it into a log line and a metric.
   */
  onCheckpointFailure?: (reason: 'checkpoint_failed' | 'checkpointer_stopped') => void;
  /**
   * New activities (their ids, emails, actor ids and IPs in the small `_recent` lookup tables) that trigger a merge
   * into the `_mid` tables (default MERGE_ROWS). Tests set it small so every query meets rows at every level.
   */
  mergeRows?: number;
  /**
   * The least number of rows in the `_mid` lookup tables that triggers their merge into the big tables (default
   * MID_ROWS); the threshold grows with the square root of the store (activity-writer.js, midThreshold).
   */
  midRows?: number;
  /** Rows per merge step (default MERGE_STEP_ROWS): each step is one short transaction after a batch. */
  mergeStepRows?: number;
  /** Rows in the log (level 0, migration 0005) that trigger its move into the `_recent` tables (default LOG_ROWS). */
  logRows?: number;
}

/** The lookup tables' levels, as table-name suffixes (activity-writer.js): an id or key entry is in exactly one. */
const LEVELS = Object.values(LEVEL_SUFFIX);
/** The same and the log (level 0, views over `activity_log`), for reads. */
const READ_LEVELS = Object.values(READ_LEVEL_SUFFIX);
/**
 * One activity by id: its rid from whichever level holds it (bound: the id once per level). coalesce stops at the
 * first level that has it, so the log (a scan of a few thousand rows: it has no id index) is read last.
 */
const GET_ACTIVITY = `SELECT body FROM activities WHERE rid = coalesce(${READ_LEVELS.map((l) => `(SELECT rid FROM activity_ids${l} WHERE id = ?)`).join(', ')})`;
const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
/**
 * WAL pages before an automatic checkpoint (8 KiB pages: about 80 MB). A 10k-row batch dirties thousands of
 * index pages, so the default (1000) checkpointed after every commit; this lets a page rewritten by several
 * commits be copied back once.
 */
const WAL_AUTOCHECKPOINT_PAGES = 10_000;
const MAX_CACHED_QUERIES = 512;
/** The checkpointer's pace: while the WAL grows, and when it did not change at the last look. */
const CHECKPOINT_ACTIVE_MS = 100;
const CHECKPOINT_IDLE_MS = 500;

/**
 * Starts a checkpointer thread (checkpointer.worker.js) for the WAL database at `path`, at the store's pace. The
 * store starts one per file; the block-store prototype (bench/block-ingest.bench.ts) uses it too.
 */
export function spawnCheckpointer(path: string, busyTimeoutMs: number): Worker {
  return new Worker(new URL('./checkpointer.worker.js', import.meta.url), {
    workerData: { path, busyTimeoutMs, activeMs: CHECKPOINT_ACTIVE_MS, idleMs: CHECKPOINT_IDLE_MS },
  });
}

export const SQLITE_DIALECT: Dialect = {
  placeholder: () => '?',
  // Epoch milliseconds: an integer key is a third of the ISO text in each of the five time indexes.
  activityTime: (iso) => Date.parse(iso),
  unindexed: (c) => `+${c}`,
  // rampart_contains lowercases with JS rules (SQLite's lower() only folds ASCII).
  textMatch: (p, needle) =>
    `(rampart_contains(${p.add(needle)}, action, actor_id, actor_email, json_extract(body, '$.actor.name'), ` +
    `json_extract(body, '$.target.id'), json_extract(body, '$.target.email'), json_extract(body, '$.target.name')) ` +
    `OR EXISTS (SELECT 1 FROM json_each(body, '$.objects') AS o ` +
    `WHERE rampart_contains(${p.add(needle)}, json_extract(o.value, '$.id'), json_extract(o.value, '$.name'))))`,
};

type Row = Record<string, unknown>;

/** Asks a store thread (writer, checkpointer) to close its connection and waits until it has exited. */
async function stopThread(thread: Worker): Promise<void> {
  const exited = new Promise((r) => thread.once('exit', r));
  // An idle thread is unref'd; hold the process open until it has exited, or close() never settles.
  thread.ref();
  thread.postMessage({ type: 'close' });
  await exited;
}

export class SqliteStore implements Store {
  readonly driver = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #path: string;
  readonly #migrationsDir: string;
  readonly #queries = new Map<string, Database.Statement>();
  /** The activity writes of this connection (activity-writer.js, shared with the writer thread). */
  #writer: ActivityWriter | null = null;
  /** The inline writer's bound values, refilled for each activity (fillRow's 11, then the rid). */
  readonly #row: unknown[] = new Array(12);
  readonly #mergeStepRows: number;
  readonly #mergeRows: number;
  readonly #midRows: number;
  readonly #logRows: number;
  #closed = false;
  #migrated = false;
  readonly #writerMode: 'inline' | 'worker';
  readonly #pragmas: string[];
  #worker: Worker | null = null;
  readonly #checkpointMode: 'thread' | 'writer';
  readonly #busyTimeoutMs: number;
  readonly #onCheckpointFailure: SqliteStoreOptions['onCheckpointFailure'];
  #checkpointer: Worker | null = null;
  #checkpointerStopped = false;
  /** PASSIVE checkpoints the checkpointer thread could not run (harmless: the writers' own checkpoints bound the WAL). */
  checkpointFailures = 0;
  #workerSeq = 0;
  readonly #pending = new Map<number, { resolve: (inserted: number[]) => void; reject: (err: Error) => void }>();

  constructor(opts: SqliteStoreOptions) {
    this.#path = opts.path;
    this.#migrationsDir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
    this.#writerMode = opts.writer ?? 'inline';
    this.#checkpointMode = opts.path === ':memory:' ? 'writer' : (opts.checkpoints ?? 'thread');
    this.#busyTimeoutMs = Math.floor(opts.busyTimeoutMs ?? 5000);
    this.#onCheckpointFailure = opts.onCheckpointFailure;
    this.#mergeRows = Math.max(1, Math.floor(opts.mergeRows ?? MERGE_ROWS));
    this.#midRows = Math.max(1, Math.floor(opts.midRows ?? MID_ROWS));
    this.#mergeStepRows = Math.max(1, Math.floor(opts.mergeStepRows ?? MERGE_STEP_ROWS));
    this.#logRows = Math.max(1, Math.floor(opts.logRows ?? LOG_ROWS));
    if (this.#writerMode === 'worker' && opts.path === ':memory:') {
      throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', ['sqlite::memory:', 'the worker writer needs a file']);
    }
    // Per-connection settings, applied to the writer thread's connection too.
    this.#pragmas = [
      'synchronous = NORMAL',
      `wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`,
      // After a checkpoint, truncate the WAL file back to this size instead of keeping its peak.
      'journal_size_limit = 67108864',
      `busy_timeout = ${this.#busyTimeoutMs}`,
      'foreign_keys = ON',
      `cache_size = -${Math.floor(opts.cacheKiB ?? 65536)}`,
      'temp_store = MEMORY',
    ];
    try {
      this.#db = new Database(opts.path);
      // 8 KiB pages: fewer, fuller index pages to rewrite per commit (only takes effect on a new file).
      this.#db.pragma('page_size = 8192');
      this.#db.pragma('journal_mode = WAL');
      for (const p of this.#pragmas) this.#db.pragma(p);
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${opts.path}`, driverCode(cause)], { cause });
    }
    this.#db.function('rampart_contains', { deterministic: true, varargs: true }, (needle: unknown, ...fields: unknown[]) => {
      if (typeof needle !== 'string') return 0;
      for (const f of fields) if (typeof f === 'string' && f.toLowerCase().includes(needle)) return 1;
      return 0;
    });
  }

  async migrate(): Promise<void> {
    let migrations: Migration[];
    try {
      migrations = loadMigrations(this.#migrationsDir);
    } catch (cause) {
      if (isRampart(cause)) throw cause;
      throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', ['(reading migrations)', driverCode(cause)], { cause });
    }
    const db = this.#db;
    try {
      db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    } catch (cause) {
      throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', ['schema_migrations', driverCode(cause)], { cause });
    }
    const applied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').pluck();
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      // IMMEDIATE takes the write lock first, so two processes migrating at once apply each step once.
      const step = db.transaction(() => {
        if (applied.get(m.version)) return;
        db.exec(m.sql);
        record.run(m.version, m.name, new Date().toISOString());
      });
      try {
        step.immediate();
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_STORE_MIGRATION_FAILED', [m.name, (cause as Error).message ?? driverCode(cause)], { cause });
      }
    }
    this.#migrated = true;
  }

  /** The hot statements, prepared once on first use (after migrate()). */
  #prepare(): void {
if (this.#writer) return;
    if (!this.#migrated) throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${this.#path}`, 'migrate() has not run']);
    this.#writer = new ActivityWriter(this.#db, { mergeRows: this.#mergeRows, midRows: this.#midRows, mergeStepRows: this.#mergeStepRows, logRows: this.#logRows });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    this.#worker = null;
    // Batches already handed over finish first: the worker handles messages in order.
    if (worker) await stopThread(worker);
    const checkpointer = this.#checkpointer;
    this.#checkpointer = null;
    // Closed before this connection, so this one closes last and checkpoints what is left (and removes the WAL).
    if (checkpointer) await stopThread(checkpointer);
    try {
      this.#db.pragma('optimize');
    } catch {
      // best effort: optimize only refreshes planner statistics
    }
    this.#db.close();
  }

  /** A cached prepared statement (the set of distinct query shapes is small and bounded). */
  #stmt(sql: string): Database.Statement {
    let s = this.#queries.get(sql);
    if (!s) {
      if (!this.#migrated) throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${this.#path}`, 'migrate() has not run']);
      s = this.#db.prepare(sql);
      if (this.#queries.size >= MAX_CACHED_QUERIES) this.#queries.delete(this.#queries.keys().next().value!);
      this.#queries.set(sql, s);
    }
    return s;
  }

  /** Runs a read; driver failures become RAMPART_ERR_STORE_UNAVAILABLE naming the operation, never the SQL. */
  #read<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      if (isRampart(cause)) throw cause;
      throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${this.#path}`, `${op} (${driverCode(cause)})`], { cause });
    }
  }

  #write<T>(op: string, fn: () => T): T {
    try {
      return fn();
    } catch (cause) {
      if (isRampart(cause) && cause.code !== 'RAMPART_ERR_STORE_WRITE_FAILED') throw cause;
      const why = isRampart(cause) ? cause.args[0] : driverCode(cause);
      throw new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', [`${op} (${why})`], { cause });
    }
  }

  // ---- Activities

  async putActivities(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult> {
    this.#startCheckpointer();
    if (this.#writerMode === 'worker') return this.#putViaWorker(activities, checkpoint);
    const result = this.#write('putActivities', () => this.#putActivitiesTx(activities, checkpoint));
    // After the COMMIT: a merge step never changes what was acknowledged (and never throws).
    this.#writer!.afterBatch();
    return result;
  }

  /** Merges every row's lookups into the big tables now; returns how many rows it moved there (tests and maintenance). */
  async mergeActivities(): Promise<number> {
    return this.#write('mergeActivities', () => {
      this.#prepare();
      return this.#writer!.mergeAll();
    });
  }

  async #putViaWorker(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult> {
    // Bound values are built here, so a bad activity fails the call before anything reaches the database.
    const rows = this.#write('putActivities', () => {
      this.#prepare();
      return activities.map((a) => {
        const row: unknown[] = new Array(12);
        fillRow(row, a);
        return row;
      });
    });
    const worker = this.#startWorker();
    const id = ++this.#workerSeq;
    const indexes = await new Promise<number[]>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Keep the process alive while a batch is in flight, never because of an idle writer.
      worker.ref();
      worker.postMessage({ id, rows, checkpoint: checkpoint ? { ...checkpoint } : null });
    });
    return putResult(activities, new Set(indexes.map((i) => activities[i].id)));
  }

  #startWorker(): Worker {
    if (this.#closed) throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${this.#path}`, 'the store is closed']);
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./writer.worker.js', import.meta.url), {
      workerData: {
        path: this.#path,
        pragmas: this.#pragmas,
        mergeRows: this.#mergeRows,
        midRows: this.#midRows,
        mergeStepRows: this.#mergeStepRows,
        logRows: this.#logRows,
      },
    });
    worker.on('message', (msg: { id: number; ok: boolean; inserted?: number[]; code?: string }) => {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (this.#pending.size === 0) worker.unref();
      if (msg.ok) p.resolve(msg.inserted!);
      else p.reject(new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', [`putActivities (${msg.code})`]));
    });
    const fail = (cause: unknown) => {
      // A dead writer fails what it held; the next batch starts a new one.
      if (this.#worker === worker) this.#worker = null;
      for (const [id, p] of this.#pending) {
        this.#pending.delete(id);
        p.reject(new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${this.#path}`, 'the writer thread stopped'], { cause }));
      }
    };
    worker.unref();
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`writer exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }

  /** Started with the first activity write or prune (a store that only reads, as most tests' do, never needs it). */
  #startCheckpointer(): void {
    if (this.#checkpointMode !== 'thread' || this.#checkpointer || this.#checkpointerStopped || this.#closed) return;
    const checkpointer = spawnCheckpointer(this.#path, this.#busyTimeoutMs);
    // Never what keeps the process alive; close() waits for it.
    checkpointer.unref();
    checkpointer.on('message', () => {
      this.checkpointFailures++;
      this.#onCheckpointFailure?.('checkpoint_failed');
    });
    const gone = (failed: boolean) => {
      // A failed checkpointer leaves the writers' own checkpoints in charge; it is not started again.
      if (this.#checkpointer === checkpointer) this.#checkpointer = null;
      if (!this.#checkpointerStopped && (failed || !this.#closed)) {
        this.checkpointFailures++;
        this.#onCheckpointFailure?.('checkpointer_stopped');
      }
      this.#checkpointerStopped = true;
    };
    checkpointer.on('error', () => gone(true));
    checkpointer.on('exit', () => gone(false));
    this.#checkpointer = checkpointer;
  }

  #putActivitiesTx(activities: Activity[], checkpoint?: Checkpoint): PutResult {
    this.#prepare();
    const row = this.#row;
    const inserted = this.#writer!.write(
      activities.length,
      (i) => {
        fillRow(row, activities[i]);
        return row;
      },
      checkpoint,
    );
    return putResult(activities, new Set(inserted.map((i) => activities[i].id)));
  }

  async getActivity(id: string): Promise<Activity | null> {
    return this.#read('getActivity', () => {
      const body = this.#stmt(
        GET_ACTIVITY,
      )
        .pluck()
        .get(READ_LEVELS.map(() => id)) as string | undefined;
      return body === undefined ? null : (JSON.parse(body) as Activity);
    });
  }

  async queryActivities(q: ActivityQuery): Promise<Page<Activity>> {
    const limit = clampLimit(q.limit);
    const { sql, params } = buildSqliteActivityQuery(SQLITE_DIALECT, q, limit);
    return this.#read('queryActivities', () => {
      const rows = this.#stmt(sql).all(params) as { time: number; id: string; body: string }[];
      return toPage(rows, limit, (r) => JSON.parse(r.body) as Activity, (r) => ({ time: new Date(r.time).toISOString(), id: r.id }));
    });
  }

  async stats(): Promise<StoreStats> {
    return this.#read('stats', () => {
      const count = (table: string) => this.#stmt(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      const range = this.#stmt('SELECT min(time) AS oldest, max(time) AS newest FROM activities').get() as { oldest: number | null; newest: number | null };
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);
      return {
        driver: this.driver,
        activities: count('activities'),
        oldestActivity: iso(range.oldest),
        newestActivity: iso(range.newest),
        alerts: count('alerts'),
        rejects: count('rejects'),
        directoryUsers: count('directory_users'),
        // A file store: the file and its WAL; in memory: the pages in use.
        bytes: this.#path === ':memory:' ? (this.#db.pragma('page_count', { simple: true }) as number) * (this.#db.pragma('page_size', { simple: true }) as number) : size(this.#path) + size(`${this.#path}-wal`),
      };
    });
  }

  async countActivities(): Promise<number> {
    return this.#read('countActivities', () => this.#stmt('SELECT count(*) FROM activities').pluck().get() as number);
  }

  async pruneActivities(before: string): Promise<number> {
    const cutoff = Date.parse(toIsoInstant(before, 'prune bound'));
    this.#startCheckpointer();
    const del = this.#stmt(
      'DELETE FROM activities WHERE rid IN (SELECT rid FROM activities WHERE time < ? LIMIT ?) RETURNING rid, id, time, actor_email, actor_id, ip',
    );
    // A pruned row's id and lookup entries go in the same transaction, so the id can be stored again later.
    const forgetId = LEVELS.map((l) => this.#stmt(`DELETE FROM activity_ids${l} WHERE id = ?`));
    const forgetKey = ['email', 'actor', 'ip'].map((k) => LEVELS.map((l) => this.#stmt(`DELETE FROM activities_by_${k}${l} WHERE k = ? AND t = ? AND r = ?`)));
    const forgetLogged = this.#stmt('DELETE FROM activity_log WHERE rid = ?');
    // Writers remember the log's ids (activity-writer.js): a new generation makes them read it again.
    const bumpLogGen = this.#stmt(BUMP_LOG_GEN);
    const batch = this.#db.transaction(() => {
      const rows = del.all(cutoff, PRUNE_BATCH_ROWS) as { rid: number; id: string; time: number; actor_email: string | null; actor_id: string | null; ip: string | null }[];
      let logged = 0;
      for (const r of rows) {
        for (const f of forgetId) f.run(r.id);
        for (const [i, k] of [r.actor_email, r.actor_id, r.ip].entries()) {
          if (k !== null) for (const f of forgetKey[i]) f.run(k, r.time, r.rid);
        }
        logged += forgetLogged.run(r.rid).changes;
      }
      if (logged) bumpLogGen.run();
      return rows.length;
    });
    return deleteInBatches(
      () => this.#write('pruneActivities', () => batch()),
      () => new Promise((r) => setImmediate(r)),
    );
  }

  async pruneRejects(before: string): Promise<number> {
    const del = this.#stmt('DELETE FROM rejects WHERE seq IN (SELECT seq FROM rejects WHERE received_at < ? LIMIT ?)');
    return this.#pruneWith('pruneRejects', del, toIsoInstant(before, 'prune bound'));
  }

  async pruneDocs(kind: string, before: string): Promise<number> {
    const del = this.#stmt('DELETE FROM docs WHERE rowid IN (SELECT rowid FROM docs WHERE kind = ? AND updated_at < ? LIMIT ?)');
    return this.#pruneWith('pruneDocs', del, kind, toIsoInstant(before, 'prune bound'));
  }

  /** Each batch is its own short transaction; between batches other work gets the event loop and the lock. */
  #pruneWith(op: string, del: Database.Statement, ...args: unknown[]): Promise<number> {
    return deleteInBatches(
      () => this.#write(op, () => del.run(...args, PRUNE_BATCH_ROWS).changes),
      () => new Promise((r) => setImmediate(r)),
    );
  }

  // ---- Alerts

  async putAlert(alert: Alert): Promise<void> {
    this.#write('putAlert', () =>
      this.#stmt(
        'INSERT INTO alerts (id, time, status, severity, detection, user_key, updated_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
          'ON CONFLICT(id) DO UPDATE SET time = excluded.time, status = excluded.status, severity = excluded.severity, ' +
          'detection = excluded.detection, user_key = excluded.user_key, updated_at = excluded.updated_at, body = excluded.body',
      ).run(
        alert.id,
        toIsoInstant(alert.time, 'alert time'),
        alert.status,
        alert.severity,
        alert.detection,
        alert.user?.toLowerCase() ?? null,
        alert.updatedAt,
        JSON.stringify(alert),
      ),
    );
  }

  async getAlert(id: string): Promise<Alert | null> {
    return this.#read('getAlert', () => {
      const body = this.#stmt('SELECT body FROM alerts WHERE id = ?').pluck().get(id) as string | undefined;
      return body === undefined ? null : (JSON.parse(body) as Alert);
    });
  }

  async listAlerts(q: AlertQuery): Promise<Page<Alert>> {
    const limit = clampLimit(q.limit);
    const { sql, params } = buildAlertQuery(SQLITE_DIALECT, q, limit);
    return this.#read('listAlerts', () => {
      const rows = this.#stmt(sql).all(params) as { time: string; id: string; severity: string; user_key: string | null; body: string }[];
      return toAlertPage(rows, limit, q.sort, (r) => JSON.parse(r.body) as Alert, (r) => ({ time: r.time, id: r.id, severity: r.severity, userKey: r.user_key }));
    });
  }

  // ---- Directory

  async putDirectoryUsers(users: DirectoryUser[]): Promise<void> {
    const upsert = this.#stmt(
      'INSERT INTO directory_users (app, id, email_lc, updated_at, body) VALUES (?, ?, ?, ?, ?) ' +
        'ON CONFLICT(app, id) DO UPDATE SET email_lc = excluded.email_lc, updated_at = excluded.updated_at, body = excluded.body',
    );
    this.#write('putDirectoryUsers', () =>
      this.#db.transaction(() => {
        for (const u of users) upsert.run(u.app, u.id, u.email?.toLowerCase() ?? null, u.updatedAt, JSON.stringify(u));
      })(),
    );
  }

  async getDirectoryUser(app: string, idOrEmail: string): Promise<DirectoryUser | null> {
    return this.#read('getDirectoryUser', () => {
      const byId = this.#stmt('SELECT body FROM directory_users WHERE app = ? AND id = ?').pluck().get(app, idOrEmail);
      const body =
        byId ??
        this.#stmt('SELECT body FROM directory_users WHERE app = ? AND email_lc = ? ORDER BY updated_at DESC, id LIMIT 1')
          .pluck()
          .get(app, idOrEmail.toLowerCase());
      return body === undefined ? null : (JSON.parse(body as string) as DirectoryUser);
    });
  }

  async listDirectoryUsers(app?: string): Promise<DirectoryUser[]> {
    return this.#read('listDirectoryUsers', () => {
      const rows = (
        app === undefined
          ? this.#stmt('SELECT body FROM directory_users ORDER BY app, id').pluck().all()
          : this.#stmt('SELECT body FROM directory_users WHERE app = ? ORDER BY id').pluck().all(app)
      ) as string[];
      return rows.map((b) => JSON.parse(b) as DirectoryUser);
    });
  }

  // ---- IP ranges

  async putIpRange(range: IpRange): Promise<void> {
    this.#write('putIpRange', () =>
      this.#stmt('INSERT INTO ip_ranges (name, body) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET body = excluded.body').run(
        range.name,
        JSON.stringify(range),
      ),
    );
  }

  async deleteIpRange(name: string): Promise<boolean> {
    return this.#write('deleteIpRange', () => this.#stmt('DELETE FROM ip_ranges WHERE name = ?').run(name).changes > 0);
  }

  async listIpRanges(): Promise<IpRange[]> {
    return this.#read('listIpRanges', () =>
      (this.#stmt('SELECT body FROM ip_ranges ORDER BY name').pluck().all() as string[]).map((b) => JSON.parse(b) as IpRange),
    );
  }

  // ---- Checkpoints

  async getCheckpoint(connector: string, key: string): Promise<string | null> {
    return this.#read('getCheckpoint', () => {
      const v = this.#stmt('SELECT value FROM checkpoints WHERE connector = ? AND key = ?').pluck().get(connector, key);
      return v === undefined ? null : (v as string);
    });
  }

  async setCheckpoint(cp: Checkpoint): Promise<void> {
    this.#write('setCheckpoint', () => {
      this.#prepare();
      this.#writer!.setCheckpoint.run(cp.connector, cp.key, cp.value, new Date().toISOString());
    });
  }

  // ---- Rejects

  async putRejects(rejects: Reject[]): Promise<void> {
    const insert = this.#stmt(
      'INSERT INTO rejects (id, source, code, reason, sample, received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING',
    );
    this.#write('putRejects', () =>
      this.#db.transaction(() => {
        for (const r of rejects) {
          insert.run(
            r.id ?? randomId('rej'),
            r.source,
            r.code,
            r.reason.slice(0, REJECT_REASON_MAX_CHARS),
            r.sample.slice(0, REJECT_SAMPLE_MAX_CHARS),
            r.receivedAt,
          );
        }
      })(),
    );
  }

  async listRejects(limit = DEFAULT_REJECT_LIMIT, cursor?: string | null): Promise<Page<Reject>> {
    const n = clampLimit(limit, DEFAULT_REJECT_LIMIT);
    const after = rejectsAfter(cursor);
    const cols = 'SELECT seq, id, source, code, reason, sample, received_at FROM rejects';
    const order = 'ORDER BY received_at DESC, seq DESC LIMIT ?';
    return this.#read('listRejects', () => {
      const rows = (
        after
          ? this.#stmt(`${cols} WHERE received_at < ? OR (received_at = ? AND seq < ?) ${order}`).all(after.time, after.time, after.seq, n + 1)
          : this.#stmt(`${cols} ${order}`).all(n + 1)
      ) as Row[];
      return toPage(rows, n, rejectFromRow, (r) => ({ time: r.received_at as string, id: String(r.seq) }));
    });
  }

  // ---- Documents

  async putDoc(doc: Doc): Promise<void> {
    this.#write('putDoc', () =>
      this.#stmt(
        'INSERT INTO docs (kind, id, updated_at, body) VALUES (?, ?, ?, ?) ' +
          'ON CONFLICT(kind, id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body',
      ).run(doc.kind, doc.id, doc.updatedAt, JSON.stringify(doc.body ?? null)),
    );
  }

  /** Compare-and-set in one statement: written only when the stored updatedAt is `expected` (null = absent). */
  async putDocIf(doc: Doc, expected: string | null): Promise<boolean> {
    return this.#write('putDocIf', () => {
      const body = JSON.stringify(doc.body ?? null);
      const r =
        expected === null
          ? this.#stmt('INSERT INTO docs (kind, id, updated_at, body) VALUES (?, ?, ?, ?) ON CONFLICT(kind, id) DO NOTHING').run(doc.kind, doc.id, doc.updatedAt, body)
          : this.#stmt('UPDATE docs SET updated_at = ?, body = ? WHERE kind = ? AND id = ? AND updated_at = ?').run(doc.updatedAt, body, doc.kind, doc.id, expected);
      return r.changes === 1;
    });
  }

  async getDoc<T = unknown>(kind: string, id: string): Promise<Doc<T> | null> {
    return this.#read('getDoc', () => {
      const row = this.#stmt('SELECT kind, id, updated_at, body FROM docs WHERE kind = ? AND id = ?').get(kind, id) as Row | undefined;
      return row ? docFromRow<T>(row) : null;
    });
  }

  async listDocs<T = unknown>(kind: string): Promise<Doc<T>[]> {
    return this.#read('listDocs', () =>
      (this.#stmt('SELECT kind, id, updated_at, body FROM docs WHERE kind = ? ORDER BY id').all(kind) as Row[]).map((r) => docFromRow<T>(r)),
    );
  }

  async deleteDoc(kind: string, id: string): Promise<boolean> {
    return this.#write('deleteDoc', () => this.#stmt('DELETE FROM docs WHERE kind = ? AND id = ?').run(kind, id).changes > 0);
  }
}

/** One activity's 11 bound values: the indexed columns plus the whole record as JSON (exported for the bench). */
export function fillRow(params: unknown[], a: Activity): void {
  const c = activityColumns(a);
  params[0] = c.id;
  params[1] = Date.parse(c.time);
  params[2] = c.app;
  params[3] = c.tenant;
  params[4] = c.actorId;
  params[5] = c.actorEmail;
  params[6] = c.ip;
  params[7] = c.action;
  params[8] = c.category;
  params[9] = c.outcome;
  params[10] = JSON.stringify(a);
}

function rejectFromRow(r: Row): Reject {
  return {
    id: r.id as string,
    source: r.source as string,
    code: r.code as string,
    reason: r.reason as string,
    sample: r.sample as string,
    receivedAt: r.received_at as string,
  };
}

function docFromRow<T>(r: Row): Doc<T> {
  return { kind: r.kind as string, id: r.id as string, updatedAt: r.updated_at as string, body: JSON.parse(r.body as string) as T };
}
