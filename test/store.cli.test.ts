// `rampart store stats|backup|prune` through the real CLI in a child process, on a store filled by `rampart scan --import`.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', 'bin', 'rampart.js');

async function rampart(args: string[], cwd: string) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const line = (i: number, daysAgo: number) =>
  JSON.stringify({
    time: new Date(Date.now() - daysAgo * 86_400_000 + i * 1000).toISOString(),
    app: 'workplace',
    action: 'USER_LOGIN',
    category: 'login',
    outcome: 'success',
    actor: { id: `u${i % 3}`, email: `user${i % 3}@acme.example` },
    ip: '81.2.69.160',
  });

describe('rampart store (CLI)', () => {
  it('backs up the configured SQLite store into a new 0600 file, refuses to overwrite, and prunes on demand', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-store-cli-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'store: { driver: sqlite, path: ./db/rampart.db }\ndemo: { enabled: false }\n');
    // 10 activities of 40 days ago, 5 of today.
    writeFileSync(join(dir, 'events.ndjson'), [...Array.from({ length: 10 }, (_, i) => line(i, 40)), ...Array.from({ length: 5 }, (_, i) => line(i, 0))].join('\n') + '\n');
    expect((await rampart(['scan', '--import', '--no-progress', 'events.ndjson'], dir)).code).toBe(0);

    const stats = await rampart(['store', 'stats', '--json'], dir);
    expect(stats.code).toBe(0);
    const s = JSON.parse(stats.stdout);
    expect(s).toMatchObject({ driver: 'sqlite', activities: 15, retentionDays: 180 });
    expect(Date.parse(s.oldestActivity)).toBeLessThan(Date.now() - 39 * 86_400_000);
    expect(Date.parse(s.newestActivity)).toBeGreaterThan(Date.now() - 86_400_000);
    expect(s.bytes).toBeGreaterThan(0);
    expect((await rampart(['store', 'stats'], dir)).stdout).toMatch(/activities\s+15 from \S+ to \S+ \(retention 180 days\)/);

    const backup = await rampart(['store', 'backup', 'copy.db'], dir);
    expect(backup.code).toBe(0);
    expect(backup.stdout).toMatch(/^backed up 15 activities .* to copy\.db .*integrity check ok/);
    expect(statSync(join(dir, 'copy.db')).mode & 0o777).toBe(0o600);
    const again = await rampart(['store', 'backup', 'copy.db'], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('RAMPART_ERR_STORE_BACKUP_FAILED');

    // A retention of zero days or of words is refused before anything is deleted.
    const zero = await rampart(['store', 'prune', '--days', '0'], dir);
    expect(zero.code).toBe(1); // a usage error: the config's range (1..36500), checked before the store opens
    expect(zero.stderr).toContain('--days: Too small');
    const words = await rampart(['store', 'prune', '--days', 'ten'], dir);
    expect(words.code).not.toBe(0);
    expect(words.stderr).toContain('--days must be a non-negative integer');
    expect(JSON.parse((await rampart(['store', 'stats', '--json'], dir)).stdout).activities).toBe(15);

    const prune = await rampart(['store', 'prune', '--days', '30'], dir);
    expect(prune.code).toBe(0);
    expect(prune.stdout).toContain('pruned 10 activities and 0 rejects older than 30 days');
    expect(JSON.parse((await rampart(['store', 'stats', '--json'], dir)).stdout).activities).toBe(5);
    // The backup still holds all 15: a second backup of the pruned store holds 5.
    expect((await rampart(['store', 'backup', 'after.db'], dir)).stdout).toMatch(/^backed up 5 activities/);
  });

  it('explains that a PostgreSQL store is backed up with pg_dump (exit 2, no file written)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-store-cli-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'store: { driver: postgres, url: "postgres://nobody@127.0.0.1:1/none" }\ndemo: { enabled: false }\n');
    const r = await rampart(['store', 'backup', 'copy.db'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('RAMPART_ERR_STORE_BACKUP_FAILED');
    expect(r.stderr).toContain('pg_dump');
    expect(existsSync(join(dir, 'copy.db'))).toBe(false);
  });

  it('refuses prune --days outside the config range (1..36500) as a usage error, before opening the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-store-cli-'));
    for (const days of ['0', '36501', '999999999']) {
      const r = await rampart(['store', 'prune', '--days', days], dir);
      expect(r.code, days).toBe(1);
      expect(r.stderr).toContain('--days');
      expect(r.stderr).not.toContain('RangeError');
    }
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
