import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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

describe('SqliteStore worker writer', () => {
  it('close() settles when the idle writer is the only thing left (child process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-close-'));
    const activity = {
      v: 1, id: 'a1', time: '2026-01-01T00:00:00.000Z', receivedAt: '2026-01-01T00:00:00.000Z', app: 'workplace', tenant: '', source: 'scan',
      action: 'USER_LOGIN', category: 'login', outcome: 'success', interactive: true, isAdminActivity: false, impersonated: false, impersonator: null,
      actor: { id: 'u1', email: null, name: null }, target: null, objects: [], ip: null, userAgent: null, geo: null, asn: null, isp: null,
      ipCategory: null, ipTags: [], device: null, userAgentTags: [], raw: null,
    };
    const fixture = new URL('./close-worker.fixture.ts', import.meta.url).pathname;
    const r = await promisify(execFile)(process.execPath, ['--import', 'tsx', fixture, join(dir, 's.db'), JSON.stringify(activity)], { timeout: 60_000 });
    expect(r.stdout).toBe('closed\n');
  });
});

describe('SqliteStore query plans', () => {
  it('walks the user (or IP) index, not the broad action index, when a user or IP filter is present', async () => {
    const Database = (await import('better-sqlite3')).default;
    const { SqliteStore, SQLITE_DIALECT } = await import('./index.ts');
    const { buildActivityQuery } = await import('../sql.ts');
    const dir = mkdtempSync(join(tmpdir(), 'rampart-plan-'));
    const path = join(dir, 'p.db');
    const store = new SqliteStore({ path });
    await store.migrate();
    await store.close();
    const db = new Database(path, { readonly: true });
    const plan = (q: Parameters<typeof buildActivityQuery>[1]) => {
      const { sql, params } = buildActivityQuery(SQLITE_DIALECT, q, 100, 'time, id, body');
      return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((r) => r.detail).join('\n');
    };
    const from = '2026-01-01T00:00:00.000Z';
    const byUser = plan({ user: 'ana@acme.example', action: 'USER_LOGIN', category: 'login', from });
    expect(byUser).toContain('activities_actor_email_time');
    expect(byUser).toContain('activities_actor_id_time');
    expect(byUser).not.toContain('activities_action_time');
    const byIp = plan({ ip: '203.0.113.9', action: 'USER_LOGIN' });
    expect(byIp).toContain('activities_ip_time');
    expect(plan({ action: 'USER_LOGIN', from })).toContain('activities_action_time');
    db.close();
  });
});
