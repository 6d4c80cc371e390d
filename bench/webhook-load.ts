/**
 * Load generator for bench/webhook.bench.ts, run as a SECOND process so the sender does not share the
 * receiver's event loop: N concurrent keep-alive connections (undici Pool) POST signed `workplace_security`
 * deliveries for a fixed duration and report throughput and acknowledgement latency as one JSON line.
 *
 *   node --import tsx bench/webhook-load.ts <url> <secretEnvName> <connections> <durationMs> <warmupMs>
 *
 * With BENCH_RATE=<deliveries/s> the load is open-loop instead: deliveries are due at a fixed rate whatever the
 * receiver does, at most <connections> in flight (the rest wait in the pool's queue), and each latency is taken
 * from the moment the delivery was DUE, not sent, so a stalled receiver is charged for the deliveries it held
 * back (no coordinated omission).
 */
import { createHmac } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';

const [url, secretEnv, connArg, durationArg, warmupArg] = process.argv.slice(2);
const secret = process.env[secretEnv] ?? '';
const connections = Number(connArg);
const durationMs = Number(durationArg);
const warmupMs = Number(warmupArg);
const target = new URL(url);
const pool = new Pool(target.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });

// Each generator process sends distinct deliveries (its own sequence range), so parallel generators never collide.
let seq = Math.floor(Number(process.env.BENCH_GENERATOR_SEED ?? 0) * 1e9);
let generated = 0;
function delivery(): { body: string; sig: string } {
  const n = seq++;
  generated++;
  const body = JSON.stringify({
    object: 'workplace_security',
    entry: [
      {
        id: '504942447160640',
        time: 1_700_000_000 + Math.floor(n / 10),
        changes: [
          {
            field: 'sessions',
            value: {
              event: n % 7 === 0 ? 'USER_LOGOUT' : 'USER_LOGIN',
              timestamp: new Date(1_700_000_000_000 + n * 100).toISOString().replace(/\.\d{3}Z$/, '+0000'),
              actor_id: String(100_064_094_000_000 + (n % 5000)),
              actor_email: `user${n % 5000}@example.com`,
              target_id: String(100_064_094_000_000 + (n % 5000)),
              target_email: `user${n % 5000}@example.com`,
              actor_community_id: '504942443827307',
              actor_scim_company_id: '504942447160640',
              ip: `203.0.${(n >> 8) & 255}.${n & 255}`,
              ip_country: 'GB',
              browser_name: 'Chrome',
              browser_os: 'Windows 10',
              useragent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0 Safari/537.36',
            },
          },
        ],
      },
    ],
  });
  return { body, sig: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
}

// Bodies are built and signed BEFORE the clock starts, so the sender measures the receiver, not itself.
const PREBUILT = Number(process.env.BENCH_PREBUILT ?? 60_000);
const prebuilt = Array.from({ length: PREBUILT }, delivery);
let nextPrebuilt = 0;
const nextDelivery = () => (nextPrebuilt < prebuilt.length ? prebuilt[nextPrebuilt++] : delivery());

const latencies: number[] = [];
/** BENCH_EMIT_SERIES=1 (development aid): [due ms since start, latency ms] pairs, in acknowledgement order. */
const series: number[] | null = process.env.BENCH_EMIT_SERIES === '1' ? [] : null;
let ok = 0;
let failed = 0;
let measuredOk = 0;
/** When the last measured delivery was acknowledged (open loop: a backlog is still being answered after stopAt). */
let lastMeasuredAck = 0;
const start = performance.now();
const measureFrom = start + warmupMs;
const stopAt = measureFrom + durationMs;

/** One delivery; `dueAt` is when it was due (open loop) or sent (closed loop). */
async function send(dueAt: number): Promise<void> {
  const { body, sig } = nextDelivery();
  try {
    const res = await pool.request({ path: target.pathname, method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': sig } });
    await res.body.dump();
    if (res.statusCode === 200) {
      ok++;
      if (dueAt >= measureFrom) {
        measuredOk++;
        lastMeasuredAck = performance.now();
        latencies.push(lastMeasuredAck - dueAt);
        if (series) series.push(Math.round(dueAt - start), Math.round((lastMeasuredAck - dueAt) * 10) / 10);
      }
    } else failed++;
  } catch {
    failed++;
  }
}

async function paced(ratePerSec: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let due = 0;
  for (;;) {
    const now = performance.now();
    if (now >= stopAt) break;
    // Every delivery due by now goes out (timers fire late under load; the schedule does not drift).
    for (let dueAt = start + (due * 1000) / ratePerSec; dueAt <= now; dueAt = start + (due * 1000) / ratePerSec) {
      const p = send(dueAt);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      due++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  await Promise.all(inFlight);
}

/** Closed loop: one connection's sender, the next delivery as soon as the last is answered. */
async function worker(): Promise<void> {
  while (performance.now() < stopAt) await send(performance.now());
}

const rate = Number(process.env.BENCH_RATE ?? 0);
if (rate > 0) await paced(rate);
else await Promise.all(Array.from({ length: connections }, worker));
await pool.close();
latencies.sort((a, b) => a - b);
const emitLatencies = process.env.BENCH_EMIT_LATENCIES === '1';
const q = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : NaN);
// Closed loop: acknowledgements within the window. Open loop: the deliveries due in the window over the time it
// took to acknowledge them all (a receiver that falls behind shows a rate under the one asked for).
const spanMs = rate > 0 ? Math.max(durationMs, lastMeasuredAck - measureFrom) : durationMs;
process.stdout.write(
  JSON.stringify({ sent: generated, ok, failed, measuredOk, durationMs, perSec: (measuredOk / spanMs) * 1000, p50: q(0.5), p99: q(0.99), max: latencies.at(-1) ?? NaN, ...(emitLatencies ? { latencies } : {}), ...(series ? { series } : {}) }) + '\n',
);
