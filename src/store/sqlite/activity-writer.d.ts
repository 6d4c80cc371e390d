import type Database from 'better-sqlite3';

export declare const MERGE_STEP_SQL: string[];
export declare const SET_CHECKPOINT: string;
export declare const MERGE_ROWS: number;
export declare const MERGE_STEP_ROWS: number;

export interface WriterCheckpoint {
  connector: string;
  key: string;
  value: string;
}

/** The activity writes of one connection: batches, and the merge of their lookups in steps (activity-writer.js). */
export declare class ActivityWriter {
  constructor(db: Database.Database, opts: { mergeRows: number; mergeStepRows: number });
  readonly setCheckpoint: Database.Statement;
  /** Writes a batch in one IMMEDIATE transaction; returns the indexes of the rows inserted (the rest were duplicates). */
  write(n: number, rowAt: (i: number) => unknown[], checkpoint: WriterCheckpoint | null | undefined): number[];
  /** While a merge is under way or due: steps until twice the rows inserted since the last call moved (at least one); never throws. */
  afterBatch(): void;
  /** Merges every unmerged row now; returns how many there were. */
  mergeAll(): number;
}
