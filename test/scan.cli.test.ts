// `rampart scan` through the real CLI in a child process: malformed lines never abort the scan, each is reported
// with its line number and written to the rejects file, and every good line is processed.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { progressLine } from '../src/cli/commands/scan.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', 'bin', 'rampart.js');

async function rampart(args: string[], cwd: string) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** The CLI with `input` piped to its standard input. */
function rampartWithInput(args: string[], cwd: string, input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const act = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    time: new Date(Date.UTC(2026, 2, 1, 9, 0, i)).toISOString(),
    app: 'workplace',
    tenant: 't1',
    action: 'USER_LOGIN',
    category: 'login',
    outcome: 'success',
    interactive: true,
    actor: { id: `u${i % 5}`, email: `user${i % 5}@acme.example` },
    ip: '81.2.69.160',
    ...extra,
  });

describe('rampart scan (CLI)', () => {
  it('processes every good line and reports each malformed one with its line number (exit 0)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const lines: Buffer[] = [];
    const bad = new Map<number, string>();
    const good: number[] = [];
    const push = (b: string | Buffer, badCode?: string) => {
      lines.push(Buffer.isBuffer(b) ? b : Buffer.from(b));
      if (badCode) bad.set(lines.length, badCode);
      else good.push(lines.length);
    };
    for (let i = 0; i < 20; i++) push(act(i));
    push('{"time":"2026-03-01T09:00:00Z","app":"workpl', 'RAMPART_ERR_INPUT_MALFORMED_JSON'); // truncated
    push('[1,2,3]', 'RAMPART_ERR_INPUT_NOT_OBJECT');
    push(act(50, { outcome: 42 }), 'RAMPART_ERR_INPUT_INVALID_RECORD'); // wrong type
    push(act(51, { time: 'yesterday' }), 'RAMPART_ERR_INPUT_INVALID_RECORD');
    push('x'.repeat(200 * 1024), 'RAMPART_ERR_INPUT_LINE_TOO_LONG'); // 200 KB junk (limit lowered below)
    push(Buffer.concat([Buffer.from('{"note":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 'RAMPART_ERR_INPUT_INVALID_UTF8');
    push('{"hello":"world"}', 'RAMPART_ERR_INPUT_UNKNOWN_FORMAT');
    for (let i = 20; i < 40; i++) push(act(i));
    const file = join(dir, 'mixed.ndjson');
    writeFileSync(file, Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')])));
    writeFileSync(join(dir, 'rampart.yaml'), 'scan: { maxLineBytes: 65536 }\ndemo: { enabled: false }\n');

    const r = await rampart(['scan', '--json', '--rejects', join(dir, 'rejects.ndjson'), file], dir);
    expect(r.code).toBe(0);
    for (const [line, code] of bad) expect(r.stderr).toContain(`${file}:${line}: ${code}`);
    expect(r.stderr).toContain(`${good.length} events, ${bad.size} rejected`);
    const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rejects.map((x) => [x.line, x.code])).toEqual([...bad.entries()]);
    expect(statSync(join(dir, 'rejects.ndjson')).mode & 0o777).toBe(0o600); // samples of the audit data
    // stdout is NDJSON only (possibly empty): every line parses.
    for (const l of r.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
  });

  it('reads gzip input and fails with exit 2 on an unreadable file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const gz = join(dir, 'events.ndjson.gz');
    writeFileSync(gz, gzipSync([act(1), act(2), act(3)].join('\n') + '\n'));
    const ok = await rampart(['scan', '--json', gz], dir);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('3 events, 0 rejected');
    const missing = await rampart(['scan', join(dir, 'nope.ndjson')], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('RAMPART_ERR_INPUT_UNREADABLE');
  });

  it('reads standard input for "-", plain or gzip, beside files, and names it <stdin> in rejects', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'demo: { enabled: false }\n');
    const piped = [act(1), act(2), '{"truncated":', act(3)].join('\n') + '\n';
    const file = join(dir, 'more.ndjson');
    writeFileSync(file, [act(4), act(5)].join('\n') + '\n');
    for (const input of [Buffer.from(piped), gzipSync(piped)]) {
      const r = await rampartWithInput(['scan', '--json', '--rejects', join(dir, 'rejects.ndjson'), '-', file], dir, input);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('<stdin>:3: RAMPART_ERR_INPUT_MALFORMED_JSON');
      expect(r.stderr).toContain('2 file(s), 6 lines, 5 events, 1 rejected');
      const rejects = readFileSync(join(dir, 'rejects.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(rejects.map((x) => [x.file, x.line])).toEqual([['<stdin>', 3]]);
    }
    const twice = await rampartWithInput(['scan', '-', '-'], dir, Buffer.from(piped));
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('RAMPART_ERR_INPUT_UNREADABLE');
    expect(twice.stderr).toContain('standard input is named more than once');
  });

  it('raises terminated_user from a SCIM directory export, with the documented alert fields', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const scim = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 1,
      itemsPerPage: 1,
      startIndex: 1,
      Resources: [
        {
          schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
          id: 'u1',
          userName: 'user1@acme.example',
          active: false,
          'urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User': { termDate: Date.UTC(2026, 1, 1) / 1000 },
        },
      ],
    };
    writeFileSync(join(dir, 'users.json'), JSON.stringify(scim));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, [act(1), act(2), act(6)].join('\n') + '\n'); // user1 acts after termination (twice)
    const r = await rampart(['scan', '--json', '--directory', join(dir, 'users.json'), file], dir);
    expect(r.code).toBe(0);
    const alerts = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const term = alerts.filter((a) => a.detection === 'terminated_user');
    expect(term).toHaveLength(1);
    expect(term[0].user).toBe('user1@acme.example');
    for (const k of ['id', 'detection', 'title', 'severity', 'user', 'time', 'activityIds', 'evidence', 'details']) expect(term[0]).toHaveProperty(k);
    expect(term[0].activityIds.length).toBeGreaterThanOrEqual(1);
    expect(alerts.every((a) => a.user !== 'user2@acme.example')).toBe(true);

    // --ocsf: the same alerts as OCSF Detection Findings, one per line; --json beside it is refused.
    const o = await rampart(['scan', '--ocsf', '--directory', join(dir, 'users.json'), file], dir);
    expect(o.code).toBe(0);
    const findings = o.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(findings.map((f) => f.finding_info.uid)).toEqual(alerts.map((a) => a.id));
    for (const f of findings) expect(f).toMatchObject({ class_uid: 2004, category_uid: 2 });
    const t = findings.find((f) => f.finding_info.uid === term[0].id);
    expect(t.time).toBe(Date.parse(term[0].time));
    expect(t.finding_info.title).toBe(term[0].title);
    const both = await rampart(['scan', '--ocsf', '--json', file], dir);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain("option '--ocsf' cannot be used with option '--json'");
    expect(both.stdout).toBe('');
  });

  it('--import stores the activities and alerts in the configured store, once even when scanned twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'store: { driver: sqlite, path: ./db/r.db }\ndemo: { enabled: false }\n');
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, [act(1), act(2), act(3), act(4)].join('\n') + '\n');
    for (let i = 0; i < 2; i++) {
      const r = await rampart(['scan', '--import', '--json', file], dir);
      expect(r.code).toBe(0);
      if (i === 0) expect(r.stderr).toContain('4 imported');
      else expect(r.stderr).not.toContain('imported'); // a second scan of the same file writes nothing new
    }
    const { SqliteStore } = await import('../src/store/sqlite/index.ts');
    const store = new SqliteStore({ path: join(dir, 'db', 'r.db') });
    await store.migrate();
    expect(await store.countActivities()).toBe(4);
    const page = await store.queryActivities({ user: 'user1@acme.example' });
    expect(page.items.map((a) => a.actor.email)).toEqual(['user1@acme.example']);
    expect(page.items[0].source).toBe('scan');
    await store.close();
  });

  it('rejects a malformed or invalid --directory file with a coded error and exit 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, act(1) + '\n');
    writeFileSync(join(dir, 'truncated.json'), '{"Resources": [');
    writeFileSync(join(dir, 'wrong.json'), JSON.stringify([{ app: 'workplace', id: 'u1', active: 'yes' }]));
    const truncated = await rampart(['scan', '--directory', join(dir, 'truncated.json'), file], dir);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toContain('RAMPART_ERR_INPUT_MALFORMED_JSON');
    const wrong = await rampart(['scan', '--directory', join(dir, 'wrong.json'), file], dir);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('RAMPART_ERR_INPUT_INVALID_RECORD');
    expect(wrong.stderr).toContain('active');
    // Dates are compared as instants, so free text is refused rather than compared as a string.
    writeFileSync(join(dir, 'date.json'), JSON.stringify([{ app: 'workplace', id: 'u1', active: false, termDate: 'next tuesday', updatedAt: '2026-01-01T00:00:00Z' }]));
    const date = await rampart(['scan', '--directory', join(dir, 'date.json'), file], dir);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('RAMPART_ERR_INPUT_INVALID_RECORD');
    expect(date.stderr).toContain('termDate');
  });

  it('draws the progress line for both phases: reading (MB) and detecting (events)', () => {
    expect(progressLine(5e6, 10e6, 'read', 3)).toBe(`[${'#'.repeat(15)}${'.'.repeat(15)}] 50% reading 5/10 MB 3 s`);
    expect(progressLine(250_000, 1_000_000, 'detect', 12.4)).toBe(`[${'#'.repeat(8)}${'.'.repeat(22)}] 25% detecting 250,000/1,000,000 events 12 s`);
    expect(progressLine(0, 0, 'detect', 0)).toBe(`[${'.'.repeat(30)}] 0% detecting 0/0 events 0 s`);
  });
});
