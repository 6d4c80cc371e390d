// `rampart serve` as a process whose stdout is not a terminal (a service manager, a container): the first
// start's one-time password must not land in the collected output.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin', 'rampart.js');

describe('first start without a terminal', () => {
  it('writes the one-time password to data/initial-admin-password (0600) and says where, without it, on stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-first-'));
    try {
      writeFileSync(join(dir, 'rampart.yaml'), 'demo: { enabled: false }\nlog: { level: warn }\n');
      const child = spawn(process.execPath, [BIN, 'serve', '--config', join(dir, 'rampart.yaml'), '--port', '0'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr.on('data', (b: Buffer) => (out += b.toString()));
      const deadline = Date.now() + 60_000;
      while (!out.includes('listening on') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const file = join(dir, 'data', 'initial-admin-password');
      expect(out).toContain(file);
      const text = readFileSync(file, 'utf8');
      const password = /password: (\S+)/.exec(text)?.[1];
      expect(password).toMatch(/^\S{12,}$/);
      expect(out).not.toContain(password!);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
