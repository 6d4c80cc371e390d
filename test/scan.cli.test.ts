// `rampart scan` through the real CLI in a child process: malformed lines never abort the scan, each is reported
// with its line number and written to the rejects file, and every good line is processed.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { writeSyntheticWorkplace } from '../bench/synthetic.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatAlert, progressLine } from '../src/cli/commands/scan.ts';
import type { Alert } from '../src/schema/alert.ts';

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
    // Dates are compared as instants, so text Date.parse would guess at (US order, host time zone) is refused.
    writeFileSync(join(dir, 'date.json'), JSON.stringify([{ app: 'workplace', id: 'u1', active: false, termDate: '02/01/2026', updatedAt: '2026-01-01T00:00:00Z' }]));
    const date = await rampart(['scan', '--directory', join(dir, 'date.json'), file], dir);
    expect(date.code).toBe(2);
    expect(date.stderr).toContain('RAMPART_ERR_INPUT_INVALID_RECORD');
    expect(date.stderr).toContain('termDate');
  });

  it('prints alerts one line per field: event data with line breaks or terminal escapes cannot forge alert lines', () => {
    const forged = 'Mozilla/5.0\n2026-03-01T09:00:00.000Z  HIGH          impossible_travel      ceo@acme.example  FORGED\u001b[31mRED\u001b[0m';
    const text = formatAlert({ time: '2026-03-01T08:00:00.000Z', severity: 'low', detection: 'policy:ua', user: `u@x.example\r\nX`, title: `UA ${forged}`, evidence: [`seen ${forged}`] } as Alert);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(2); // the head and one evidence line
    expect(lines[0]).toContain('FORGED\\u001b[31mRED');
    expect(lines[0]).toContain('u@x.example\\r\\nX');
    expect(text).not.toMatch(/\u001b|\r/);
  });

  it('draws the progress line for both phases: reading (MB) and detecting (events)', () => {
    expect(progressLine(5e6, 10e6, 'read', 3)).toBe(`[${'#'.repeat(15)}${'.'.repeat(15)}] 50% reading 5/10 MB 3 s`);
    expect(progressLine(250_000, 1_000_000, 'detect', 12.4)).toBe(`[${'#'.repeat(8)}${'.'.repeat(22)}] 25% detecting 250,000/1,000,000 events 12 s`);
    expect(progressLine(0, 0, 'detect', 0)).toBe(`[${'.'.repeat(30)}] 0% detecting 0/0 events 0 s`);
  });

  /** No JavaScript stack in what the CLI printed: errors are one coded line. */
  const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

  it('detects a repeated event once (same id and time) and reports the copies in the summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    // Five failures alert; three distinct ones repeated four times are still three.
    writeFileSync(join(dir, 'rampart.yaml'), 'demo: { enabled: false }\ndetections: { learningDays: 0, failed_logins: { minFailures: 5, marginFailures: 0 } }\n');
    const failed = (n: number) => act(n, { id: `act-fail-${n}`, action: 'USER_LOGIN_FAILED', outcome: 'failure', actor: { email: 'ana@acme.example' } });
    const unique = join(dir, 'fail-unique.ndjson');
    writeFileSync(unique, [0, 1, 2].map(failed).join('\n') + '\n');
    const repeated = join(dir, 'fail-dup.ndjson');
    writeFileSync(repeated, [0, 1, 2].flatMap((n) => [failed(n), failed(n), failed(n), failed(n)]).join('\n') + '\n');
    const once = await rampart(['scan', '--json', unique], dir);
    expect(once.stderr).toContain('3 lines, 3 events, 0 rejected');
    for (const files of [[repeated], [unique, unique, unique]]) {
      const r = await rampart(['scan', '--json', ...files], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(once.stdout); // no failed_logins alert from the copies
      expect(r.stderr).toContain(`${files.length === 1 ? 12 : 9} events (${files.length === 1 ? 9 : 6} duplicates skipped), 0 rejected`);
    }
  });

  it('rejects a line nested too deep and goes on with the file, importing the rest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'store: { driver: sqlite, path: ./r.db }\ndemo: { enabled: false }\n');
    const deep = act(10).replace(/}$/, `,"raw":${'['.repeat(100_000)}${']'.repeat(100_000)}}`); // valid JSON, 100,000 levels
    const file = join(dir, 'deep.ndjson');
    writeFileSync(file, [act(1), deep, act(2), act(3)].join('\n') + '\n');
    const r = await rampart(['scan', '--import', '--json', '--rejects', join(dir, 'rejects.ndjson'), file], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${file}:2: RAMPART_ERR_INPUT_TOO_DEEP: line nests JSON deeper than 64 levels`);
    expect(r.stderr).toContain('4 lines, 3 events, 1 rejected');
    expect(r.stderr).toContain('3 imported');
  });

  it('refuses an unwritable --rejects path, or an input as --rejects, with a coded error and exit 2 before reading', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const file = join(dir, 'events.ndjson');
    const text = [act(1), '{"truncated":'].join('\n') + '\n';
    writeFileSync(file, text);
    for (const rejects of [join(dir, 'no-such-folder', 'r.ndjson'), dir, file]) {
      const r = await rampart(['scan', '--rejects', rejects, file], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^rampart: RAMPART_ERR_INPUT_REJECTS_UNWRITABLE: cannot write rejected lines to /m);
      expect(r.stderr).not.toContain('RAMPART_ERR_INPUT_MALFORMED_JSON'); // nothing was read
      noStack(r.stderr);
    }
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('refuses a --learning-days that is not a whole number within the config range, as a usage error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, act(1) + '\n');
    for (const bad of ['1000', '1.5', '-1', 'abc', '']) {
      const r = await rampart(['scan', '--learning-days', bad, file], dir);
      expect(r.code, bad).toBe(1);
      expect(r.stderr).toContain("option '--learning-days <n>' argument");
      expect(r.stderr).not.toContain(' events,'); // refused before scanning
      noStack(r.stderr);
    }
    expect((await rampart(['scan', '--learning-days', '365', file], dir)).code).toBe(0);
  });

  it('reads a process substitution, <(cat export.gz), plain or gzip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    writeFileSync(join(dir, 'plain.ndjson'), [act(1), act(2)].join('\n') + '\n');
    writeFileSync(join(dir, 'events.gz'), gzipSync([act(1), act(2)].join('\n') + '\n'));
    for (const f of ['plain.ndjson', 'events.gz']) {
      const r = await run('bash', ['-c', `"${process.execPath}" "${BIN}" scan --json <(cat ${f})`], { cwd: dir });
      expect(r.stderr).toContain('1 file(s), 2 lines, 2 events, 0 rejected');
    }
  });

  it('stops writing quietly when the reader of stdout goes away (scan --json | head -1)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'demo: { enabled: false }\n');
    const file = join(dir, 'wp.ndjson');
    await writeSyntheticWorkplace({ events: 3000, users: 40, seed: 11, path: file }); // ~200 alerts, far more than a pipe holds
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, 'scan', '--json', '--no-progress', file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      child.stdout.once('data', () => child.stdout.destroy()); // read the first alerts, then hang up
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.stderr).not.toContain('EPIPE');
    noStack(r.stderr);
    expect(r.stderr).toMatch(/scan: \d+ alert\(s\)/);
    expect(r.code).toBe(0);
  });

  it('reads a SCIM export with a byte order mark and quoted booleans; says a bad user once, naming its Resources[i]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, [act(1), act(2), act(3)].join('\n') + '\n'); // user1, user2, user3
    const scim = (Resources: Record<string, unknown>[]) => '\ufeff' + JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], Resources });
    writeFileSync(join(dir, 'users.json'), scim([
      { id: 'u1', userName: 'user1@acme.example', active: 'False' },
      { id: 'u2', userName: 'user2@acme.example', active: 'FALSE' },
      { id: 'u3', userName: 'user3@acme.example', active: 'True' },
    ]));
    const r = await rampart(['scan', '--json', '--directory', join(dir, 'users.json'), file], dir);
    expect(r.code).toBe(0);
    const terminated = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((a) => a.detection === 'terminated_user');
    expect(terminated.map((a) => a.user).sort()).toEqual(['user1@acme.example', 'user2@acme.example']);

    const refused = async (resources: Record<string, unknown>[]) => {
      writeFileSync(join(dir, 'bad.json'), scim(resources));
      const bad = await rampart(['scan', '--directory', join(dir, 'bad.json'), file], dir);
      expect(bad.code).toBe(2);
      noStack(bad.stderr);
      return bad.stderr.trim();
    };
    expect(await refused([{ id: 'u1', active: 0 }])).toBe('rampart: RAMPART_ERR_INPUT_INVALID_RECORD: record does not match the SCIM ListResponse format: Resources[0] (id u1): "active" is 0: expected true or false');
    expect(await refused([{ id: 'u1' }, { userName: 'x@acme.example' }])).toBe('rampart: RAMPART_ERR_INPUT_INVALID_RECORD: record does not match the SCIM ListResponse format: Resources[1]: missing "id"');
    const termDate = await refused([{ id: 'u1', 'urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User': { termDate: '31/12/2025' } }]);
    expect(termDate).toContain('Resources[0] (id u1): "termDate" is "31/12/2025": expected an ISO 8601 date');
  });

  it('warns on stderr about each feed it cannot read, keeping stdout to the alerts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scan-'));
    writeFileSync(join(dir, 'rampart.yaml'), 'demo: { enabled: false }\nfeeds:\n  - { kind: tor_exit, path: ./does/not/exist.txt }\n');
    const file = join(dir, 'events.ndjson');
    writeFileSync(file, [act(1), act(2)].join('\n') + '\n');
    const r = await rampart(['scan', '--json', file], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^scan: warning: RAMPART_ERR_ENRICH_FEED_FAILED: feed \S+ cannot be loaded: .*exist\.txt/m);
    for (const l of r.stdout.split('\n').filter(Boolean)) expect(() => JSON.parse(l)).not.toThrow();
    expect(r.stdout).not.toContain('FEED');
  });
});
