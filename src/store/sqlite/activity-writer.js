// @ts-check
// How activities are written to SQLite, shared by the inline writer (SqliteStore, index.ts) and the writer thread
// (writer.worker.js), so both keep the same layout (migrations 0002, 0003; docs/store.md, "Writing activities"). Plain
// JavaScript so the worker loads it without a TypeScript loader; types in activity-writer.d.ts.

/**
 * The lookups live in three levels (migrations 0002, 0003; docs/store.md, "Writing activities"): `_recent` (the
 * newest rows, small and hot), `_mid` and the unsuffixed big tables (everything older). Rows reach `_recent` one by
 * one; `_recent` merges into `_mid` in key order once it holds `mergeRows`, and `_mid` into the big tables once it
 * holds its threshold (midThreshold). A merge rewrites the pages of the level it merges into, so merging every
 * `mergeRows` straight into the big tables rewrote a growing share of their pages each time, growing with the
 * store; the middle level keeps that rewrite to once per `_mid` threshold.
 */
export const LEVEL_SUFFIX = { big: '', mid: '_mid', recent: '_recent' };
/**
 * Level 0 (migration 0005): `activity_log`, the newest rows' ids and keys appended in rid order, before their move
 * into the `_recent` tables. Its views (`activity_ids_log`, `activities_by_<key>_log`) give it the lookup tables'
 * shape, so the read paths walk it as one more level: these suffixes are for reading only (a view takes no writes).
 */
export const READ_LEVEL_SUFFIX = { ...LEVEL_SUFFIX, log: '_log' };
/**
 * Whether an id is stored at a level with an id index (read only: the older tables' random pages stay clean). The
 * log has no index on id; a writer remembers the log's ids instead (ActivityWriter, logIds). Bound: the id 3 times.
 */
const STORED_ID =
  'SELECT EXISTS (SELECT 1 FROM activity_ids_recent WHERE id = ?) OR EXISTS (SELECT 1 FROM activity_ids_mid WHERE id = ?) ' +
  'OR EXISTS (SELECT 1 FROM activity_ids WHERE id = ?)';
/** A new row's id and keys, appended to the log (bound: rid, id, time, email, actor id, IP). */
const LOG_ROW = 'INSERT INTO activity_log (rid, id, t, email, actor, ip) VALUES (?, ?, ?, ?, ?, ?)';
const LOG_GEN = 'SELECT log_gen FROM activity_merge';
/** A new generation of the log (after a move, or a prune of log rows): every writer reads the log again. */
export const BUMP_LOG_GEN = 'UPDATE activity_merge SET log_gen = log_gen + 1';
/** The log's rows another connection appended since this writer last looked (bound: the last rid it knows). */
const LOG_SINCE = 'SELECT rid, id FROM activity_log WHERE rid > ? ORDER BY rid';
/**
 * The move of the whole log into the `_recent` tables, in key order (run in one transaction with the delete and the
 * generation bump). The conflict clauses never fire while each id is in one level; they turn a broken invariant into
 * a skipped entry rather than a failed move.
 */
const FLUSH_LOG = [
  'INSERT INTO activity_ids_recent (id, rid) SELECT id, rid FROM activity_log WHERE true ORDER BY id ON CONFLICT DO NOTHING',
  // The log's key columns are named as the lookup tables' suffixes.
  ...['email', 'actor', 'ip'].map(
    (k) => `INSERT INTO activities_by_${k}_recent (k, t, r) SELECT ${k}, t, rid FROM activity_log WHERE ${k} IS NOT NULL ORDER BY ${k}, t, rid ON CONFLICT DO NOTHING`,
  ),
];
/** The row itself, appended at `rid` (the 12th bound value, after fillRow's 11). */
const INSERT_ACTIVITY =
  'INSERT INTO activities (id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body, rid) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** The next batch's first rid - 1: above every row and every rid ever merged (a pruned tail is never reused). */
const LAST_RID = 'SELECT max(coalesce((SELECT max(rid) FROM activities), 0), (SELECT merged_rid FROM activity_merge))';
/** @param {'recent' | 'mid'} level */
const countLevel = (level) => `SELECT count(*) FROM activity_ids${LEVEL_SUFFIX[level]}`;
/** The tables of each level: the ids, and the email, actor id and IP lookups (name, columns in key order, key). */
const MERGE_TABLES = [
  ['activity_ids', 'id, rid', 'id'],
  ...['email', 'actor', 'ip'].map((k) => [`activities_by_${k}`, 'k, t, r', 'k, t, r']),
];
/**
 * One merge step from one level to the next (run it in a transaction): the first `n` ids and the first `n` entries of
 * each lookup table of the level, in key order, move to the next level's tables. A step covers a slice of the key
 * space, so the steps of one merge read and write each page of the target tables about once in all, instead of
 * once per commit. Per table: the key of the n-th entry, the first n entries copied, then every entry up to that key
 * deleted, a range delete along the primary key (it measured 37% cheaper per merged row than deleting the same
 * entries through `key IN (SELECT ... LIMIT n)`: 6.0 -> 3.75 us); with fewer than n left, all of them, and the table
 * is emptied. An id is never in two id tables (the claim checks the older ones), so the conflict clause never fires;
 * it is there so a broken invariant costs a duplicate lookup entry, not the merge. Returns the number of ids moved.
 * @param {import('better-sqlite3').Database} db
 * @param {'recent' | 'mid'} from
 * @param {'mid' | 'big'} to
 * @returns {(n: number) => number}
 */
export function prepareMergeStep(db, from, to) {
  const parts = MERGE_TABLES.map(([table, cols, key]) => {
    const src = table + LEVEL_SUFFIX[from];
    return {
      nth: db.prepare(`SELECT ${key} FROM ${src} ORDER BY ${cols} LIMIT 1 OFFSET ?`).raw(),
      copy: db.prepare(`INSERT INTO ${table + LEVEL_SUFFIX[to]} (${cols}) SELECT ${cols} FROM ${src} WHERE true ORDER BY ${cols} LIMIT ? ON CONFLICT DO NOTHING`),
      upTo: db.prepare(`DELETE FROM ${src} WHERE (${key}) <= (${key.split(', ').map(() => '?').join(', ')})`),
      all: db.prepare(`DELETE FROM ${src}`),
    };
  });
  return (n) => {
    let moved = 0;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      const last = /** @type {unknown[] | undefined} */ (p.nth.get(n - 1));
      p.copy.run(n);
      const deleted = last ? p.upTo.run(...last).changes : p.all.run().changes;
      if (i === 0) moved = deleted; // the ids
    }
    return moved;
  };
}
/** After each step out of `_recent`: the highest rid merged so far, which new rids stay above. */
const MARK_MERGED = `UPDATE activity_merge SET merged_rid = (${LAST_RID})`;
export const SET_CHECKPOINT =
  'INSERT INTO checkpoints (connector, key, value, updated_at) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT(connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';
/**
 * Default merge thresholds and step size (docs/store.md: what they measured). With the inline writer a step runs
 * inside the put that triggers it, so the step's length is an event-loop pause: 2,000 rows halved the p99 of small
 * puts against 10,000, at the same throughput.
 */
export const MERGE_ROWS = 50_000;
export const MID_ROWS = 200_000;
export const MERGE_STEP_ROWS = 2_000;
/**
 * Rows in the log that trigger its move into `_recent`. A move rewrites the `_recent` pages its keys fall on, so
 * larger moves write fewer pages per row; reads scan the log (no key index), and a move is one pause of the inline
 * writer, so it stays a few thousand rows. Measured over 300,000 rows in 6-row puts (docs/store.md): 4,000 cost 15
 * us per row of moves and merges, 8,000 cost 11-12 us, 16,000 no less and 46-63 ms per move.
 */
export const LOG_ROWS = 8_000;

/** The activity writes of one connection: batches, and the merges of their lookups in steps. */
export class ActivityWriter {
  /**
   * @param {import('better-sqlite3').Database} db
   * @param {{ mergeRows: number, midRows?: number, mergeStepRows: number, logRows?: number }} opts
   */
  constructor(db, opts) {
    this.mergeRows = opts.mergeRows;
    this.midRows = opts.midRows ?? MID_ROWS;
    this.mergeStepRows = opts.mergeStepRows;
    this.logRows = Math.max(1, opts.logRows ?? LOG_ROWS);
    const stored = db.prepare(STORED_ID).pluck();
    const insert = db.prepare(INSERT_ACTIVITY);
    const logRow = db.prepare(LOG_ROW);
    const logGen = db.prepare(LOG_GEN).pluck();
    const logSince = db.prepare(LOG_SINCE).raw();
    const lastRid = db.prepare(LAST_RID).pluck();
    /**
     * The ids in the log, as this writer knows them: the log has no id index, so a new row's id is checked here and
     * at the indexed levels (STORED_ID). Brought up to date at the start of each batch, inside its transaction (under
     * the write lock, so no other connection writes meanwhile): when the log's generation moved (a move into
     * `_recent`, or a prune of log rows, by any connection) it is read again whole, else only the rows appended
     * after the last rid this writer knows. logGen -1: unknown (at start, after a failed batch).
     */
    this.logIds = /** @type {Set<string>} */ (new Set());
    this.logGen = -1;
    this.logSeenRid = 0;
    const syncLog = () => {
      const gen = /** @type {number} */ (logGen.get());
      if (gen !== this.logGen) {
        this.logIds.clear();
        this.logSeenRid = 0;
        this.logGen = gen;
      }
      for (const [rid, id] of /** @type {Iterable<[number, string]>} */ (logSince.iterate(this.logSeenRid))) {
        this.logIds.add(id);
        this.logSeenRid = rid;
      }
    };
    const setCheckpoint = db.prepare(SET_CHECKPOINT);
    this.setCheckpoint = setCheckpoint;
    this.countRecent = db.prepare(countLevel('recent')).pluck();
    this.countMid = db.prepare(countLevel('mid')).pluck();
    /**
     * One transaction per batch: every new row, then the checkpoint; any throw rolls all of it back. One single-row
     * statement per activity: measured no slower than 100-row VALUES lists, and `changes` tells new from duplicate.
     * (Triggers filling the lookup tables from the row insert measured slower than these statements.)
     */
    this.batch = db.transaction(
      /**
       * @param {number} n
       * @param {(i: number) => unknown[]} rowAt the i-th row's 12 bound values (fillRow's 11, then room for the rid)
       * @param {{ connector: string, key: string, value: string } | null | undefined} checkpoint
       * @returns {number[]} the indexes of the rows inserted (the others were duplicates)
       */
      (n, rowAt, checkpoint) => {
        syncLog();
        const inserted = [];
        let rid = /** @type {number} */ (lastRid.get());
        for (let i = 0; i < n; i++) {
          const row = rowAt(i);
          const id = /** @type {string} */ (row[0]);
          if (this.logIds.has(id) || stored.get(id, id, id)) continue;
          row[11] = ++rid;
          insert.run(row);
          // id, time, email, actor id, IP: fillRow's columns 0, 1, 5, 4, 6
          logRow.run(rid, id, row[1], row[5], row[4], row[6]);
          this.logIds.add(id); // also makes a second copy later in the batch a duplicate
          this.logSeenRid = rid;
          inserted.push(i);
        }
        if (checkpoint) setCheckpoint.run(checkpoint.connector, checkpoint.key, checkpoint.value, new Date().toISOString());
        return inserted;
      },
    );
    /** syncLog on its own, under the write lock (mergeAll: the log as it is now, whoever wrote it). */
    this.syncLogTxn = db.transaction(syncLog);
    const flushStatements = FLUSH_LOG.map((sql) => db.prepare(sql));
    const clearLog = db.prepare('DELETE FROM activity_log');
    const bumpGen = db.prepare(`${BUMP_LOG_GEN} RETURNING log_gen`).pluck();
    /** The whole log into `_recent` in one transaction; returns the ids moved. */
    this.flushTxn = db.transaction(() => {
      const moved = flushStatements[0].run().changes;
      for (let i = 1; i < flushStatements.length; i++) flushStatements[i].run();
      clearLog.run();
      return { moved, gen: /** @type {number} */ (bumpGen.get()) };
    });
    const mark = db.prepare(MARK_MERGED);
    /**
     * @param {'recent' | 'mid'} from
     * @param {'mid' | 'big'} to
     */
    const stepOf = (from, to) => {
      const step = prepareMergeStep(db, from, to);
      return db.transaction(
        /** @param {number} n @returns {number} the ids moved */
        (n) => {
          const moved = step(n);
          if (from === 'recent') mark.run();
          return moved;
        },
      );
    };
    this.recentStep = stepOf('recent', 'mid');
    this.midStep = stepOf('mid', 'big');
    /** The merge under way: `recent` (into `_mid`), `mid` (into the big tables), or none. */
    this.merging = /** @type {'recent' | 'mid' | null} */ (null);
    /** Rows in `_recent` and `_mid`, as last counted and kept up to date (rows left by an earlier process count too). */
    this.recent = /** @type {number} */ (this.countRecent.get());
    this.mid = /** @type {number} */ (this.countMid.get());
    this.maxRid = db.prepare('SELECT coalesce(max(rid), 0) FROM activities').pluck();
    /** Rows in the big tables, estimated (rows ever stored less the two smaller levels: high after a prune). */
    this.big = this.#estimateBig();
    /** Rows inserted since the last afterBatch (what the merges must at least keep pace with). */
    this.sinceAfterBatch = 0;
    /**
     * Rows the merge under way may move now: twice the rows inserted (times the `_mid` ratio for the merge into the
     * big tables), spent a whole step at a time. Small batches (a live commit of a few activities) earn a step every
     * few hundred batches instead of taking one each: one step per batch made a merge run every commit for its whole
     * length, and a merge of `_mid` (100+ steps of ~10 ms) held the inline writer's event loop for seconds.
     */
    this.mergeCredit = 0;
  }

  /**
   * Writes a batch in one IMMEDIATE transaction: the batch reads the last rid before writing, so it takes the write
   * lock first (a deferred read could otherwise meet another connection's commit and fail with SQLITE_BUSY_SNAPSHOT).
   * @param {number} n
   * @param {(i: number) => unknown[]} rowAt
   * @param {{ connector: string, key: string, value: string } | null | undefined} checkpoint
   * @returns {number[]}
   */
  write(n, rowAt, checkpoint) {
    let inserted;
    try {
      inserted = this.batch.immediate(n, rowAt, checkpoint);
    } catch (err) {
      // Rolled back: the ids remembered during the batch were never stored. Read the log again next time.
      this.logGen = -1;
      throw err;
    }
    this.sinceAfterBatch += inserted.length;
    return inserted;
  }

  /**
   * Moves the log into the `_recent` tables when it holds `logRows` rows (or `force`), in one transaction; a failure
   * (another connection holding the lock past busy_timeout) changes nothing and the next batch tries again.
   * @param {boolean} [force]
   */
  flushLog(force = false) {
    if (this.logGen === -1 || (!force && this.logIds.size < this.logRows) || this.logIds.size === 0) return;
    const { moved, gen } = this.flushTxn.immediate();
    this.logIds.clear();
    this.logGen = gen;
    this.recent += moved;
  }

  /**
   * Merge steps after a batch, while a merge is under way. A merge of `_recent` into `_mid` starts when `mergeRows`
   * rows are in `_recent`, takes its first step at once, and then moves twice the rows inserted, in whole steps as
   * the batches earn them (mergeCredit), so it outpaces batches of any size and ends. (One step per batch let 5,000-row
   * batches outrun 2,000-row steps: the merge never ended, the `_recent` tables grew to ~600,000 rows over a
   * 1M-row load, and inserting into them at random halved the put rate; docs/store.md.) When it ends with
   * midThreshold() rows in `_mid`, a merge of `_mid` into the big tables follows, at threshold / `mergeRows` times
   * that pace, so it ends before `_recent` has grown by half of `mergeRows` and the next merge out of `_recent` can
   * start. One merge at a time, each step its own short transaction.
   * Called after the batch's COMMIT, so it never changes what was acknowledged. A failed step (another process
   * holding the lock past busy_timeout) changes nothing: the rows stay where they were, where every read still
   * finds them, and the next batch tries again.
   */
  afterBatch() {
    const added = this.sinceAfterBatch;
    this.sinceAfterBatch = 0;
    try {
      this.flushLog();
    } catch {
      // retried after the next batch; the rows stay in the log, where every read finds them
    }
    if (this.merging === null && this.recent < this.mergeRows) return;
    try {
      if (this.merging === null) {
        // another connection may have merged
        this.recent = /** @type {number} */ (this.countRecent.get());
        if (this.recent < this.mergeRows) return;
        this.mid = /** @type {number} */ (this.countMid.get());
        this.big = this.#estimateBig();
        this.merging = 'recent';
        this.mergeCredit = this.mergeStepRows; // the first step at once
      }
      const pace = this.merging === 'recent' ? 2 * added : 2 * added * Math.max(1, Math.round(this.midThreshold() / this.mergeRows));
      // Steps not taken (a failed step) carry over, but never pile up into one long pause.
      this.mergeCredit = Math.min(this.mergeCredit + pace, pace + this.mergeStepRows);
      while (this.mergeCredit >= this.mergeStepRows) {
        const level = this.merging;
        const moved = this.#step(level);
        this.mergeCredit -= this.mergeStepRows;
        if (moved < this.mergeStepRows) {
          // This level is empty: the next merge, if due, takes its first step after the next batch.
          this.merging = level === 'recent' && this.mid >= this.midThreshold() ? 'mid' : null;
          this.mergeCredit = this.merging ? this.mergeStepRows : 0;
          break;
        }
      }
    } catch {
      // retried after the next batch
    }
  }

  /**
   * One step of the merge out of `level`, keeping the counts.
   * @param {'recent' | 'mid'} level
   */
  #step(level) {
    if (level === 'recent') {
      const moved = this.recentStep.immediate(this.mergeStepRows);
      this.recent = Math.max(0, this.recent - moved);
      this.mid += moved;
      return moved;
    }
    const moved = this.midStep.immediate(this.mergeStepRows);
    this.mid = Math.max(0, this.mid - moved);
    this.big += moved;
    return moved;
  }

  /**
   * Rows in `_mid` that start its merge into the big tables: `midRows`, or the square root of `mergeRows` times
   * the rows in the big tables when that is more. Per row stored, a merge into `_mid` costs about `_mid`'s size /
   * `mergeRows` page writes and a merge into the big tables about their size / `_mid`'s size; the square root
   * balances the two, so the cost per row grows with the square root of the store instead of with the store
   * (1M rows: 224k; 10M: 707k; 100M: 2.2M).
   */
  midThreshold() {
    return Math.max(this.midRows, Math.sqrt(this.mergeRows * this.big));
  }

  #estimateBig() {
    return Math.max(0, /** @type {number} */ (this.maxRid.get()) - this.logIds.size - this.recent - this.mid);
  }

  /** Merges every row out of `_recent` and `_mid` into the big tables now; returns how many rows it moved there. */
  mergeAll() {
    this.logGen = -1;
    this.syncLogTxn.immediate();
    this.flushLog(true);
    let total = 0;
    for (const level of /** @type {const} */ (['recent', 'mid'])) {
      for (;;) {
        const moved = this.#step(level);
        if (level === 'mid') total += moved;
        // Each lookup table holds at most one entry per id of its level, so it empties no later than the ids.
        if (moved < this.mergeStepRows) break;
      }
    }
    this.recent = 0;
    this.mid = 0;
    this.big = this.#estimateBig();
    this.merging = null;
    return total;
  }
}
