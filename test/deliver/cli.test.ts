// `rampart deliver test|log|ocsf` run in-process against a real webhook receiver and a real SQLite file.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { main } from '../../src/cli/index.ts';
import { makeAlert, sqliteStore } from './helpers.ts';
import { startReceiver, type Receiver } from './receiver.ts';

let rx: Receiver;
let dir: string;
let out: string[];
let err: string[];

beforeEach(async () => {
  rx = await startReceiver('cli-secret');
  dir = mkdtempSync(join(tmpdir(), 'rampart-deliver-cli-'));
  out = [];
  err = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  process.env.RAMPART_CLI_TEST_SECRET = 'cli-secret';
  process.exitCode = undefined;
});
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await rx.close();
});

function writeConfig(): string {
  const file = join(dir, 'rampart.yaml');
  writeFileSync(
    file,
    `store: { driver: sqlite, path: ./rampart.db }
alerts:
  consoleBaseUrl: https://rampart.example
  destinations:
    - { name: hook, type: webhook, url: '${rx.url}', secret: { env: RAMPART_CLI_TEST_SECRET } }
    - { name: dead, type: webhook, url: 'http://127.0.0.1:1/x', secret: { env: RAMPART_CLI_TEST_SECRET }, timeoutMs: 1000 }
  routes: []
`,
  );
  return file;
}

describe('rampart deliver', () => {
  it('test: sends a labelled test alert to the named destination', async () => {
    const file = writeConfig();
    expect(await main(['deliver', 'test', 'hook', '-c', file, '--severity', 'low'])).toBe(0);
    expect(out.join('')).toBe('hook: sent (HTTP 200)\n');
    const [got] = await rx.next(1);
    expect(got.verified.ok).toBe(true);
    expect(JSON.parse(got.body.toString()).alert).toMatchObject({ detection: 'rampart_test', severity: 'low' });
  });

  it('test: reports a failing destination with its error code and a non-zero exit', async () => {
    const file = writeConfig();
    expect(await main(['deliver', 'test', 'dead', '-c', file])).toBe(1);
    expect(err.join('')).toMatch(/^dead: failed: RAMPART_ERR_DELIVER_FAILED: /);
    expect(await main(['deliver', 'test', 'nope', '-c', file])).toBe(2);
    expect(err.join('')).toContain('no destination named nope');
  });

  it('ocsf: exports stored alerts as valid Detection Findings, one per line', async () => {
    const file = writeConfig();
    const store = await sqliteStore(join(dir, 'rampart.db'));
    const alerts = [makeAlert(), makeAlert({ detection: 'policy:admin-from-outside', mitreTactic: null, time: '2026-11-27T09:00:00.000Z' })];
    for (const a of alerts) await store.putAlert(a);
    await store.close();
    expect(await main(['deliver', 'ocsf', '-c', file])).toBe(0);
    const lines = out.join('').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.finding_info.uid).sort()).toEqual(alerts.map((a) => a.id).sort());
    const schema = JSON.parse(readFileSync(new URL('../fixtures/ocsf/detection_finding.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ validateFormats: false, strictRequired: false }).compile(schema);
    for (const l of lines) expect(validate(l), JSON.stringify(validate.errors)).toBe(true);
    expect(lines[0].finding_info.src_url).toMatch(/^https:\/\/rampart\.example\/alerts\//);
  });

  it('log: prints the delivery log', async () => {
    const file = writeConfig();
    const store = await sqliteStore(join(dir, 'rampart.db'));
    await store.putDoc({ kind: 'delivery', id: 'a:hook:t:1', updatedAt: '2026-11-27T08:00:01.000Z', body: { alertId: 'al_1', detection: 'x', destination: 'hook', destinationType: 'webhook', attempt: 1, outcome: 'failed', final: false, error: { code: 'RAMPART_ERR_DELIVER_FAILED', message: 'HTTP 503' }, detail: null, time: '2026-11-27T08:00:01.000Z' } });
    await store.putDoc({ kind: 'delivery', id: 'a:hook:t:2', updatedAt: '2026-11-27T08:00:03.000Z', body: { alertId: 'al_1', detection: 'x', destination: 'hook', destinationType: 'webhook', attempt: 2, outcome: 'sent', final: true, error: null, detail: 'HTTP 200', time: '2026-11-27T08:00:03.000Z' } });
    await store.close();
    expect(await main(['deliver', 'log', '-c', file, '--alert', 'al_1'])).toBe(0);
    expect(out.join('').split('\n').filter(Boolean)).toEqual([
      '2026-11-27T08:00:03.000Z  hook             al_1  #2 sent  HTTP 200',
      '2026-11-27T08:00:01.000Z  hook             al_1  #1 failed (will retry)  RAMPART_ERR_DELIVER_FAILED: HTTP 503',
    ]);
  });
});
