import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { activity } from '../store.contract.ts';
import { backupSqlite } from './backup.ts';
import { SqliteStore } from './index.ts';
import { layoutProblems } from './layout.fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const batchOf = (b: number, size: number) =>
  Array.from({ length: size }, (_, i) =>
    activity({ id: `b${b}-${i}`, time: new Date(Date.UTC(2026, 2, 1) + b * 1000 + i).toISOString(), actor: { id: `u${i % 7}`, email: `u${i % 7}@acme.example`, name: null }, ip: `198.51.100.${i % 50}` }),
  );

describe('backupSqlite', () => {
  it('copies a store that another connection keeps writing: one consistent snapshot, whole batches only, 0600', async () => {
    const path = join(dir, 'live.db');
    // The writer thread: its own connection, as `rampart serve` would be while the backup reads.
    const store = new SqliteStore({ path, writer: 'worker', mergeRows: 700, midRows: 1500, mergeStepRows: 300, logRows: 500 });
    await store.migrate();
    const BATCH = 250;
    for (let b = 0; b < 20; b++) await store.putActivities(batchOf(b, BATCH));
    let stop = false;
    let written = 20;
    const writing = (async () => {
      for (; !stop; written++) await store.putActivities(batchOf(written, BATCH));
    })();
    const dest = join(dir, 'copy.db');
    const before = written * BATCH;
    const r = await backupSqlite(path, dest);
    stop = true;
    await writing;
    const after = written * BATCH;
    await store.close();

    expect(statSync(dest).mode & 0o777).toBe(0o600);
    // Every committed batch or none of it, and at least what was committed when the backup began.
    expect(r.activities % BATCH).toBe(0);
    expect(r.activities).toBeGreaterThanOrEqual(before);
    expect(r.activities).toBeLessThanOrEqual(after);
    const copy = new Database(dest, { readonly: true });
    expect(layoutProblems(copy)).toEqual([]);
    expect(copy.prepare('SELECT count(*) FROM activities').pluck().get()).toBe(r.activities);
    copy.close();
    // The copy is a working store: the same activities, found by user through the lookups.
    const reopened = new SqliteStore({ path: dest });
    await reopened.migrate();
    expect(await reopened.countActivities()).toBe(r.activities);
    expect((await reopened.queryActivities({ user: 'u3@acme.example', limit: 5 })).items).toHaveLength(5);
    expect((await reopened.getActivity('b0-0'))?.id).toBe('b0-0');
    await reopened.close();
  });

  it('never writes over an existing file, and leaves nothing behind when the source cannot be read', async () => {
    const path = join(dir, 'small.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    await store.putActivities(batchOf(0, 3));
    await store.close();

    const existing = join(dir, 'existing.db');
    writeFileSync(existing, 'keep me');
    await expect(backupSqlite(path, existing)).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE_BACKUP_FAILED', message: expect.stringContaining('the destination exists') });
    expect(readFileSync(existing, 'utf8')).toBe('keep me');

    const fromMissing = join(dir, 'from-missing.db');
    await expect(backupSqlite(join(dir, 'missing.db'), fromMissing)).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE_BACKUP_FAILED', message: expect.stringContaining('cannot open the store') });
    expect(existsSync(fromMissing)).toBe(false);

    const notSqlite = join(dir, 'not-sqlite.db');
    writeFileSync(notSqlite, 'x'.repeat(8192));
    const fromJunk = join(dir, 'from-junk.db');
    await expect(backupSqlite(notSqlite, fromJunk)).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE_BACKUP_FAILED' });
    expect(existsSync(fromJunk)).toBe(false);

    await expect(backupSqlite(path, join(dir, 'no-such-folder', 'b.db'))).rejects.toMatchObject({ code: 'RAMPART_ERR_STORE_BACKUP_FAILED', message: expect.stringContaining('ENOENT') });
  });
});
