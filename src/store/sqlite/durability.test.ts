// WAL + synchronous=NORMAL: every acknowledged batch survives the writer being killed with SIGKILL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { SqliteStore } from './index.ts';
import { layoutProblems } from './layout.fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqliteStore durability', () => {
  it.each([
    ['inline', ''],
    ['worker', ''],
    // A merge of the lookup tables after every batch: the kill lands in or between merges, never losing or doubling a row.
    ['inline', '500'],
    ['worker', '500'],
  ])('keeps every committed batch after kill -9 of the writer (%s writer, merge rows: %s)', async (mode, mergeRows) => {
    const path = join(dir, `crash-${mode}-${mergeRows}.db`);
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-writer.fixture.ts', import.meta.url)), path, mode, mergeRows], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let committed = 0;
    let lastBatch = -1;
    let buffered = '';
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${code ?? signal}`))));
      child.stdout!.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const [, count, batch] = buffered.slice(0, nl).split(' ');
          buffered = buffered.slice(nl + 1);
          committed = Number(count);
          lastBatch = Number(batch);
        }
        // Kill mid-stream, while the writer is busy with the next batch.
        if (committed >= 20 * 500 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      });
    });
    expect(committed).toBeGreaterThanOrEqual(10_000);

    const store = new SqliteStore({ path });
    await store.migrate();
    try {
      const count = await store.countActivities();
      // Everything acknowledged is there; at most the batch in flight (not acknowledged) may also be.
      expect(count).toBeGreaterThanOrEqual(committed);
      expect(count % 500).toBe(0);
      const checkpoint = Number(await store.getCheckpoint('crash', 'batch'));
      expect(checkpoint).toBeGreaterThanOrEqual(lastBatch);
      // The checkpoint and the rows committed together: the checkpoint names the last stored batch.
      expect(count).toBe((checkpoint + 1) * 500);
      expect(await store.getActivity(`k-${lastBatch}-499`)).not.toBeNull();
      // Every row is reachable by its user (merged rows through the lookup table, the rest by the recent scan)
      // and a redelivery of any committed batch is all duplicates.
      const byUser = await store.queryActivities({ user: '499', limit: 1000 });
      expect(byUser.items.length).toBe(Math.min(1000, checkpoint + 1));
      const again = Array.from({ length: 500 }, (_, i) => ({ ...(byUser.items[0] as object) , id: `k-${lastBatch}-${i}` }));
      const put = await store.putActivities(again as never);
      expect(put.duplicates).toBe(500);
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    try {
      expect(layoutProblems(db)).toEqual([]);
    } finally {
      db.close();
    }
  });
});
