// `rampart act` through the real CLI entry point: a config file, the SQLite store, the Okta simulator.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOktaSimulator, type OktaSimulator } from '../../actions/okta/simulator.ts';
import { runCli } from '../../../test/helpers/cli.ts';

let okta: OktaSimulator;
let dir: string;
let cfg: string;

beforeAll(async () => {
  okta = await startOktaSimulator({ users: [{ login: 'alice@acme.example' }, { login: 'root@acme.example' }] });
  dir = mkdtempSync(join(tmpdir(), 'rampart-act-'));
  cfg = join(dir, 'rampart.yaml');
  process.env.RAMPART_TEST_OKTA_TOKEN = okta.apiToken;
  writeFileSync(
    cfg,
    [
      'store: { driver: sqlite, path: ./rampart.db }',
      'log: { level: silent }',
      'governance:',
      '  defaultProvider: okta',
      '  protectedAccounts: [root@acme.example]',
      '  retry: { maxAttempts: 1 }',
      '  providers:',
      `    okta: { orgUrl: "${okta.orgUrl}", apiToken: { env: RAMPART_TEST_OKTA_TOKEN } }`,
    ].join('\n'),
  );
});
afterAll(async () => {
  await okta.close();
  rmSync(dir, { recursive: true, force: true });
  delete process.env.RAMPART_TEST_OKTA_TOKEN;
});

const run = (...args: string[]) => runCli(args);

describe('rampart act', () => {
  it('suspends, lists the log, reverts', async () => {
    const s = await run('act', 'suspend', 'alice@acme.example', '--reason', 'phished', '--by', 'soc@acme.example', '--json', '-c', cfg);
    expect(s.code).toBe(0);
    const entry = JSON.parse(s.out) as { id: string; status: string; trigger: unknown };
    expect(entry.status).toBe('succeeded');
    expect(entry.trigger).toEqual({ kind: 'manual', by: 'soc@acme.example' });
    expect(okta.user('alice@acme.example')!.status).toBe('SUSPENDED');

    const log = await run('act', 'log', '-c', cfg);
    expect(log.code).toBe(0);
    expect(log.out).toContain(entry.id);
    expect(log.out).toContain('succeeded  suspend_user  alice@acme.example  okta');

    const r = await run('act', 'revert', entry.id, '-c', cfg);
    expect(r.code).toBe(0);
    expect(r.out).toContain('unsuspend_user');
    expect(okta.user('alice@acme.example')!.status).toBe('ACTIVE');
    const shown = await run('act', 'show', entry.id, '--json', '-c', cfg);
    expect(JSON.parse(shown.out).status).toBe('reverted');
  });

  it('refuses to suspend a protected account without --force, with the error code', async () => {
    const r = await run('act', 'suspend', 'root@acme.example', '--reason', 'x', '-c', cfg);
    expect(r.code).toBe(2);
    expect(r.err).toContain('RAMPART_ERR_ACTION_PROTECTED_ACCOUNT');
    expect(okta.user('root@acme.example')!.status).toBe('ACTIVE');
  });

  it('exits 1 and prints the reason when the action fails; retry runs it again', async () => {
    okta.faults.down(1);
    const f = await run('act', 'sign-out', 'alice@acme.example', '--reason', 'x', '-c', cfg);
    expect(f.code).toBe(1);
    expect(f.out).toContain('failed');
    expect(f.out).toContain('still failing after 1 attempts');
    const id = f.out.split('  ')[1]!;
    const ok = await run('act', 'retry', id, '-c', cfg);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain('succeeded');
  });
});
