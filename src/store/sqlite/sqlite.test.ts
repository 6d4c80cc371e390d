import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { runStoreContract } from '../store.contract.ts';
import { SqliteStore } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-sqlite-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite', async (opts) => {
  const store = new SqliteStore({ path: join(dir, `store-${n++}.db`), migrationsDir: opts?.migrationsDir });
  if (opts?.migrate !== false) await store.migrate();
  return store;
});

// The same contract with activity batches written on the writer thread.
runStoreContract('sqlite (worker writer)', async (opts) => {
  const store = new SqliteStore({ path: join(dir, `store-${n++}.db`), migrationsDir: opts?.migrationsDir, writer: 'worker' });
  if (opts?.migrate !== false) await store.migrate();
  return store;
});
