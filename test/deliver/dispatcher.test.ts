// The dispatcher: routing, retries with backoff, the delivery log, bounded queues, and isolation of a dead destination.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { AlertsConfigSchema, RouteSchema, type AlertsConfig } from '../../src/deliver/config.ts';
import { AlertDispatcher, backoffMs, DELIVERY_DOC_KIND, MemoryDocStore, routeMatches, SHUTDOWN_DURING_ATTEMPT, type DeliveryRecord } from '../../src/deliver/dispatcher.ts';
import type { Destination } from '../../src/deliver/destination.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { Pipeline } from '../../src/core/pipeline.ts';
import type { Alert } from '../../src/schema/alert.ts';
import { captureLogs, makeAlert, sqliteStore, tempDbPath } from './helpers.ts';
import type { SqliteStore } from '../../src/store/sqlite/index.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const SECRET = 'dispatch-secret';
const env = { RAMPART_TEST_HOOK: SECRET };
let rx: Receiver;
beforeEach(async () => {
  rx = await startReceiver(SECRET);
});
afterEach(async () => {
  await rx.close();
});

function alertsConfig(over: Record<string, unknown> = {}): AlertsConfig {
  return AlertsConfigSchema.parse({
    consoleBaseUrl: 'https://rampart.example',
    destinations: [{ name: 'hook', type: 'webhook', url: rx.url, secret: { env: 'RAMPART_TEST_HOOK' }, timeoutMs: 5000 }],
    routes: [{ detections: '*', minSeverity: 'low', destinations: ['hook'] }],
    retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000 },
    ...over,
  });
}

type DocStore = MemoryDocStore | SqliteStore;
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});
/** The real store: SQLite (in memory unless a file path is given). */
async function realStore(path?: string): Promise<SqliteStore> {
  const s = await sqliteStore(path);
  stores.push(s);
  return s;
}

interface Harness {
  d: AlertDispatcher;
  store: DocStore;
  metrics: Metrics;
  logs: ReturnType<typeof captureLogs>;
  sleeps: number[];
}
function harness(config: AlertsConfig, store: DocStore, sleep?: (ms: number) => Promise<void>): Harness {
  const metrics = new Metrics();
  const logs = captureLogs();
  const sleeps: number[] = [];
  const d = new AlertDispatcher({
    config,
    store,
    logger: logs.logger,
    metrics,
    env,
    random: () => 0.5,
    sleep: sleep ?? (async (ms) => void sleeps.push(ms)),
  });
  return { d, store, metrics, logs, sleeps };
}

async function log(store: DocStore, alertId?: string): Promise<DeliveryRecord[]> {
  const docs = await store.listDocs<DeliveryRecord>(DELIVERY_DOC_KIND);
  return docs
    .map((x) => x.body)
    .filter((b) => !alertId || b.alertId === alertId)
    .sort((a, b) => a.destination.localeCompare(b.destination) || a.attempt - b.attempt);
}

const alertIds = (r: Receiver) => r.received.map((x) => (JSON.parse(x.body.toString('utf8')) as { alert: Alert }).alert.id);

describe('routing', () => {
  const route = (detections: '*' | string[], minSeverity: Alert['severity'] = 'low') => RouteSchema.parse({ detections, minSeverity, destinations: ['x'] });

  it('matches every detection with *, exact ids, and prefix patterns, at or above the minimum severity', () => {
    const travel = makeAlert({ detection: 'impossible_travel', severity: 'medium' });
    const policy = makeAlert({ detection: 'policy:mass-download', severity: 'high' });
    const info = makeAlert({ detection: 'impossible_travel', severity: 'informational' });
    expect(routeMatches(route('*'), travel)).toBe(true);
    expect(routeMatches(route('*'), info)).toBe(false); // below the default minimum (low)
    expect(routeMatches(route('*', 'informational'), info)).toBe(true);
    expect(routeMatches(route(['impossible_travel']), travel)).toBe(true);
    expect(routeMatches(route(['impossible_travel']), policy)).toBe(false);
    expect(routeMatches(route(['policy:*']), policy)).toBe(true);
    expect(routeMatches(route(['policy:*']), travel)).toBe(false);
    expect(routeMatches(route(['policy:*'], 'high'), policy)).toBe(true);
    expect(routeMatches(route(['*'], 'high'), travel)).toBe(false);
  });

  it('sends an alert to the union of its routes, once per destination, and nowhere when no route matches', async () => {
    const cfg = alertsConfig({
      destinations: [
        { name: 'hook', type: 'webhook', url: rx.url, secret: { env: 'RAMPART_TEST_HOOK' } },
        { name: 'hook2', type: 'webhook', url: rx.url, secret: { env: 'RAMPART_TEST_HOOK' } },
      ],
      routes: [
        { detections: ['policy:*'], minSeverity: 'medium', destinations: ['hook'] },
        { detections: ['policy:exfil'], minSeverity: 'low', destinations: ['hook', 'hook2'] },
      ],
    });
    const { d, store } = harness(cfg, await realStore());
    const exfil = makeAlert({ detection: 'policy:exfil', severity: 'high' });
    const low = makeAlert({ detection: 'policy:other', severity: 'low' });
    const builtin = makeAlert({ detection: 'impossible_travel', severity: 'high' });
    expect(d.destinationsFor(exfil).sort()).toEqual(['hook', 'hook2']);
    expect(d.destinationsFor(low)).toEqual([]);
    expect(d.destinationsFor(builtin)).toEqual([]);
    for (const a of [exfil, low, builtin]) d.onAlert(a);
    await d.drain();
    expect(alertIds(rx).sort()).toEqual([exfil.id, exfil.id]);
    expect((await log(store)).map((r) => `${r.destination}:${r.outcome}`)).toEqual(['hook:sent', 'hook2:sent']);
    await d.close();
  });
});

describe('retries and the delivery log', () => {
  it('retries a destination that fails twice, then succeeds, recording every attempt with backoff and jitter', async () => {
    rx.script = [503, 503];
    const { d, store, sleeps, metrics } = harness(alertsConfig(), await realStore());
    const alert = makeAlert();
    d.onAlert(alert);
    await d.drain();
    expect(rx.received.map((r) => r.status)).toEqual([503, 503, 200]);
    const rows = await log(store, alert.id);
    expect(rows.map((r) => [r.attempt, r.outcome, r.final, r.error?.code ?? null])).toEqual([
      [1, 'failed', false, 'RAMPART_ERR_DELIVER_FAILED'],
      [2, 'failed', false, 'RAMPART_ERR_DELIVER_FAILED'],
      [3, 'sent', true, null],
    ]);
    expect(rows[0]).toMatchObject({ alertId: alert.id, destination: 'hook', destinationType: 'webhook', detection: alert.detection, retryInMs: 75 });
    expect(rows[0].error?.message).toContain('HTTP 503');
    expect(Number.isFinite(Date.parse(rows[0].time))).toBe(true);
    // base 100 ms: step 100 then 200, half fixed + half jitter (random 0.5) = 75, 150
    expect(sleeps).toEqual([75, 150]);
    expect(metrics.get('rampart_delivery_attempts_total', { destination: 'hook', outcome: 'failed' })).toBe(2);
    expect(metrics.get('rampart_delivery_attempts_total', { destination: 'hook', outcome: 'sent' })).toBe(1);
    await d.close();
  });

  it('gives up after maxAttempts and says so in the log', async () => {
    rx.script = [500, 500, 500, 500, 500];
    const { d, store, logs } = harness(alertsConfig({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 10 } }), await realStore());
    const alert = makeAlert();
    d.onAlert(alert);
    await d.drain();
    expect(rx.received).toHaveLength(3);
    const rows = await log(store, alert.id);
    expect(rows.map((r) => [r.outcome, r.final])).toEqual([['failed', false], ['failed', false], ['failed', true]]);
    expect(logs.lines().some((l) => l.level === 50 && String(l.msg).includes('gave up') && l.alertId === alert.id)).toBe(true);
    await d.close();
  });

  it('does not retry a permanent refusal', async () => {
    rx.script = [400];
    const { d, store, sleeps } = harness(alertsConfig(), await realStore());
    const alert = makeAlert();
    d.onAlert(alert);
    await d.drain();
    expect(rx.received).toHaveLength(1);
    expect(sleeps).toEqual([]);
    const [row] = await log(store, alert.id);
    expect(row).toMatchObject({ attempt: 1, outcome: 'failed', final: true, error: { code: 'RAMPART_ERR_DELIVER_REJECTED' } });
    await d.close();
  });

  it('backoff grows exponentially, stays within [step/2, step] and is capped', () => {
    for (const [attempt, step] of [[1, 1000], [2, 2000], [3, 4000], [4, 8000], [10, 30_000]] as const) {
      expect(backoffMs(attempt, 1000, 30_000, () => 0)).toBe(step / 2);
      expect(backoffMs(attempt, 1000, 30_000, () => 0.999999)).toBe(Math.round(step / 2 + 0.999999 * (step / 2)));
    }
  });
});

describe('a failing destination never blocks detection or other destinations', () => {
  it('delivers to a live destination while a dead one is still retrying, and onAlert never waits', async () => {
    const probe = createServer();
    const deadPort = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as AddressInfo).port)));
    await new Promise<void>((r) => probe.close(() => r()));
    const cfg = alertsConfig({
      destinations: [
        { name: 'dead-siem', type: 'syslog', transport: 'tcp', host: '127.0.0.1', port: deadPort, timeoutMs: 2000 },
        { name: 'hook', type: 'webhook', url: rx.url, secret: { env: 'RAMPART_TEST_HOOK' } },
      ],
      routes: [{ detections: '*', destinations: ['dead-siem', 'hook'] }],
      retry: { maxAttempts: 10, baseDelayMs: 600_000, maxDelayMs: 600_000 }, // the dead lane waits 5-10 minutes
    });
    // Real timers: the dead destination's backoff is genuinely long; close() cuts it short.
    const { d, store } = harness(cfg, await realStore(), (ms) => new Promise((r) => setTimeout(r, ms).unref()));
    const alerts = [makeAlert(), makeAlert(), makeAlert()];
    for (const a of alerts) expect(d.onAlert(a)).toBeUndefined(); // synchronous: nothing to await
    await rx.next(3);
    expect(alertIds(rx)).toEqual(alerts.map((a) => a.id));
    // The dead lane is stuck in backoff on the first alert with the other two waiting behind it.
    while ((await log(store)).filter((r) => r.destination === 'dead-siem').length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(d.queueDepth('dead-siem')).toBe(2);
    const dead = (await log(store)).filter((r) => r.destination === 'dead-siem');
    expect(dead).toEqual([expect.objectContaining({ alertId: alerts[0].id, attempt: 1, outcome: 'failed', final: false })]);
    expect(dead[0].error?.message).toMatch(/ECONNREFUSED/);

    await d.close();
    const after = (await log(store)).filter((r) => r.destination === 'dead-siem');
    expect(after.map((r) => [r.alertId, r.outcome, r.final])).toEqual(
      expect.arrayContaining([
        [alerts[0].id, 'failed', true],
        [alerts[1].id, 'dropped', true],
        [alerts[2].id, 'dropped', true],
      ]),
    );
  });

  it('the pipeline publishes (and detection moves on) while the destination has not answered', async () => {
    rx.hold = true;
    const { d } = harness(alertsConfig(), await realStore());
    const metrics = new Metrics();
    const pipeline = new Pipeline({
      store: null,
      enricher: { enrich: () => {} } as never,
      engine: { process: () => [] },
      logger: captureLogs().logger,
      metrics,
      sinks: [d],
    });
    const alert = makeAlert();
    await pipeline.publish(alert);
    expect(rx.received).toHaveLength(0); // the receiver is still holding the request
    expect(metrics.get('rampart_alerts_total', { detection: alert.detection })).toBe(1);
    rx.release();
    await d.drain();
    expect(alertIds(rx)).toEqual([alert.id]);
    await d.close();
  });

  it('bounds each queue: overflow is dropped, counted, logged and recorded, never silent', async () => {
    rx.hold = true;
    const { d, store, metrics, logs } = harness(alertsConfig({ queueSize: 2 }), await realStore());
    const alerts = [makeAlert(), makeAlert(), makeAlert(), makeAlert()];
    for (const a of alerts) d.onAlert(a); // #1 in flight, #2 and #3 queued, #4 over the limit
    expect(d.queueDepth('hook')).toBe(2);
    expect(metrics.get('rampart_delivery_dropped_total', { destination: 'hook' })).toBe(1);
    rx.release();
    await d.drain();
    expect(alertIds(rx)).toEqual(alerts.slice(0, 3).map((a) => a.id));
    const dropped = (await log(store)).filter((r) => r.outcome === 'dropped');
    expect(dropped).toEqual([expect.objectContaining({ alertId: alerts[3].id, attempt: 0, final: true, error: expect.objectContaining({ code: 'RAMPART_ERR_DELIVER_QUEUE_FULL' }) })]);
    expect(logs.lines().some((l) => l.code === 'RAMPART_ERR_DELIVER_QUEUE_FULL' && l.alertId === alerts[3].id)).toBe(true);
    expect(metrics.get('rampart_errors_total', { component: 'deliver', stage: 'deliver', error_type: 'queue_full' })).toBe(1);
    await d.close();
  });
});

describe('shutdown', () => {
  it('close({graceMs}) lets queued alerts go out first; close() records what is left as dropped', async () => {
    let h = harness(alertsConfig(), await realStore());
    const graced = [makeAlert(), makeAlert(), makeAlert()];
    for (const a of graced) h.d.onAlert(a);
    await h.d.close({ graceMs: 60_000 });
    expect(alertIds(rx)).toEqual(graced.map((a) => a.id));
    expect((await log(h.store)).every((r) => r.outcome === 'sent')).toBe(true);

    rx.received.length = 0;
    rx.hold = true;
    h = harness(alertsConfig(), await realStore());
    const cut = [makeAlert(), makeAlert()];
    for (const a of cut) h.d.onAlert(a); // #1 in flight (held), #2 queued
    await until(() => rx.held() === 1, 10_000, '#1 at the receiver'); // the receiver has not answered
    const closing = h.d.close(); // no grace: the attempt in flight is not waited for
    await closing;
    rx.release();
    const rows = await log(h.store);
    expect(rows.find((r) => r.alertId === cut[0].id)).toMatchObject({ outcome: 'failed', final: true, detail: SHUTDOWN_DURING_ATTEMPT });
    expect(rows.find((r) => r.alertId === cut[1].id)).toMatchObject({ outcome: 'dropped', detail: 'shutdown before delivery' });
    h.d.onAlert(makeAlert()); // after close: ignored, no new work
    expect(h.d.queueDepth('hook')).toBe(0);
  });
});

/** Rejects when `p` is still pending after `ms`: a stall fails the test with a message instead of hanging it. */
const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${ms} ms`)), ms).unref())]);
async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('shutdown and stalled destinations', () => {
  it('a syslog collector that accepts but never reads: attempts time out and are retried; close({graceMs}) returns and every alert is accounted for', async () => {
    const sockets = new Set<Socket>();
    const deaf = createServer((sock) => {
      sock.pause(); // accept, never read
      sock.on('error', () => {});
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((r) => deaf.listen(0, '127.0.0.1', () => r()));
    try {
      const timeoutMs = 300;
      const config = alertsConfig({
        destinations: [{ name: 'siem', type: 'syslog', transport: 'tcp', host: '127.0.0.1', port: (deaf.address() as AddressInfo).port, timeoutMs, maxMessageBytes: 65_000 }],
        routes: [{ detections: '*', minSeverity: 'low', destinations: ['siem'] }],
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 100 },
        queueSize: 5_000,
      });
      const h = harness(config, await realStore());
      // ~60 KB frames: the loopback socket buffers (a few MB) fill within a few hundred alerts.
      const alerts = Array.from({ length: 1_000 }, () => makeAlert({ user: `${'u'.repeat(60_000)}@example.com` }));
      for (const a of alerts) h.d.onAlert(a);

      // The stuck write times out, is recorded as a failure, and is retried (on a new connection).
      await until(async () => (await log(h.store)).some((r) => r.attempt === 2), 20_000, 'a timed-out attempt retried');
      const rows = await log(h.store);
      expect(rows.find((r) => r.attempt === 1 && r.outcome === 'failed')).toMatchObject({ final: false, error: { code: 'RAMPART_ERR_DELIVER_TIMEOUT' } });
      expect(h.metrics.get('rampart_delivery_attempts_total', { destination: 'siem', outcome: 'failed' })).toBeGreaterThan(0);
      expect(h.metrics.get('rampart_errors_total', { component: 'deliver', stage: 'deliver', error_type: 'timeout' })).toBeGreaterThan(0);

      // Shutdown returns although the collector still reads nothing.
      await within(h.d.close({ graceMs: timeoutMs }), 30 * timeoutMs, 'close({graceMs})');
      const finals = new Map<string, DeliveryRecord>();
      for (const r of await log(h.store)) if (r.final) finals.set(r.alertId, r);
      expect(alerts.filter((a) => !finals.has(a.id))).toEqual([]); // nothing lost silently: each alert has a final row
      const dropped = [...finals.values()].filter((r) => r.outcome === 'dropped');
      expect(dropped.every((r) => r.detail === 'shutdown before delivery')).toBe(true);
      expect(h.metrics.get('rampart_delivery_dropped_total', { destination: 'siem' })).toBe(dropped.length);
      expect(h.d.queueDepth('siem')).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => deaf.close(() => r()));
    }
  });

  it('close({graceMs}) returns within the grace period whatever a destination does: the attempt in flight is recorded as failed, the queue as dropped', async () => {
    let signalled = false;
    const stuck: Destination = {
      name: 'hook',
      type: 'webhook',
      // Never settles, even when told to stop; close() never settles either.
      send: (_alert, signal) => {
        signal?.addEventListener('abort', () => (signalled = true));
        return new Promise(() => {});
      },
      close: () => new Promise(() => {}),
    };
    const store = await realStore();
    const logs = captureLogs();
    const metrics = new Metrics();
    const d = new AlertDispatcher({ config: alertsConfig(), store, logger: logs.logger, metrics, env, destinations: [stuck] });
    const [first, ...rest] = [makeAlert(), makeAlert(), makeAlert()];
    for (const a of [first, ...rest]) d.onAlert(a);
    await within(d.close({ graceMs: 200 }), 5_000, 'close({graceMs: 200})');
    expect(signalled).toBe(true);
    const rows = await log(store);
    expect(rows.find((r) => r.alertId === first.id)).toMatchObject({ outcome: 'failed', final: true, attempt: 1, detail: SHUTDOWN_DURING_ATTEMPT });
    for (const a of rest) expect(rows.find((r) => r.alertId === a.id)).toMatchObject({ outcome: 'dropped', final: true, detail: 'shutdown before delivery' });
    expect(metrics.get('rampart_delivery_dropped_total', { destination: 'hook' })).toBe(2);
    expect(logs.lines().some((l) => String(l.msg).includes('destination close did not finish'))).toBe(true);
  });
});

describe('updates of an alert (dedup repeats)', () => {
  it('delivers an alert once per destination, even after a restart; a newer version waiting in the queue replaces the older', async () => {
    const dbPath = tempDbPath();
    let store = await sqliteStore(dbPath);
    rx.hold = true;
    let h = harness(alertsConfig(), store);
    const first = makeAlert();
    const other = makeAlert();
    h.d.onAlert(other); // in flight, held
    h.d.onAlert(first);
    h.d.onAlert({ ...first, count: 2, updatedAt: '2026-11-27T08:05:00.000Z' }); // replaces the waiting version
    expect(h.d.queueDepth('hook')).toBe(1);
    rx.release();
    await h.d.drain();
    const bodies = rx.received.map((x) => JSON.parse(x.body.toString('utf8')).alert as Alert);
    expect(bodies.map((a) => [a.id, a.count])).toEqual([[other.id, 1], [first.id, 2]]);

    h.d.onAlert({ ...first, count: 3, updatedAt: '2026-11-27T08:10:00.000Z' });
    await h.d.drain();
    expect(rx.received).toHaveLength(2);
    await h.d.close();
    await store.close();

    store = await realStore(dbPath); // restart: the SQLite file reopened, a new dispatcher
    h = harness(alertsConfig(), store);
    h.d.onAlert({ ...first, count: 4, updatedAt: '2026-11-27T08:15:00.000Z' });
    await h.d.drain();
    expect(rx.received).toHaveLength(2);
    await h.d.close();
  });

  it('with deliverUpdates, every new version is delivered', async () => {
    const { d } = harness(alertsConfig({ deliverUpdates: true }), await realStore());
    const a = makeAlert();
    d.onAlert(a);
    await d.drain();
    d.onAlert({ ...a, count: 2, updatedAt: '2026-11-27T08:05:00.000Z' });
    await d.drain();
    expect(alertIds(rx)).toEqual([a.id, a.id]);
    await d.close();
  });
});

describe('the alerts config section', () => {
  it('parses from the config file with defaults', () => {
    const cfg = parseConfig(`
alerts:
  consoleBaseUrl: https://rampart.example.com
  destinations:
    - { name: soc-mail, type: email, to: [soc@example.com], from: rampart@example.com, smtp: { host: smtp.example.com, user: rampart, password: { env: SMTP_PASSWORD } } }
    - { name: siem, type: syslog, transport: tls, host: siem.example.com }
    - { name: soar, type: webhook, url: https://soar.example.com/hook, secret: { file: /run/secrets/hook } }
  routes:
    - { detections: '*', minSeverity: high, destinations: [soc-mail] }
    - { detections: [impossible_travel, 'policy:*'], destinations: [siem, soar] }
`);
    expect(cfg.alerts.destinations.map((x) => x.type)).toEqual(['email', 'syslog', 'webhook']);
    expect(cfg.alerts.destinations[0]).toMatchObject({ dailyLimitPerAddress: 500, smtp: { port: 587, secure: false, requireTls: true } });
    expect(cfg.alerts.destinations[1]).toMatchObject({ facility: 'authpriv', tls: { rejectUnauthorized: true } });
    expect(cfg.alerts.retry).toEqual({ maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 300_000 });
    expect(cfg.alerts.routes[1].minSeverity).toBe('low');
    expect(parseConfig('{}').alerts).toMatchObject({ destinations: [], routes: [], queueSize: 1000 });
  });

  it('rejects routes to unknown destinations, duplicate names and literal secrets, with file positions', () => {
    expect(() => parseConfig(`
alerts:
  destinations:
    - { name: soar, type: webhook, url: https://x.example/h, secret: { env: HOOK } }
  routes:
    - { detections: '*', destinations: [nowhere] }
`)).toThrow(/alerts\.routes\.0\.destinations\.0: unknown destination nowhere/);
    expect(() => parseConfig(`
alerts:
  destinations:
    - { name: a, type: webhook, url: https://x.example/h, secret: { env: HOOK } }
    - { name: a, type: webhook, url: https://x.example/h, secret: { env: HOOK } }
`)).toThrow(/duplicate destination name a/);
    expect(() => parseConfig(`
alerts:
  destinations:
    - { name: soar, type: webhook, url: https://x.example/h, secret: hunter2 }
`)).toThrow(/RAMPART_ERR_CONFIG_INVALID|configuration is invalid/);
    expect(() => parseConfig(`
alerts:
  destinations:
    - { name: m, type: email, to: [a@example.com], from: r@example.com, smtp: { host: h }, dailyLimitPerAddress: 1000 }
`)).toThrow(/dailyLimitPerAddress/);
  });
});
