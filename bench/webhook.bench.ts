/**
 * Webhook ingestion benchmark: sustained deliveries/s with persist-before-ack on SQLite, and p50/p99
 * acknowledgement latency. The receiver is the real `rampart serve` composition (startService: Fastify, the
 * Workplace connector with group commit, enrichment, SQLite store, detection queued after the commit); the load
 * comes from a SECOND process on loopback (bench/webhook-load.ts, undici, N keep-alive connections, bodies built
 * and signed before the clock starts). Afterwards every acknowledged delivery is checked to be in the store.
 *
 *   node --import tsx bench/webhook.bench.ts
 *   BENCH_CONNECTIONS=32 BENCH_DURATION_MS=10000 BENCH_WARMUP_MS=2000 BENCH_PREFILL=100000 (defaults)
 * Each store first holds BENCH_PREFILL activities (bench/synthetic.ts, written in 5,000-row batches before the clock
 * starts), as a deployed store does: on an empty store the lookup levels are tiny and every commit is cheaper than
 * it will be in service (docs/store.md, "Log level"). Until 2026-11-28 the bench started from empty stores.
 * The full service is measured twice: closed loop (every connection sends again as soon as it is answered: the
 * most it takes, and its latency at saturation) and open loop at the target's 5,000 deliveries/s (latency from
 * when each delivery was due, so stalls are not hidden by a sender that waits).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { loadConfig } from '../src/config/load.ts';
import { silentLogger } from '../src/core/logger.ts';
import { Metrics } from '../src/core/metrics.ts';
import { startService } from '../src/main.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import { WorkplaceConnector } from '../src/connectors/workplace/index.ts';
import { openInput, readNdjson } from '../src/scan/ndjson-reader.ts';
import { normalizeEnvelope } from '../src/connectors/workplace/normalize.ts';
import type { Activity } from '../src/schema/activity.ts';
import type { Store } from '../src/store/store.ts';
import { writeSyntheticWorkplace } from './synthetic.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Issue 3's target: at least this many deliveries/s with ack p99 <= 50 ms. */
const TARGET_RATE = 5_000;
const PREFILL = Number(process.env.BENCH_PREFILL ?? 100_000);

/** Stores the synthetic file's activities (made once per size, then reused) in 5,000-row batches. */
async function prefill(store: Store): Promise<void> {
  if (PREFILL <= 0) return;
  const file = join(root, '.bench-tmp', `webhook-prefill-${PREFILL}.ndjson`);
  await writeSyntheticWorkplace({ events: PREFILL, users: 5_000, seed: 11, path: file });
  const ctx = { receivedAt: new Date().toISOString(), source: 'prefill' };
  let batch: Activity[] = [];
  for await (const r of readNdjson(openInput(file), 1 << 20)) {
    if (!r.ok) throw new Error(`prefill line ${r.line}: ${r.reason}`);
    batch.push(...normalizeEnvelope(r.record, ctx).activities);
    if (batch.length >= 5_000) {
      await store.putActivities(batch);
      batch = [];
    }
  }
  if (batch.length) await store.putActivities(batch);
}

async function run(): Promise<BenchResult[]> {
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
  const durationMs = Number(process.env.BENCH_DURATION_MS ?? 10_000);
  const warmupMs = Number(process.env.BENCH_WARMUP_MS ?? 2_000);
  const dir = join(root, '.bench-tmp', `webhook-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  // `writer` (development aid): WAL checkpoints by the writing connection, as before the checkpointer thread.
  const CHECKPOINTS = process.env.RAMPART_BENCH_CHECKPOINTS === 'writer' ? 'writer' : 'thread';
  const secret = 'bench-app-secret';
  process.env.BENCH_WP_SECRET = secret;
  const configPath = join(dir, 'rampart.yaml');
  writeFileSync(
    configPath,
    [`store: { driver: sqlite, path: rampart.db, checkpoints: ${CHECKPOINTS} }`, 'log: { level: warn }', 'demo: { enabled: false }', 'connectors:', '  workplace:', '    appSecret: { env: BENCH_WP_SECRET }', '    directorySyncIntervalSecs: 0', ''].join('\n'),
  );
  // Ceiling, measured in the same run with the same load generator: a bare Fastify route that reads the body
  // and answers 200 (no signature, no parsing, no store). The machine is shared, so the ratio is the robust figure.
  const only = process.env.BENCH_ONLY; // 'connector' to profile that phase alone
  const bare = Fastify({ logger: false });
  bare.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  bare.post('/webhooks/workplace', async (_req, reply) => reply.code(200).type('application/json').send('{"ok":true}'));
  await bare.listen({ port: 0, host: '127.0.0.1' });
  const ceiling = only
    ? { ok: 0, failed: 0, perSec: NaN, p50: NaN, p99: NaN, max: NaN }
    : await load(`http://127.0.0.1:${(bare.server.address() as { port: number }).port}/webhooks/workplace`, connections, durationMs, warmupMs);
  await bare.close();

  // The connector alone: signature, parse, normalize, group commit into SQLite, ack (no enrichment/detection).
  const connStore = new SqliteStore({ path: join(dir, 'connector-only.db'), checkpoints: CHECKPOINTS });
  await connStore.migrate();
  await prefill(connStore);
  const connHttp = Fastify({ logger: false });
  const connMetrics = new Metrics();
  const groupCommitMs = process.env.BENCH_GROUP_COMMIT_MS === undefined ? undefined : Number(process.env.BENCH_GROUP_COMMIT_MS);
  const connector = new WorkplaceConnector({ appSecret: { env: 'BENCH_WP_SECRET' }, ...(groupCommitMs === undefined ? {} : { groupCommitMs }) });
  await connector.start({
    store: connStore,
    logger: silentLogger(),
    metrics: connMetrics,
    http: connHttp,
    signal: new AbortController().signal,
    ingest: (acts, cp) => connStore.putActivities(acts, cp),
    updateDirectory: (users) => connStore.putDirectoryUsers(users),
  });
  await connHttp.listen({ port: 0, host: '127.0.0.1' });
  const c = await load(`http://127.0.0.1:${(connHttp.server.address() as { port: number }).port}/webhooks/workplace`, connections, durationMs, warmupMs);
  await connector.stop();
  await connHttp.close();
  const connStored = await connStore.countActivities();
  const connCommits = connMetrics.get('rampart_webhook_commits_total', { connector: 'workplace' });
  await connStore.close();
  if (connStored < c.ok + PREFILL) throw new Error(`connector-only: acknowledged ${c.ok} deliveries but only ${connStored} are stored`);

  // The whole `rampart serve` composition: the same plus enrichment, and detection queued after each commit.
  if (only === 'connector') {
    rmSync(dir, { recursive: true, force: true });
    return [{ name: 'webhook (connector + SQLite): deliveries/s acknowledged', value: Math.round(c.perSec), unit: 'deliveries/s', note: `p50 ${c.p50} p99 ${c.p99}` }];
  }
  const service = await startService(loadConfig(configPath), { port: 0, host: '127.0.0.1', logger: silentLogger() });
  await prefill(service.store);
  const r = await load(`${service.url}/webhooks/workplace`, connections, durationMs, warmupMs);
  // The target's own condition: deliveries due at 5,000/s whatever the receiver does (open loop), latency from
  // when each was due. The closed-loop run above measures the most the service takes, at saturation.
  const paced = await load(`${service.url}/webhooks/workplace`, connections, durationMs, warmupMs, TARGET_RATE);
  const commits = service.metrics.get('rampart_webhook_commits_total', { connector: 'workplace' });
  await service.pipeline.drain();
  const stored = await service.store.countActivities();
  await service.close();
  rmSync(dir, { recursive: true, force: true });
  if (stored < r.ok + paced.ok + PREFILL) throw new Error(`acknowledged ${r.ok + paced.ok} deliveries but only ${stored} are stored`);
  const note = `store holding ${PREFILL.toLocaleString('en-US')} activities first; ${connections} connections from ${process.env.BENCH_GENERATORS ?? 2} generator processes, ${durationMs} ms measured after ${warmupMs} ms warm-up; ${r.ok} acknowledged, ${r.failed} failed, ${stored} stored, ${commits} group commits`;
  const connNote = `connector + SQLite only, store holding ${PREFILL.toLocaleString('en-US')} activities first; ${c.ok} acknowledged, ${c.failed} failed, ${connStored} stored, ${connCommits} group commits`;
  return [
    { name: 'webhook (connector + SQLite): deliveries/s acknowledged', value: Math.round(c.perSec), unit: 'deliveries/s', target: { op: '>=', value: 5000 }, note: connNote },
    { name: 'webhook (connector + SQLite): ack latency p50', value: Number(c.p50.toFixed(2)), unit: 'ms' },
    { name: 'webhook (connector + SQLite): ack latency p99', value: Number(c.p99.toFixed(2)), unit: 'ms', target: { op: '<=', value: 50 } },
    { name: 'webhook (full serve: + enrich + detect): deliveries/s acknowledged', value: Math.round(r.perSec), unit: 'deliveries/s', target: { op: '>=', value: 5000 }, note },
    { name: 'webhook (full serve): ack latency p50 at saturation (closed loop)', value: Number(r.p50.toFixed(2)), unit: 'ms' },
    { name: 'webhook (full serve): ack latency p99 at saturation (closed loop)', value: Number(r.p99.toFixed(2)), unit: 'ms' },
    { name: `webhook (full serve): deliveries/s acknowledged, paced at ${TARGET_RATE.toLocaleString('en-US')}/s (open loop)`, value: Math.round(paced.perSec), unit: 'deliveries/s', target: { op: '>=', value: TARGET_RATE * 0.99 }, note: `${paced.ok} acknowledged, ${paced.failed} failed; latency from when each delivery was due` },
    { name: `webhook (full serve): ack latency p50 at ${TARGET_RATE.toLocaleString('en-US')}/s`, value: Number(paced.p50.toFixed(2)), unit: 'ms' },
    { name: `webhook (full serve): ack latency p99 at ${TARGET_RATE.toLocaleString('en-US')}/s`, value: Number(paced.p99.toFixed(2)), unit: 'ms', target: { op: '<=', value: 50 } },
    { name: 'webhook: ceiling (bare HTTP 200, same load, same run)', value: Math.round(ceiling.perSec), unit: 'requests/s', note: `p50 ${ceiling.p50.toFixed(2)} ms, p99 ${ceiling.p99.toFixed(2)} ms` },
    { name: 'webhook: connector + SQLite / ceiling', value: Number((c.perSec / ceiling.perSec).toFixed(2)), unit: 'ratio' },
    { name: 'webhook: full serve / ceiling', value: Number((r.perSec / ceiling.perSec).toFixed(2)), unit: 'ratio' },
    { name: 'webhook (full serve): deliveries per group commit', value: Number((r.ok / Math.max(1, commits)).toFixed(1)), unit: 'deliveries' },
  ];
}

interface LoadResult {
  ok: number;
  failed: number;
  perSec: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Runs bench/webhook-load.ts in `BENCH_GENERATORS` other processes (default 2; one undici process on its own
 * cannot saturate even a bare server here), splitting the connections, and merges their figures.
 */
async function load(url: string, connections: number, durationMs: number, warmupMs: number, ratePerSec = 0): Promise<LoadResult> {
  const generators = Math.max(1, Number(process.env.BENCH_GENERATORS ?? 2));
  const rateEnv = ratePerSec > 0 ? { BENCH_RATE: String(ratePerSec / generators) } : {};
  const per = Math.max(1, Math.round(connections / generators));
  const one = () =>
    new Promise<LoadResult & { latencies: number[] }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(root, 'bench/webhook-load.ts'), url, 'BENCH_WP_SECRET', String(per), String(durationMs), String(warmupMs)],
        { env: { ...process.env, ...rateEnv, BENCH_EMIT_LATENCIES: '1', BENCH_GENERATOR_SEED: String(Math.random()) }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (c) => (c === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1)!)) : reject(new Error(`load generator exited with ${c}`))));
    });
  const parts = await Promise.all(Array.from({ length: generators }, one));
  const lat = parts.flatMap((p) => p.latencies).sort((a, b) => a - b);
  const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] : NaN);
  return {
    ok: parts.reduce((n, p) => n + p.ok, 0),
    failed: parts.reduce((n, p) => n + p.failed, 0),
    perSec: parts.reduce((n, p) => n + p.perSec, 0),
    p50: q(0.5),
    p99: q(0.99),
    max: lat.at(-1) ?? NaN,
  };
}

export const bench: BenchModule = { title: 'Webhook ingestion: Workplace deliveries, persist before acknowledge (SQLite)', run };

await runStandalone(bench, import.meta.url);
