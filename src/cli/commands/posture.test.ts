// `rampart posture` through the real CLI entry point: a config file and a SQLite store with a directory.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../store/sqlite/index.ts';
import { DirectoryUserSchema } from '../../schema/directory.ts';
import { runCli } from '../../../test/helpers/cli.ts';

let dir: string;
let cfg: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rampart-posture-'));
  cfg = join(dir, 'rampart.yaml');
  writeFileSync(cfg, ['store: { driver: sqlite, path: ./rampart.db }', 'log: { level: silent }', 'organization: { domains: [acme.example] }', 'posture: { ssoTargetPct: 90 }'].join('\n'));
  const store = new SqliteStore({ path: join(dir, 'rampart.db') });
  await store.migrate();
  const u = (id: string, over: Record<string, unknown> = {}) =>
    DirectoryUserSchema.parse({ app: 'workplace', tenant: 'c1', id, email: `${id}@acme.example`, active: true, authMethod: 'sso', invited: true, claimed: true, updatedAt: new Date().toISOString(), ...over });
  await store.putDirectoryUsers([u('adm', { isAdmin: true }), u('u1'), u('u2', { authMethod: 'password' }), u('u3', { authMethod: 'password' })]);
  await store.close();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const run = (...args: string[]) => runCli(args);

describe('rampart posture', () => {
  it('prints the score and the ranked recommendations as a table, and as JSON with --json', async () => {
    const table = await run('posture', '--config', cfg);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^Rampart posture score: \d+(\.\d)?% \(/);
    expect(table.out).toMatch(/#\s+LEFT\s+POINTS\s+RESULT\s+SOURCE\s+STATUS\s+INSTANCE\s+CHECK/);
    expect(table.out).toMatch(/workplace\.adopt_sso/);
    const json = await run('posture', '--config', cfg, '--json');
    const body = JSON.parse(json.out);
    expect(body.overall.possible).toBe(53);
    const sso = body.recommendations.find((r: { id: string }) => r.id === 'workplace.adopt_sso');
    // 2 of 4 on SSO against a 90% target (posture.ssoTargetPct from the config file).
    expect(sso).toMatchObject({ result: 'not_compliant', scoreEarned: 5.56, instance: 'workplace:c1', accountsTotal: 2 });
  });

  it('refuses an app instance that does not exist instead of printing an empty list with exit 0', async () => {
    const r = await run('posture', '--config', cfg, '--instance', 'nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE');
    expect(r.err).toContain('workplace:c1');
    expect((await run('posture', '--config', cfg, '--instance', 'workplace:c1')).code).toBe(0);
  });

  it('sets a status with a reason, and the score follows', async () => {
    const before = JSON.parse((await run('posture', '--config', cfg, '--json')).out).overall.earned;
    const set = await run('posture', 'status', 'workplace.adopt_sso', 'risk_accepted', '--reason', 'contractors', '--by', 'ana', '--config', cfg, '--json');
    expect(set.code).toBe(0);
    expect(JSON.parse(set.out)).toMatchObject({ status: 'risk_accepted', statusBy: 'ana', statusReason: 'contractors', scoreEarned: 0 });
    const after = JSON.parse((await run('posture', '--config', cfg, '--json')).out).overall.earned;
    expect(after).toBeCloseTo(before - 5.56, 2);
    const bad = await run('posture', 'status', 'workplace.adopt_sso', 'ignored', '--reason', 'x', '--config', cfg);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/RAMPART_ERR_API_BAD_REQUEST/);
    const unknown = await run('posture', 'status', 'workplace.nope', 'planned', '--reason', 'x', '--config', cfg);
    expect(unknown.err).toMatch(/RAMPART_ERR_POSTURE_UNKNOWN_CHECK/);
  });

  it('declares, shows one check with evidence, and lists the trend', async () => {
    const noWhy = await run('posture', 'declare', 'workplace.require_two_factor', 'compliant', '--config', cfg);
    expect(noWhy.err).toMatch(/justification/);
    const d = await run('posture', 'declare', 'workplace.require_two_factor', 'compliant', '--justification', 'on since May', '--config', cfg);
    expect(d.out).toMatch(/result: compliant \(declared, data says unknown\)/);
    const show = await run('posture', 'show', 'workplace.adopt_sso', '--config', cfg);
    expect(show.out).toMatch(/u2@acme\.example {2}password/);
    expect(show.out).toMatch(/remediation: /);
    const trend = JSON.parse((await run('posture', 'trend', '--config', cfg, '--json')).out);
    expect(trend).toHaveLength(1);
    expect(trend[0].day).toBe(new Date().toISOString().slice(0, 10));
  });
});
