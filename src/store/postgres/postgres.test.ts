// Runs the store contract on a real PostgreSQL server. Each store gets its own random schema (dropped
// afterwards), so engineers and CI jobs sharing the `test` database never see each other's tables.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { isRampartError } from '../../core/errors.ts';
import { runStoreContract } from '../store.contract.ts';
import { PostgresStore } from './index.ts';

const url = process.env.RAMPART_TEST_PG_URL;
if (!url) console.warn('postgres store tests skipped: set RAMPART_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run them');

describe.skipIf(!url)('PostgresStore', () => {
  const schemas: PostgresStore[] = [];
  afterAll(async () => {
    for (const s of schemas) {
      const dropper = new PostgresStore({ url: url!, schema: s.schemaName!, poolSize: 1 });
      await dropper.dropSchema();
      await dropper.close();
    }
  });

  runStoreContract('postgres', async (opts) => {
    const store = new PostgresStore({ url: url!, schema: `rampart_test_${randomBytes(6).toString('hex')}`, poolSize: 3, migrationsDir: opts?.migrationsDir });
    schemas.push(store);
    if (opts?.migrate !== false) await store.migrate();
    return store;
  });

  it('reports an unreachable server as RAMPART_ERR_STORE_UNAVAILABLE without the password', async () => {
    const store = new PostgresStore({ url: 'postgres://postgres:hunter2@127.0.0.1:1/test', password: 'hunter2', poolSize: 1 });
    const err = await store.migrate().then(
      () => null,
      (e: unknown) => e,
    );
    await store.close();
    expect(isRampartError(err) && err.code).toBe('RAMPART_ERR_STORE_UNAVAILABLE');
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('rejects a schema name that is not a plain identifier', () => {
    expect(() => new PostgresStore({ url: url!, schema: 'x; DROP TABLE y' })).toThrow(/schema name/);
  });
});
