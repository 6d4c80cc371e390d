/**
 * Alert delivery figures: what `onAlert` costs the pipeline, formatting costs, and end-to-end throughput to a
 * local webhook receiver and a local syslog TCP collector, with the delivery log in a SQLite file.
 * Run alone: `node --import tsx bench/deliver.bench.ts`; or through `npm run bench -- deliver`.
 */
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Metrics } from '../src/core/metrics.ts';
import { AlertsConfigSchema } from '../src/deliver/config.ts';
import { AlertDispatcher } from '../src/deliver/dispatcher.ts';
import { toOcsfDetectionFinding } from '../src/deliver/ocsf.ts';
import { formatCef } from '../src/deliver/syslog.ts';
import { renderAlertEmail } from '../src/deliver/email.ts';
import { AlertSchema, type Alert } from '../src/schema/alert.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import type { BenchResult } from './types.ts';

export const title = 'Alert delivery';

const alert = (i: number): Alert =>
  AlertSchema.parse({
    id: `al_bench_${i}`,
    detection: i % 2 ? 'impossible_travel' : 'policy:mass-download',
    title: `Impossible travel for user${i}@example.com`,
    description: 'Sign-ins from Paris and Sydney 40 minutes apart.',
    severity: 'high',
    user: `user${i}@example.com`,
    userId: String(100000 + i),
    app: 'workplace',
    time: '2026-11-27T08:00:00.000Z',
    firstSeen: '2026-11-27T08:00:00.000Z',
    lastSeen: '2026-11-27T08:00:00.000Z',
    activityIds: ['act_1', 'act_2'],
    evidence: ['Paris, FR (81.2.69.142)', 'Sydney, AU (1.128.0.1)'],
    details: { distanceKm: 16960 },
    mitreTactic: 'initial_access',
    ips: ['81.2.69.142', '1.128.0.1'],
    dedupKey: `k${i}`,
    createdAt: '2026-11-27T08:00:00.000Z',
    updatedAt: '2026-11-27T08:00:00.000Z',
  });

function perItemMicros(n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < 200; i++) fn(i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  return Number(process.hrtime.bigint() - t0) / 1000 / n;
}

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const alerts = Array.from({ length: 5000 }, (_, i) => alert(i));
  const logger = pino({ level: 'silent' });
  const dir = mkdtempSync(join(tmpdir(), 'rampart-deliver-bench-'));

  results.push({ name: 'toOcsfDetectionFinding', value: +perItemMicros(5000, (i) => toOcsfDetectionFinding(alerts[i % 5000])).toFixed(2), unit: 'µs/alert' });
  results.push({ name: 'formatCef', value: +perItemMicros(5000, (i) => formatCef(alerts[i % 5000], 'http://c', 8192)).toFixed(2), unit: 'µs/alert' });
  results.push({ name: 'renderAlertEmail (HTML + text)', value: +perItemMicros(5000, (i) => renderAlertEmail(alerts[i % 5000], 'http://c')).toFixed(2), unit: 'µs/alert' });

  // Webhook receiver that answers 200 (optionally held, to measure the enqueue cost alone).
  let hold = false;
  const held: Array<() => void> = [];
  let got = 0;
  const http = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = () => {
        got++;
        res.end('ok');
      };
      if (hold) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;

  let frames = 0;
  // Counts RFC 6587 octet-counted frames (a frame may span TCP chunks).
  const tcp = createTcpServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) break;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (buf.length < sp + 1 + len) break;
        frames++;
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  const tcpPort = (tcp.address() as AddressInfo).port;

  const env = { BENCH_SECRET: 'bench' };
  const makeDispatcher = (store: SqliteStore, destinations: unknown[], queueSize = 10_000) =>
    new AlertDispatcher({
      config: AlertsConfigSchema.parse({ destinations, routes: [{ detections: '*', destinations: destinations.map((d) => (d as { name: string }).name) }], queueSize }),
      store,
      logger,
      metrics: new Metrics(),
      env,
    });
  const hook = { name: 'hook', type: 'webhook', url, secret: { env: 'BENCH_SECRET' } };

  // (1) The cost the pipeline pays per alert: onAlert with the destination not answering.
  {
    const store = new SqliteStore({ path: join(dir, 'a.db') });
    await store.migrate();
    hold = true;
    const d = makeDispatcher(store, [hook], 20_000);
    const t0 = process.hrtime.bigint();
    for (const a of alerts) d.onAlert(a);
    const us = Number(process.hrtime.bigint() - t0) / 1000 / alerts.length;
    results.push({ name: 'onAlert (enqueue, destination not answering)', value: +us.toFixed(2), unit: 'µs/alert' });
    hold = false;
    held.splice(0).forEach((f) => f());
    await d.close({ graceMs: 120_000 });
    await store.close();
  }

  // (2) End to end: webhook (signed POST, one at a time) with every attempt logged in SQLite.
  {
    const store = new SqliteStore({ path: join(dir, 'b.db') });
    await store.migrate();
    got = 0;
    const n = 2000;
    const d = makeDispatcher(store, [hook]);
    const t0 = performance.now();
    for (const a of alerts.slice(0, n)) d.onAlert(a);
    await d.drain();
    const secs = (performance.now() - t0) / 1000;
    results.push({ name: 'webhook end to end (sequential per destination, logged)', value: Math.round(n / secs), unit: 'alerts/s', note: `${got} received` });
    await d.close();
    await store.close();
  }

  // (3) End to end: syslog over TCP with octet counting, logged.
  {
    const store = new SqliteStore({ path: join(dir, 'c.db') });
    await store.migrate();
    frames = 0;
    const n = 5000;
    const d = makeDispatcher(store, [{ name: 'siem', type: 'syslog', transport: 'tcp', host: '127.0.0.1', port: tcpPort }]);
    const t0 = performance.now();
    for (const a of alerts.slice(0, n)) d.onAlert(a);
    await d.drain();
    const secs = (performance.now() - t0) / 1000;
    await d.close();
    await new Promise((r) => setTimeout(r, 100));
    results.push({ name: 'syslog TCP end to end (logged)', value: Math.round(n / secs), unit: 'alerts/s', note: `${frames} frames received` });
    await store.close();
  }

  http.close();
  tcp.close();
  rmSync(dir, { recursive: true, force: true });
  return results;
}

if (process.argv[1]?.endsWith('deliver.bench.ts')) {
  for (const r of await run()) process.stdout.write(`${r.name.padEnd(58)} ${String(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}\n`);
}
