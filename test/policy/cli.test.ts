import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/commands/policy.ts';
import { backtest } from '../../src/detect/policy/backtest.ts';
import { loadPolicyFile } from '../../src/detect/policy/load.ts';
import { SqliteStore } from '../../src/store/sqlite/index.ts';
import { generateHistory } from './history.ts';
import { runCli } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-policy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = runCli;

describe('rampart policy', () => {
  const good = join(dir, 'good.yaml');
  const bad = join(dir, 'bad.yaml');
  const history = [...generateHistory({ events: 6000, users: 40, seed: 5, spacingSecs: 10 })];
  const config = join(dir, 'rampart.yaml');

  beforeAll(async () => {
    writeFileSync(good, 'name: failures\nfilters:\n  - { field: category, op: eq, value: login }\n  - { field: outcome, op: eq, value: failure }\nactOn: { mode: repeated, minCount: 11, windowSecs: 300 }\n');
    writeFileSync(bad, 'name: bad\nfilters:\n  - field: ip\n    op: cidr\n    value: nope\n');
    writeFileSync(config, `store:\n  driver: sqlite\n  path: ${join(dir, 'r.db')}\norganization:\n  domains: [example.com]\n`);
    const store = new SqliteStore({ path: join(dir, 'r.db') });
    await store.migrate();
    await store.putActivities(history);
    await store.close();
  });

  it('validate: ok files exit 0; errors print file:line:col and exit 2', async () => {
    const ok = await cli(['policy', 'validate', good, '--config', config]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/1 file\(s\), 1 valid policy, 0 error\(s\), 0 warning\(s\)/);
    const ko = await cli(['policy', 'validate', good, bad, '--config', config]);
    expect(ko.code).toBe(2);
    expect(ko.err).toContain(`${bad}:5:12: error RAMPART_ERR_POLICY_INVALID: filters.0.value: "nope" is not an IPv4 or IPv6 CIDR`);
  });

  it('list prints the policies', async () => {
    const r = await cli(['policy', 'list', good, '--config', config, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).map((p: { name: string; line: number }) => [p.name, p.line])).toEqual([['failures', 1]]);
  });

  it('test backtests over the configured store and reports the same alerts as an in-memory run', async () => {
    const from = history[0].time;
    const to = new Date(Date.parse(history[history.length - 1].time) + 1).toISOString();
    const r = await cli(['policy', 'test', good, '--since', from, '--until', to, '--config', config, '--json', '--samples', '3']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    const expected = await backtest(loadPolicyFile(good).policies.map((p) => p.policy), history);
    expect(expected.alerts).toBeGreaterThan(0);
    expect(report.alerts).toBe(expected.alerts);
    expect(report.samples).toHaveLength(3);
    expect(report.samples).toEqual(expected.samples.slice(0, 3));
    expect(report.scan).toMatchObject({ category: 'login', outcome: 'failure' });
    expect(report.scanned).toBe(history.filter((a) => a.category === 'login' && a.outcome === 'failure').length);
    // text output has the per-day table
    const text = await cli(['policy', 'test', good, '--since', from, '--until', to, '--config', config]);
    expect(text.out).toMatch(/DAY\s+MATCHES\s+ALERTS/);
    expect(text.out).toContain(`failures: ${expected.matches} matches, ${expected.alerts} alerts`);
  });

  it('test refuses an invalid policy file with exit 2', async () => {
    const r = await cli(['policy', 'test', bad, '--config', config]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/RAMPART_ERR_POLICY_INVALID/);
  });

  it('parses --since durations and dates', () => {
    const now = new Date('2026-03-31T00:00:00Z');
    expect(parseSince('30d', now)).toBe('2026-03-01T00:00:00.000Z');
    expect(parseSince('12h', now)).toBe('2026-03-30T12:00:00.000Z');
    expect(parseSince('2026-03-02', now)).toBe('2026-03-02T00:00:00.000Z');
    expect(() => parseSince('soon', now)).toThrow(/RAMPART_ERR_POLICY_INVALID|duration/);
  });
});
