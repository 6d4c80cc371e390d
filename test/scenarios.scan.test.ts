// Issue 4's scenario suite through the real CLI: seeded multi-day, multi-user organisations written as files and
// analysed with `rampart scan --json`, asserting required and forbidden alerts and the benign-noise budget.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ATTACKS, generateScenario, writeScenario, type AlertMatch } from '../src/detect/scenarios/generator.ts';

const run = promisify(execFile);
const BIN = join(import.meta.dirname, '..', 'bin', 'rampart.js');

interface ScanAlert {
  detection: string;
  user: string | null;
  severity: string;
  title: string;
}

async function scan(dir: string): Promise<ScanAlert[]> {
  const r = await run(
    process.execPath,
    [BIN, 'scan', '--json', '--config', join(dir, 'config.json'), '--directory', join(dir, 'directory.json'), '--rejects', join(dir, 'rejects.ndjson'), join(dir, 'activities.ndjson')],
    { cwd: dir, maxBuffer: 256 * 1024 * 1024, timeout: 300_000 },
  );
  expect(r.stderr).toContain(' 0 rejected');
  return r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as ScanAlert);
}

const matches = (a: ScanAlert, m: AlertMatch) =>
  a.detection === m.detection && (m.user === undefined || a.user === m.user) && (m.severity === undefined || a.severity === m.severity);

describe('detection scenarios through rampart scan --json', () => {
  it('a benign organisation of >= 200 users over 3 weeks stays under 1 alert per 500 user-days', async () => {
    const s = generateScenario({ seed: 7 });
    expect(s.directory.length).toBeGreaterThanOrEqual(200);
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scn-benign-'));
    writeScenario(dir, s);
    const alerts = await scan(dir);
    const budget = Math.floor(s.userDays / 500);
    expect(alerts.length, alerts.map((a) => `${a.detection} ${a.user} ${a.title}`).join('\n')).toBeLessThanOrEqual(budget);
  });

  it('every injected attack raises its required alert and no forbidden look-alike fires', async () => {
    const s = generateScenario({ seed: 11, attacks: ATTACKS });
    const dir = mkdtempSync(join(tmpdir(), 'rampart-scn-attacks-'));
    writeScenario(dir, s);
    const alerts = await scan(dir);
    const listing = alerts.map((a) => `${a.detection} ${a.user} ${a.severity} ${a.title}`).join('\n');
    for (const m of s.required) expect(alerts.some((a) => matches(a, m)), `required: ${m.detection} ${m.user ?? ''} (${m.why})\n${listing}`).toBe(true);
    for (const m of s.forbidden) expect(alerts.some((a) => matches(a, m)), `forbidden: ${m.detection} ${m.user ?? ''} (${m.why})\n${listing}`).toBe(false);
    const benign = alerts.filter((a) => a.user === null || !s.attackUsers.has(a.user));
    expect(benign.length, listing).toBeLessThanOrEqual(Math.max(1, Math.floor(s.userDays / 500)));
    expect(readFileSync(join(dir, 'expectations.json'), 'utf8')).toContain('required');
  });
});
