import type Database from 'better-sqlite3';

/** One merge step's statements on `db` (run the returned function in a transaction); it returns the ids moved. */
export declare function prepareMergeStep(db: Database.Database, from: 'recent' | 'mid', to: 'mid' | 'big'): (n: number) => number;
export declare const SET_CHECKPOINT: string;
/** The table-name suffix of each level of the lookup tables (`activity_ids`, `activity_ids_mid`, ...). */
export declare const LEVEL_SUFFIX: { readonly big: ''; readonly mid: '_mid'; readonly recent: '_recent' };
/** LEVEL_SUFFIX and the log (level 0, read through views): for the read paths only. */
export declare const READ_LEVEL_SUFFIX: { readonly big: ''; readonly mid: '_mid'; readonly recent: '_recent'; readonly log: '_log' };
export declare const LOG_ROWS: number;
/** Moves the log's generation on (bind nothing): writers read the log again at their next batch. */
export declare const BUMP_LOG_GEN: string;
export declare const MERGE_ROWS: number;
export declare const MID_ROWS: number;
export declare const MERGE_STEP_ROWS: number;

export interface WriterCheckpoint {
  connector: string;
  key: string;
  value: string;
}

/** The activity writes of one connection: batches, and the merge of their lookups in steps (activity-writer.js). */
export declare class ActivityWriter {
  constructor(db: Database.Database, opts: { mergeRows: number; midRows?: number; mergeStepRows: number; logRows?: number });
  readonly setCheckpoint: Database.Statement;
  /** Writes a batch in one IMMEDIATE transaction; returns the indexes of the rows inserted (the rest were duplicates). */
  write(n: number, rowAt: (i: number) => unknown[], checkpoint: WriterCheckpoint | null | undefined): number[];
  /** Moves the log into the `_recent` tables when it holds `logRows` rows, or now with `force`; throws when the move fails. */
  flushLog(force?: boolean): void;
  /** The log's move when due, then, while a merge is under way or due, steps at a pace that outruns the batches; never throws. */
  afterBatch(): void;
  /** Merges every row out of `_recent` and `_mid` into the big tables now; returns how many rows it moved there. */
  mergeAll(): number;
}
