/**
 * Webhook ingestion benchmark: sustained deliveries/s with persist-before-ack on SQLite, and p50/p99
 * acknowledgement latency. The receiver (Fastify + the real Workplace connector + SqliteStore, group commit on)
 * runs here; the load comes from a second process on loopback (bench/webhook-load.ts). Afterwards every
 * acknowledged delivery is checked to be in the store.
 *
 *   node --import tsx bench/webhook.bench.ts            (prints a table)
 *   BENCH_CONNECTIONS=64 BENCH_DURATION_MS=10000 ...     (tunable)
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { Metrics } from '../src/core/metrics.ts';
import { silentLogger } from '../src/core/logger.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import type { ConnectorContext } from '../src/connectors/connector.ts';
import { WorkplaceConnector } from '../src/connectors/workplace/index.ts';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: string;
  note?: string;
}

const root = fileURLToPath(new URL('..', import.meta.url));

export async function run(): Promise<BenchResult[]> {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
  const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
  const dir = join(root, '.bench-tmp', `webhook-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const store = new SqliteStore({ path: join(dir, 'rampart.db') });
  await store.migrate();
  const metrics = new Metrics();
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  const secret = 'bench-app-secret';
  const ctx: ConnectorContext = {
    store,
    logger: silentLogger(),
    metrics,
    http: app,
    signal: new AbortController().signal,
    ingest: (activities, checkpoint) => store.putActivities(activities, checkpoint),
    updateDirectory: (users) => store.putDirectoryUsers(users),
  };
  const connector = new WorkplaceConnector({ appSecret: { env: 'BENCH_WP_SECRET' } }, { env: { BENCH_WP_SECRET: secret } });
  await connector.start(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as { port: number }).port;

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'bench/webhook-load.ts'), `http://127.0.0.1:${port}/webhooks/workplace`, 'BENCH_WP_SECRET', String(connections), String(durationMs), String(warmupMs)],
    { env: { ...process.env, BENCH_WP_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code: number = await new Promise((r) => child.on('exit', (c) => r(c ?? 1)));
  if (code !== 0) throw new Error(`load generator exited with ${code}`);
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as { ok: number; failed: number; perSec: number; p50: number; p99: number; max: number; measuredOk: number };
  await connector.stop();
  await app.close();
  const stored = await store.countActivities();
  const commits = metrics.get('rampart_webhook_commits_total', { connector: 'workplace' });
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const note = `${connections} connections, ${durationMs} ms measured after ${warmupMs} ms warm-up; ${r.ok} acked, ${r.failed} failed, ${stored} stored, ${commits} commits`;
  if (stored < r.ok) throw new Error(`acknowledged ${r.ok} deliveries but only ${stored} are stored`);
  return [
    { name: 'webhook deliveries/s (persist-before-ack, SQLite)', value: Math.round(r.perSec), unit: 'deliveries/s', target: '>= 5000', note },
    { name: 'webhook ack latency p50', value: Number(r.p50.toFixed(2)), unit: 'ms' },
    { name: 'webhook ack latency p99', value: Number(r.p99.toFixed(2)), unit: 'ms', target: '<= 50' },
    { name: 'webhook deliveries per commit', value: Number((r.ok / Math.max(1, commits)).toFixed(1)), unit: 'deliveries' },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const results = await run();
  console.table(results.map((x) => ({ name: x.name, value: x.value, unit: x.unit, target: x.target ?? '' })));
  console.log(results[0].note);
}
