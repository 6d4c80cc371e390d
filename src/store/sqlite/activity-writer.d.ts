import type Database from 'better-sqlite3';

/** One merge step's statements on `db` (run the returned function in a transaction); it returns the ids moved. */
export declare function prepareMergeStep(db: Database.Database, from: 'recent' | 'mid', to: 'mid' | 'big'): (n: number) => number;
export declare const SET_CHECKPOINT: string;
/** The table-name suffix of each level of the lookup tables (`activity_ids`, `activity_ids_mid`, ...). */
export declare const LEVEL_SUFFIX: { readonly big: ''; readonly mid: '_mid'; readonly recent: '_recent' };
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
  constructor(db: Database.Database, opts: { mergeRows: number; midRows?: number; mergeStepRows: number });
  readonly setCheckpoint: Database.Statement;
  /** Writes a batch in one IMMEDIATE transaction; returns the indexes of the rows inserted (the rest were duplicates). */
  write(n: number, rowAt: (i: number) => unknown[], checkpoint: WriterCheckpoint | null | undefined): number[];
  /** While a merge is under way or due: steps at a pace that outruns the batches (at least one); never throws. */
  afterBatch(): void;
  /** Merges every row out of `_recent` and `_mid` into the big tables now; returns how many rows it moved there. */
  mergeAll(): number;
}
