// @ts-check
// How activities are written to SQLite, shared by the inline writer (SqliteStore, index.ts) and the writer thread
// (writer.worker.js), so both keep the same layout (migration 0002; docs/store.md, "Writing activities"). Plain
// JavaScript so the worker loads it without a TypeScript loader; types in activity-writer.d.ts.

/**
 * Claims an id for a new row: written only when the id is in neither id table (the merged table is read, never
 * written, so its random pages stay clean). Bound: id, rid, id. `changes` 0 means a duplicate.
 */
const CLAIM_ID =
  'INSERT INTO activity_ids_recent (id, rid) SELECT ?, ? WHERE NOT EXISTS (SELECT 1 FROM activity_ids WHERE id = ?) ' +
  'ON CONFLICT(id) DO NOTHING';
/** The row itself, appended at `rid` (the 12th bound value, after fillRow's 11). */
const INSERT_ACTIVITY =
  'INSERT INTO activities (id, time, app, tenant, actor_id, actor_email, ip, action, category, outcome, body, rid) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
/** The new row's keys, into the small recent lookup tables (bound: key, time, rid; skipped when the key is null). */
const RECENT_KEYS = ['activities_by_email_recent', 'activities_by_actor_recent', 'activities_by_ip_recent'].map(
  (t) => `INSERT INTO ${t} (k, t, r) VALUES (?, ?, ?)`,
);
/** The next batch's first rid - 1: above every row and every rid ever merged (a pruned tail is never reused). */
const LAST_RID = 'SELECT max(coalesce((SELECT max(rid) FROM activities), 0), (SELECT merged_rid FROM activity_merge))';
const COUNT_RECENT = 'SELECT count(*) FROM activity_ids_recent';
/**
 * One merge step, one transaction: the first `?` recent ids and the first `?` recent entries of each lookup table,
 * in key order, move to their big tables. A step covers a slice of the key space, so the steps of one merge read
 * and write each page of the big B-trees about once in all, instead of once per commit. An id is never in both id
 * tables (the claim checks the big one), so the conflict clauses never fire; they are there so a broken invariant
 * costs a duplicate lookup entry, not the merge. Bound: the step size, twice per table.
 */
export const MERGE_STEP_SQL = [
  ['activity_ids_recent', 'activity_ids', 'id, rid', 'id'],
  ...['email', 'actor', 'ip'].map((k) => [`activities_by_${k}_recent`, `activities_by_${k}`, 'k, t, r', '(k, t, r)']),
].flatMap(([from, to, cols, key]) => [
  `INSERT INTO ${to} (${cols}) SELECT ${cols} FROM ${from} WHERE true ORDER BY ${cols} LIMIT ? ON CONFLICT DO NOTHING`,
  `DELETE FROM ${from} WHERE ${key} IN (SELECT ${key.replace(/[()]/g, '')} FROM ${from} ORDER BY ${cols} LIMIT ?)`,
]);
/** After each step: the highest rid merged so far, which new rids stay above. */
const MARK_MERGED = `UPDATE activity_merge SET merged_rid = (${LAST_RID})`;
export const SET_CHECKPOINT =
  'INSERT INTO checkpoints (connector, key, value, updated_at) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT(connector, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at';
/**
 * Default merge threshold and step size (docs/store.md: what they measured). With the inline writer a step runs
 * inside the put that triggers it, so the step's length is an event-loop pause: 2,000 rows halved the p99 of small
 * puts against 10,000, at the same throughput.
 */
export const MERGE_ROWS = 50_000;
export const MERGE_STEP_ROWS = 2_000;

/** The activity writes of one connection: batches, and the merge of their lookups in steps. */
export class ActivityWriter {
  /**
   * @param {import('better-sqlite3').Database} db
   * @param {{ mergeRows: number, mergeStepRows: number }} opts
   */
  constructor(db, opts) {
    this.mergeRows = opts.mergeRows;
    this.mergeStepRows = opts.mergeStepRows;
    const claim = db.prepare(CLAIM_ID);
    const insert = db.prepare(INSERT_ACTIVITY);
    const [emailKey, actorKey, ipKey] = RECENT_KEYS.map((sql) => db.prepare(sql));
    const lastRid = db.prepare(LAST_RID).pluck();
    const setCheckpoint = db.prepare(SET_CHECKPOINT);
    this.setCheckpoint = setCheckpoint;
    this.countRecent = db.prepare(COUNT_RECENT).pluck();
    /**
     * One transaction per batch: every new row, then the checkpoint; any throw rolls all of it back. One single-row
     * statement per activity: measured no slower than 100-row VALUES lists, and `changes` tells new from duplicate.
     */
    this.batch = db.transaction(
      /**
       * @param {number} n
       * @param {(i: number) => unknown[]} rowAt the i-th row's 12 bound values (fillRow's 11, then room for the rid)
       * @param {{ connector: string, key: string, value: string } | null | undefined} checkpoint
       * @returns {number[]} the indexes of the rows inserted (the others were duplicates)
       */
      (n, rowAt, checkpoint) => {
        const inserted = [];
        let rid = /** @type {number} */ (lastRid.get());
        for (let i = 0; i < n; i++) {
          const row = rowAt(i);
          if (claim.run(row[0], rid + 1, row[0]).changes === 0) continue;
          row[11] = ++rid;
          insert.run(row);
          // email, actor id, IP: fillRow's columns 5, 4, 6
          if (row[5] !== null) emailKey.run(row[5], row[1], rid);
          if (row[4] !== null) actorKey.run(row[4], row[1], rid);
          if (row[6] !== null) ipKey.run(row[6], row[1], rid);
          inserted.push(i);
        }
        if (checkpoint) setCheckpoint.run(checkpoint.connector, checkpoint.key, checkpoint.value, new Date().toISOString());
        return inserted;
      },
    );
    const steps = MERGE_STEP_SQL.map((sql) => db.prepare(sql));
    const mark = db.prepare(MARK_MERGED);
    /** One merge step; returns how many recent ids it moved. */
    this.mergeStep = db.transaction(
      /** @param {number} n */
      (n) => {
        let moved = 0;
        for (let i = 0; i < steps.length; i++) {
          const changes = steps[i].run(n).changes;
          if (i === 1) moved = changes; // the recent ids deleted
        }
        mark.run();
        return moved;
      },
    );
    /** A merge is under way: one step runs after each batch until the recent tables are empty. */
    this.merging = false;
    /** Rows added since the unmerged ones were last counted (rows left by an earlier process count too). */
    this.recent = /** @type {number} */ (this.countRecent.get());
    /** Rows inserted since the last afterBatch (what the merge must at least keep pace with). */
    this.sinceAfterBatch = 0;
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
    const inserted = this.batch.immediate(n, rowAt, checkpoint);
    this.recent += inserted.length;
    this.sinceAfterBatch += inserted.length;
    return inserted;
  }

  /**
   * Merge steps after a batch, while a merge is under way (it starts when `mergeRows` rows are unmerged and ends
   * when none are left): at least one, and as many as it takes to move twice the rows inserted since the last
   * call, so a merge outpaces batches of any size and ends. (One step per batch let 5,000-row batches outrun
   * 2,000-row steps: the merge never ended, the `_recent` tables grew to ~600,000 rows over a 1M-row load, and
   * inserting into them at random halved the put rate; docs/store.md.) Each step is its own short transaction.
   * Called after the batch's COMMIT, so it never changes what was acknowledged. A failed step (another process
   * holding the lock past busy_timeout) changes nothing: the rows stay unmerged, where every read still finds
   * them, and the next batch tries again.
   */
  afterBatch() {
    const added = this.sinceAfterBatch;
    this.sinceAfterBatch = 0;
    if (!this.merging && this.recent < this.mergeRows) return;
    try {
      if (!this.merging) {
        this.recent = /** @type {number} */ (this.countRecent.get()); // another connection may have merged
        if (this.recent < this.mergeRows) return;
        this.merging = true;
      }
      let total = 0;
      do {
        const moved = this.mergeStep.immediate(this.mergeStepRows);
        total += moved;
        this.recent = Math.max(0, this.recent - moved);
        if (moved < this.mergeStepRows) {
          this.merging = false;
          break;
        }
      } while (total < 2 * added);
    } catch {
      // retried after the next batch
    }
  }

  /** Merges every unmerged row now; returns how many there were. */
  mergeAll() {
    let total = 0;
    for (;;) {
      const moved = this.mergeStep.immediate(this.mergeStepRows);
      total += moved;
      // Each lookup table holds at most one entry per recent id, so it empties no later than the ids.
      if (moved < this.mergeStepRows) break;
    }
    this.recent = 0;
    this.merging = false;
    return total;
  }
}
