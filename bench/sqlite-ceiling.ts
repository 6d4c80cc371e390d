/**
 * What SQLite itself can take, measured in the same run as the pipeline: the store's own bound rows (same 11
 * values, same JSON body) appended to a table with no key and no index, one transaction per batch, on one
 * connection with the store's pragmas. No design that writes one SQLite row per activity can store faster than
 * this, so it bounds what (c) can reach on the machine; only the INSERTs are timed.
 */
import Database from 'better-sqlite3';
import { rmSync } from 'node:fs';
import { fillRow } from '../src/store/sqlite/index.ts';
import type { Activity } from '../src/schema/activity.ts';

/** A new, empty database file at `path` (earlier runs' files removed) with the store's journal settings. */
function freshDatabase(path: string, pageSize: number): Database.Database {
  for (const s of ['', '-wal', '-shm']) rmSync(path + s, { force: true });
  const db = new Database(path);
  db.pragma(`page_size = ${pageSize}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  return db;
}

export class SqliteAppendCeiling {
  readonly #db: Database.Database;
  readonly #append: (rows: unknown[][]) => void;

  constructor(path: string) {
    this.#db = freshDatabase(path, 8192);
    this.#db.exec(
      'CREATE TABLE activities (id TEXT, time INTEGER, app TEXT, tenant TEXT, actor_id TEXT, actor_email TEXT, ip TEXT, action TEXT, category TEXT, outcome TEXT, body TEXT)',
    );
    const insert = this.#db.prepare('INSERT INTO activities VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#append = this.#db.transaction((rows: unknown[][]) => {
      for (const r of rows) insert.run(r);
    });
  }

  /** The bound rows, built outside the timed part. */
  static rows(activities: readonly Activity[]): unknown[][] {
    return activities.map((a) => {
      const row: unknown[] = new Array(11);
      fillRow(row, a);
      return row;
    });
  }

  append(rows: unknown[][]): void {
    this.#append(rows);
  }

  count(): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM activities').get() as { n: number }).n;
  }

  close(): void {
    this.#db.close();
  }
}

/**
 * The same question for a block store: the activities' JSON text joined BLOCK to a blob (one row per block, no
 * index), in a database with 64 KiB pages, one transaction per batch. Big blobs in big pages are what SQLite writes
 * fastest, so this bounds the writes of any block-packed layout on the machine (only the INSERTs are timed; making
 * the text is phase (e)'s cost).
 */
export class SqliteBlockCeiling {
  static readonly BLOCK = 1_000;
  readonly #db: Database.Database;
  readonly #append: (blocks: Buffer[]) => void;

  constructor(path: string) {
    this.#db = freshDatabase(path, 65536);
    this.#db.exec('CREATE TABLE activity_blocks (first_time INTEGER, n INTEGER, body BLOB)');
    const insert = this.#db.prepare('INSERT INTO activity_blocks VALUES (?, ?, ?)');
    this.#append = this.#db.transaction((blocks: Buffer[]) => {
      for (const b of blocks) insert.run(0, SqliteBlockCeiling.BLOCK, b);
    });
  }

  /** The blocks, built outside the timed part: NDJSON of BLOCK activities each, as bytes. */
  static blocks(activities: readonly Activity[]): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < activities.length; i += SqliteBlockCeiling.BLOCK) {
      out.push(Buffer.from(activities.slice(i, i + SqliteBlockCeiling.BLOCK).map((a) => JSON.stringify(a)).join('\n')));
    }
    return out;
  }

  append(blocks: Buffer[]): void {
    this.#append(blocks);
  }

  close(): void {
    this.#db.close();
  }
}
