// `rampart users` through the real CLI in a child process, then signing in to a real service on the same store.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger } from '../../src/core/logger.ts';
import { startService } from '../../src/main.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'rampart.js');
const dir = mkdtempSync(join(tmpdir(), 'rampart-users-cli-'));
const configFile = join(dir, 'rampart.yaml');
writeFileSync(configFile, `store: { driver: sqlite, path: ${JSON.stringify(join(dir, 'r.db'))} }\ndemo: { enabled: false }\nlog: { level: silent }\n`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function rampart(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  if (stdin === undefined) {
    try {
      const r = await run(process.execPath, [BIN, ...args], { cwd: dir });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  }
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    p.stdin.end(stdin);
  });
}

describe('rampart users', () => {
  it('creates the first admin with a one-time password; the service then prints none and accepts it', async () => {
    const r = await rampart(['users', 'create', '--admin', 'Root@Acme.example', '-c', configFile]);
    expect(r.code).toBe(0);
    const password = /one-time password.*: (\S+)/.exec(r.stdout)?.[1];
    expect(password).toBeTruthy();
    const again = await rampart(['users', 'create', '--admin', 'root@acme.example', '-c', configFile]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('RAMPART_ERR_API_CONFLICT');

    const withStdin = await rampart(['users', 'create', 'ana@acme.example', '--role', 'analyst', '--password-stdin', '-c', configFile], 'a long enough passphrase\n');
    expect(withStdin.code).toBe(0);
    expect(withStdin.stdout).not.toContain('one-time password');
    const list = await rampart(['users', 'list', '-c', configFile]);
    expect(list.stdout).toContain('root@acme.example\tadmin');
    expect(list.stdout).toContain('ana@acme.example\tanalyst');

    const printed: string[] = [];
    const s = await startService(loadConfig(configFile), { port: 0, host: '127.0.0.1', connectors: [], logger: createLogger({ level: 'silent' }), api: { printOnce: (t) => printed.push(t) } });
    try {
      expect(printed).toEqual([]);
      const login = async (email: string, pw: string) =>
        (await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: pw }) })).status;
      expect(await login('root@acme.example', password!)).toBe(200);
      expect(await login('ana@acme.example', 'a long enough passphrase')).toBe(200);
      const audit = await s.api.audit.query({ action: 'account.create' });
      expect(audit.items.map((e) => e.target).sort()).toEqual(['ana@acme.example', 'root@acme.example']);
      expect(audit.items[0].actorKind).toBe('system');
    } finally {
      await s.close();
    }
    const reset = await rampart(['users', 'reset-password', 'ana@acme.example', '-c', configFile]);
    expect(reset.stdout).toMatch(/one-time password for ana@acme.example \(shown once\): \S{20,}/);
  }, 60_000);
});

describe('rampart users create: the API rules, and one winner', () => {
  it('refuses addresses the API refuses (too long, control characters) with a coded error', async () => {
    for (const email of [`${'b'.repeat(390)}@x.com`, 'x\u001b[2Jred@x.com', 'nul\u0001@x.com']) {
      const r = await rampart(['users', 'create', '-c', configFile, email]);
      expect(r.code, JSON.stringify(email)).toBe(2);
      expect(r.stderr).toContain('RAMPART_ERR_API_BAD_REQUEST');
    }
    expect((await rampart(['users', 'list', '-c', configFile])).stdout).not.toContain('bbbb');
  });

  it('three processes creating the same address at once: one succeeds, the others get RAMPART_ERR_API_CONFLICT', async () => {
    const rs = await Promise.all([1, 2, 3].map(() => rampart(['users', 'create', '-c', configFile, 'race@acme.example'])));
    expect(rs.filter((r) => r.code === 0)).toHaveLength(1);
    for (const r of rs.filter((x) => x.code !== 0)) expect(r.stderr).toContain('RAMPART_ERR_API_CONFLICT');
  });
});
