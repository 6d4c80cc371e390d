/**
 * @module store/sqlite/backup
 * A consistent copy of a live SQLite store (`rampart store backup`), taken with SQLite's online backup API through
 * its own read-only connection, so `rampart serve` keeps writing meanwhile. The copy is one snapshot: every page is
 * copied in one backup step (one read transaction; under WAL, writers are not blocked by it). A step of a few pages
 * at a time would restart whenever another process commits between steps, and might never finish under load.
 */
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { RampartError } from '../../core/errors.ts';

export interface BackupResult {
  /** Bytes of the copy on disk. */
  bytes: number;
  /** Activities in the copy (read back from it, after its integrity check). */
  activities: number;
  elapsedMs: number;
}

/**
 * Copies the database at `source` into a new file `dest`, which must not exist: it is created readable by its
 * owner only (the copy holds the whole audit trail), then checked (`PRAGMA quick_check`) and counted. On any
 * failure the partial copy is removed and RAMPART_ERR_STORE_BACKUP_FAILED is thrown.
 */
export async function backupSqlite(source: string, dest: string): Promise<BackupResult> {
  const started = performance.now();
  const fail = (what: string, cause?: unknown): never => {
    const reason = cause ? `${what} (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message})` : what;
    throw new RampartError('RAMPART_ERR_STORE_BACKUP_FAILED', [source, dest, reason], cause ? { cause } : undefined);
  };
  let db: Database.Database;
  try {
    db = new Database(source, { readonly: true, fileMustExist: true });
  } catch (cause) {
    return fail('cannot open the store', cause);
  }
  try {
    // Created here, exclusively and 0600, before SQLite writes into it: never over an existing file, never readable by others.
    try {
      closeSync(openSync(dest, 'wx', 0o600));
    } catch (cause) {
      return fail((cause as NodeJS.ErrnoException).code === 'EEXIST' ? 'the destination exists; choose a new file name' : 'cannot create the destination', cause);
    }
    try {
      await db.backup(dest, { progress: () => Number.MAX_SAFE_INTEGER });
      const copy = new Database(dest, { readonly: true, fileMustExist: true });
      try {
        const check = copy.pragma('quick_check', { simple: true });
        if (check !== 'ok') fail(`the copy failed its integrity check: ${String(check)}`);
        const activities = copy.prepare('SELECT count(*) FROM activities').pluck().get() as number;
        return { bytes: statSync(dest).size, activities, elapsedMs: Math.round(performance.now() - started) };
      } finally {
        copy.close();
      }
    } catch (cause) {
      rmSync(dest, { force: true });
      if (cause instanceof RampartError) throw cause;
      return fail('the copy failed', cause);
    }
  } finally {
    db.close();
  }
}
