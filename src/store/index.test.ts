import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isRampartError } from '../core/errors.ts';
import { openStore, pruneByRetention, retentionCutoff, PostgresStore } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openStore', () => {
  it('creates the folder of the SQLite file, migrates, and reopens the same data', async () => {
    const path = join(dir, 'nested', 'deeper', 'rampart.db');
    const store = await openStore({ driver: 'sqlite', path });
    expect(existsSync(path)).toBe(true);
    expect(store.driver).toBe('sqlite');
    await store.putDoc({ kind: 'settings', id: 'x', body: { a: 1 }, updatedAt: '2026-01-01T00:00:00.000Z' });
    await store.close();
    const again = await openStore({ driver: 'sqlite', path });
    expect((await again.getDoc('settings', 'x'))?.body).toEqual({ a: 1 });
    await again.close();
  });

  it('creates a new SQLite folder 0700 and database 0600 (its WAL too), and keeps the mode of an existing file', async () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    const path = join(dir, 'private', 'rampart.db');
    const store = await openStore({ driver: 'sqlite', path });
    await store.putDoc({ kind: 'settings', id: 'x', body: { a: 1 }, updatedAt: '2026-01-01T00:00:00.000Z' });
    expect(mode(join(dir, 'private'))).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    expect(mode(`${path}-wal`)).toBe(0o600);
    await store.close();
    chmodSync(path, 0o640); // an operator's choice (a backup group, say) is left alone
    const again = await openStore({ driver: 'sqlite', path });
    await again.close();
    expect(mode(path)).toBe(0o640);
  });

  it('resolves a relative SQLite path against baseDir', async () => {
    const store = await openStore({ driver: 'sqlite', path: './data/r.db' }, { baseDir: dir });
    await store.close();
    expect(existsSync(join(dir, 'data', 'r.db'))).toBe(true);
  });

  it('reports an unusable SQLite path as RAMPART_ERR_STORE_UNAVAILABLE', async () => {
    // A regular file where a folder should be (mkdir fails with ENOTDIR).
    writeFileSync(join(dir, 'blocker'), '');
    const err = await openStore({ driver: 'sqlite', path: join(dir, 'blocker', 'sub', 'x.db') }).catch((e: unknown) => e);
    expect(isRampartError(err) && err.code).toBe('RAMPART_ERR_STORE_UNAVAILABLE');
  });

  it('reads the PostgreSQL password from its secret and fails clearly when the secret is missing', async () => {
    const err = await openStore({ driver: 'postgres', url: 'postgres://rampart@127.0.0.1:1/x', password: { env: 'RAMPART_TEST_NO_SUCH_VAR' }, poolSize: 1 }, { env: {} }).catch(
      (e: unknown) => e,
    );
    expect(isRampartError(err) && err.code).toBe('RAMPART_ERR_CONFIG_SECRET_MISSING');
    const unreachable = await openStore(
      { driver: 'postgres', url: 'postgres://rampart@127.0.0.1:1/x', password: { env: 'PGPW' }, poolSize: 1 },
      { env: { PGPW: 's3cret-pw' } },
    ).catch((e: unknown) => e);
    expect(isRampartError(unreachable) && unreachable.code).toBe('RAMPART_ERR_STORE_UNAVAILABLE');
    expect((unreachable as Error).message).not.toContain('s3cret-pw');
  });
});

describe('retention', () => {
  it('computes the cutoff as whole days before now', () => {
    expect(retentionCutoff(180, new Date('2026-07-01T00:00:00.000Z'))).toBe('2026-01-02T00:00:00.000Z');
    expect(retentionCutoff(1, new Date('2026-07-01T12:30:00.000Z'))).toBe('2026-06-30T12:30:00.000Z');
  });

  it('rejects a retention that is not a whole number of days', async () => {
    const store = await openStore({ driver: 'sqlite', path: join(dir, 'ret.db') });
    try {
      expect(() => pruneByRetention(store, 0)).toThrow(/retentionDays/);
      expect(() => pruneByRetention(store, 1.5)).toThrow(/retentionDays/);
    } finally {
      await store.close();
    }
  });
});

// Keep the import used: the driver class is part of the public surface of this module.
void PostgresStore;
