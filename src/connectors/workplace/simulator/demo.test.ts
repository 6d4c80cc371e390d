import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseWorkplaceTime, startDemoTenant } from './index.ts';
import { startTestReceiver } from './testkit.ts';

const waitFor = async (cond: () => boolean, timeoutMs: number) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
};

describe('demo tenant', () => {
  it('verifies the callback, streams benign traffic and injects attacks', async () => {
    const rx = await startTestReceiver('demo-secret', 'demo-verify');
    const ac = new AbortController();
    const demo = await startDemoTenant({ callbackUrl: rx.url, verifyToken: 'demo-verify', appSecret: 'demo-secret', users: 60, eventsPerSec: 200, attackEverySecs: 1, seed: 3, signal: ac.signal });
    try {
      expect(await waitFor(() => demo.attacks.length >= 2 && rx.ackedValues().length > 50, 30_000)).toBe(true);
      const got = rx.ackedValues();
      expect(rx.deliveries.every((d) => d.sha256Valid && d.sha1Valid)).toBe(true);
      expect(got.some((v) => v.event === 'USER_LOGIN')).toBe(true);
      // The first attack's events reach the receiver too.
      const attack = demo.attacks[0];
      expect(await waitFor(() => rx.ackedValues().some((v) => v.timestamp === attack.values[0].timestamp && v.event === attack.values[0].event && v.actor_id === attack.values[0].actor_id), 20_000)).toBe(true);
      // Every attack event is in the past when it is delivered (impossible travel's second sign-in came 25
      // minutes in the future before), as a real tenant's events are.
      const now = demo.simulator.clock.now();
      for (const a of demo.attacks) for (const v of a.values) expect(parseWorkplaceTime(v.timestamp), `${a.scenario} ${v.event}`).toBeLessThanOrEqual(now);
      // The same tenant serves Graph for directory sync.
      const res = await fetch(`${demo.simulator.graphUrl}/community/members?limit=5&access_token=${demo.simulator.accessToken}`);
      expect(res.status).toBe(200);
      expect(demo.stats().acked).toBeGreaterThan(0);
      // The admin burst (4th attack) deactivates accounts; an admin reactivates them a little later.
      expect(await waitFor(() => demo.attacks.some((a) => a.scenario === 'admin_burst'), 30_000)).toBe(true);
      const burst = demo.attacks.find((a) => a.scenario === 'admin_burst')!;
      const victims = burst.values.filter((v) => v.event === 'ADMIN_DEACTIVATE').map((v) => v.target_id!);
      expect(victims.length).toBeGreaterThan(0);
      expect(await waitFor(() => victims.every((id) => demo.simulator.userById(id)!.active), 30_000)).toBe(true);
    } finally {
      ac.abort();
      await demo.stop();
      await rx.close();
    }
  });

  it('fails clearly when the callback never verifies', async () => {
    const rx = await startTestReceiver('s', 'right');
    try {
      await expect(startDemoTenant({ callbackUrl: rx.url, verifyToken: 'wrong', appSecret: 's', users: 10, subscribeTimeoutMs: 500 })).rejects.toThrow(/verification failed/);
    } finally {
      await rx.close();
    }
  });
});

describe('rampart simulate workplace (CLI)', () => {
  it('refuses a bad --port or --deliver-to at once with a coded error and exit 2 (no stack trace, no 60 s of retries)', async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['bin/rampart.js', 'simulate', 'workplace', ...args], {
          cwd: new URL('../../../../', import.meta.url).pathname,
          env: { ...process.env, VT: 'x', AS: 'y' },
        });
        let err = '';
        child.stderr.on('data', (b: Buffer) => (err += b.toString()));
        child.on('close', (code) => resolve({ code, err }));
      });
    for (const args of [['--port', '99999'], ['--deliver-to', 'not-a-url', '--verify-token-env', 'VT', '--app-secret-env', 'AS', '--total', '1']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain('RAMPART_ERR_CONFIG_INVALID');
      expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('prints the URLs it serves and answers Graph requests with the token from the env var', async () => {
    const child = spawn(process.execPath, ['bin/rampart.js', 'simulate', 'workplace', '--users', '20', '--port', '0', '--access-token-env', 'SIM_TOKEN'], {
      cwd: new URL('../../../../', import.meta.url).pathname,
      env: { ...process.env, SIM_TOKEN: 'DQVcli-test-token' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    try {
      expect(await waitFor(() => /Ctrl-C/.test(out), 30_000)).toBe(true);
      const graph = /graph:\s+(\S+)/.exec(out)![1];
      expect(/scim:\s+http:\/\/127\.0\.0\.1:\d+\/scim/.test(out)).toBe(true);
      expect(out).not.toContain('DQVcli-test-token');
      const res = await fetch(`${graph}/community/members?limit=3`, { headers: { authorization: 'Bearer DQVcli-test-token' } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { data: unknown[] }).data.length).toBe(3);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('generates load: --deliver-to with --total delivers exactly N signed events, then prints stats', async () => {
    const rx = await startTestReceiver('cli-secret', 'cli-verify');
    try {
      const child = spawn(
        process.execPath,
        ['bin/rampart.js', 'simulate', 'workplace', '--users', '50', '--deliver-to', rx.url, '--verify-token-env', 'VT', '--app-secret-env', 'AS', '--rate', '5000', '--total', '300', '--attack-every', '0', '--concurrency', '8', '--batch-size', '3'],
        { cwd: new URL('../../../../', import.meta.url).pathname, env: { ...process.env, VT: 'cli-verify', AS: 'cli-secret' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      const code = await new Promise((r) => child.once('exit', r));
      expect(code, out).toBe(0);
      const stats = JSON.parse(out.trim().split('\n').at(-1)!);
      expect(stats).toMatchObject({ generated: 300, acked: 300, failed: 0 });
      expect(rx.ackedValues().length).toBe(300);
      expect(rx.deliveries.every((d) => d.sha256Valid)).toBe(true);
    } finally {
      await rx.close();
    }
  });

  it('refuses --deliver-to without the secret env vars', async () => {
    const child = spawn(process.execPath, ['bin/rampart.js', 'simulate', 'workplace', '--deliver-to', 'http://127.0.0.1:9/x', '--verify-token-env', 'NOPE_NOT_SET'], {
      cwd: new URL('../../../../', import.meta.url).pathname,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/RAMPART_ERR_CONFIG_SECRET_MISSING/);
  });
});
