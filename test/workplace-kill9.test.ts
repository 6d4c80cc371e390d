/**
 * Durability of persist-before-ack, end to end: `rampart serve` (a real child process, SQLite store) receives
 * 20,000 simulator events with faults on; it is killed with SIGKILL mid-way and restarted on the same port;
 * the simulator keeps retrying and finally redelivers whatever was never acknowledged. Then we count:
 * every event the receiver acknowledged is in the store, and none is stored twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorkplaceSimulator, type WorkplaceSimulator } from '../src/connectors/workplace/simulator/index.ts';
import { workplaceEventId } from '../src/connectors/workplace/normalize.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const serveAvailable = existsSync(join(root, 'src/cli/commands/serve.ts'));
if (!serveAvailable) console.warn('workplace-kill9: skipped because `rampart serve` (src/cli/commands/serve.ts) is not on this branch yet');

const EVENTS = Number(process.env.RAMPART_KILL9_EVENTS ?? 20_000);
const SECRET = 'kill9-app-secret';
const VERIFY = 'kill9-verify-token';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

async function waitHealthy(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`rampart serve exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('rampart serve did not become healthy');
}

async function metric(url: string, name: string): Promise<number> {
  try {
    const text = await (await fetch(`${url}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').at(-1));
    return sum;
  } catch {
    return 0;
  }
}

describe.skipIf(!serveAvailable)('kill -9 of rampart serve during webhook delivery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-kill9-'));
  let sim: WorkplaceSimulator | null = null;
  let child: ChildProcess | null = null;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`every acknowledged event of ${EVENTS} is stored exactly once`, { timeout: 600_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const dbPath = join(dir, 'rampart.db');
    const configPath = join(dir, 'rampart.yaml');
    writeFileSync(
      configPath,
      [
        'store: { driver: sqlite, path: ' + JSON.stringify(dbPath) + ' }',
        `server: { host: 127.0.0.1, port: ${port} }`,
        'log: { level: warn }',
        'demo: { enabled: false }',
        'connectors:',
        '  workplace:',
        '    appSecret: { env: KILL9_WP_SECRET }',
        '    verifyToken: { env: KILL9_WP_VERIFY }',
        '    directorySyncIntervalSecs: 0',
        '',
      ].join('\n'),
    );
    const start = () => {
      const c = spawn(process.execPath, [join(root, 'bin/rampart.js'), 'serve', '--config', configPath], {
        cwd: dir,
        env: { ...process.env, KILL9_WP_SECRET: SECRET, KILL9_WP_VERIFY: VERIFY },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      return c;
    };

    sim = await startWorkplaceSimulator({ seed: 99, users: 400, appSecret: SECRET });
    const values = sim.generator.live(EVENTS).map((e) => e.value);
    expect(values.length).toBe(EVENTS);

    child = start();
    await waitHealthy(url, child);
    await sim.webhooks.subscribe(`${url}/webhooks/workplace`, VERIFY, {
      batchSize: 4,
      concurrency: 16,
      maxAttempts: 40,
      backoffBaseMs: 50,
      backoffMaxMs: 1_000,
      timeoutMs: 5_000,
    });
    // Faults on: duplicate and out-of-order deliveries, occasional malformed (signed) bodies.
    sim.faults.random('webhook', 'duplicate', 0.05);
    sim.faults.next('webhook', 'out_of_order', 1);
    sim.faults.random('webhook', 'malformed', 0.01);

    const delivery = sim.webhooks.deliver(values);
    // Kill -9 once a good part was acknowledged, while deliveries are in flight.
    let ackedBeforeKill = 0;
    while ((ackedBeforeKill = await metric(url, 'rampart_webhook_deliveries_total')) < EVENTS / 4 / 3) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    const killedAt = Date.now();
    await new Promise((r) => setTimeout(r, 300)); // deliveries fail and back off while the server is down
    child = start();
    await waitHealthy(url, child);

    const report = await delivery;
    // Redeliver whatever ran out of attempts while the server was down.
    const retry = report.unacked.length ? await sim.webhooks.deliver(report.unacked) : null;
    const ackedKeys = new Set([...report.ackedKeys, ...(retry?.ackedKeys ?? [])]);
    expect(Date.now()).toBeGreaterThan(killedAt);
    expect(ackedKeys.size).toBe(EVENTS);
    // The kill really happened mid-way: bodies were still to be sent, and some attempts failed and were retried.
    expect(ackedBeforeKill).toBeLessThan(EVENTS / 4);
    expect(report.attempts + (retry?.attempts ?? 0)).toBeGreaterThan(report.bodies);
    console.log(
      `kill9: ${EVENTS} events in ${report.bodies} bodies, ${ackedBeforeKill} bodies acked before SIGKILL, ` +
        `${report.attempts + (retry?.attempts ?? 0)} attempts, ${report.duplicates} duplicate deliveries, ${report.unacked.length} redelivered after the run`,
    );

    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));

    const db = new Database(dbPath, { readonly: true });
    try {
      const ids = (db.prepare('SELECT id FROM activities').pluck().all() as string[]);
      const stored = new Set(ids);
      expect(stored.size).toBe(ids.length);
      const companyId = sim.org.companyId;
      let missing = 0;
      for (const v of [...report.acked, ...(retry?.acked ?? [])]) {
        if (!stored.has(workplaceEventId(companyId, v.timestamp, v.event, v.actor_id ?? null, v.target_id ?? null))) missing++;
      }
      expect(missing).toBe(0);
      // none twice: exactly one row per distinct event
      expect(ids.length).toBe(EVENTS);
    } finally {
      db.close();
    }
  });
});
