/**
 * @module simulator/webhooks
 * The webhook sender: the `hub.mode=subscribe` verification handshake, then `workplace_security` deliveries
 * signed with both X-Hub-Signature (sha1) and X-Hub-Signature-256 over the raw body, retried with exponential
 * backoff on non-2xx, timeout or connection error. Reports, per event, whether the receiver acknowledged it,
 * so tests can compare "acked" with "sent". Also streams generated traffic at N events/s.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { FaultController } from './faults.ts';
import { FACTS } from './facts.ts';
import { Rng } from './rng.ts';
import { Tenant, dedupeKey, type RecordedEvent, type SecurityEventValue } from './tenant.ts';

export interface SubscribeOptions {
  /** Fixed `changes[].field` for every event; default: per event from facts.json. */
  field?: string;
  /** Events per POST body (default 1). */
  batchSize?: number;
  /** How a batch is laid out: one entry per event (default, as Meta batches entries) or one entry with many changes. */
  batchLayout?: 'entries' | 'changes';
  /** Per-attempt timeout (default 10 s). */
  timeoutMs?: number;
  /** Attempts per body including the first (default 5). */
  maxAttempts?: number;
  /** First retry delay; doubles each time with jitter, capped by backoffMaxMs (defaults 200 ms / 30 s). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Bodies in flight at once (default 4). */
  concurrency?: number;
  /** Send every event the tenant records (API actions, scenarios, live traffic) in the background. Default false. */
  autoDeliver?: boolean;
}

export interface Subscription extends Required<Omit<SubscribeOptions, 'field'>> {
  callbackUrl: string;
  verifyToken: string;
  field: string | undefined;
}

export interface EventDeliveryResult {
  value: SecurityEventValue;
  key: string;
  acked: boolean;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
}

export interface DeliveryReport {
  /** Distinct events handed to deliver(). */
  sent: number;
  acked: SecurityEventValue[];
  unacked: SecurityEventValue[];
  ackedKeys: Set<string>;
  results: EventDeliveryResult[];
  bodies: number;
  attempts: number;
  /** Extra deliveries of an already acknowledged body (fault `duplicate`). */
  duplicates: number;
}

export interface StreamOptions {
  /** Events per second (real time). */
  ratePerSec: number;
  /** Stop after this many events (default: until stop()). */
  total?: number;
  /** Called for each event once its delivery is settled. */
  onResult?: (r: EventDeliveryResult) => void;
  /** Source of events; default: the generator's live traffic. */
  source?: (n: number) => RecordedEvent[];
  signal?: AbortSignal;
}

export interface StreamStats {
  generated: number;
  acked: number;
  failed: number;
  queued: number;
  inFlight: number;
  /** dropped from the queue because it exceeded maxQueue while the receiver was down */
  dropped: number;
}

export interface StreamHandle {
  stats(): StreamStats;
  /** Stops generating; waits for queued deliveries to settle (or not, with drain=false). */
  stop(opts?: { drain?: boolean }): Promise<StreamStats>;
  done: Promise<StreamStats>;
}

export const sign = (algo: 'sha1' | 'sha256', secret: string, body: Buffer | string): string => `${algo}=${createHmac(algo, secret).update(body).digest('hex')}`;

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface PostResult {
  status: number | null;
  error: string | null;
}

export class WebhookSender {
  readonly #tenant: Tenant;
  readonly #appSecret: () => string;
  readonly #faults: FaultController;
  readonly #rng: Rng;
  readonly #agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
  #sub: Subscription | null = null;
  #offAuto: (() => void) | null = null;
  #autoQueue: SecurityEventValue[] = [];
  #autoRunning: Promise<void> | null = null;
  readonly #closed = new AbortController();
  /** Every settled result of background (auto) delivery, newest last (bounded). */
  readonly autoResults: EventDeliveryResult[] = [];

  constructor(tenant: Tenant, appSecret: () => string, faults: FaultController, seed: number) {
    this.#tenant = tenant;
    this.#appSecret = appSecret;
    this.#faults = faults;
    this.#rng = new Rng(seed ^ 0x3eb);
  }

  get subscription(): Subscription | null {
    return this.#sub;
  }

  /**
   * Verifies the callback the way Workplace does: GET with hub.mode=subscribe, hub.challenge and hub.verify_token;
   * the receiver must answer 200 with the challenge as body. Throws when it does not.
   */
  async subscribe(callbackUrl: string, verifyToken: string, opts: SubscribeOptions = {}): Promise<Subscription> {
    const challenge = randomBytes(8).readBigUInt64BE().toString().slice(0, 10);
    const u = new URL(callbackUrl);
    u.searchParams.set('hub.mode', 'subscribe');
    u.searchParams.set('hub.challenge', challenge);
    u.searchParams.set('hub.verify_token', verifyToken);
    const res = await this.#request('GET', u, null, {}, opts.timeoutMs ?? 10_000);
    if (res.status !== 200 || res.body.trim() !== challenge) {
      throw new Error(`webhook verification failed: ${callbackUrl} answered ${res.status ?? res.error} ${JSON.stringify(res.body.slice(0, 100))} (expected 200 "${challenge}")`);
    }
    this.#sub = {
      callbackUrl,
      verifyToken,
      field: opts.field,
      batchSize: Math.max(1, opts.batchSize ?? 1),
      batchLayout: opts.batchLayout ?? 'entries',
      timeoutMs: opts.timeoutMs ?? 10_000,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 5),
      backoffBaseMs: opts.backoffBaseMs ?? 200,
      backoffMaxMs: opts.backoffMaxMs ?? 30_000,
      concurrency: Math.max(1, opts.concurrency ?? 4),
      autoDeliver: opts.autoDeliver ?? false,
    };
    this.#offAuto?.();
    this.#offAuto = null;
    if (this.#sub.autoDeliver) {
      this.#offAuto = this.#tenant.onEvent((e) => {
        this.#autoQueue.push(e.value);
        this.#kickAuto();
      });
    }
    return this.#sub;
  }

  unsubscribe(): void {
    this.#offAuto?.();
    this.#offAuto = null;
    this.#sub = null;
  }

  /** Builds the envelope for a batch of values. */
  body(values: SecurityEventValue[], sub: Pick<Subscription, 'field' | 'batchLayout'> = this.#must()): Buffer {
    const companyId = this.#tenant.org.companyId;
    const time = this.#tenant.clock.nowSecs();
    const change = (v: SecurityEventValue) => ({ field: Tenant.fieldFor(v.event, sub.field), value: v });
    const entry =
      sub.batchLayout === 'changes'
        ? [{ id: companyId, time, changes: values.map(change) }]
        : values.map((v) => ({ id: companyId, time, changes: [change(v)] }));
    return Buffer.from(JSON.stringify({ object: FACTS.webhook.object.value, entry }));
  }

  /** Signature headers for a raw body (both, as the simulator always sends both). */
  headers(body: Buffer): Record<string, string> {
    const secret = this.#appSecret();
    return {
      'content-type': 'application/json',
      [FACTS.webhook.signatureHeaders.sha1]: sign('sha1', secret, body),
      [FACTS.webhook.signatureHeaders.sha256]: sign('sha256', secret, body),
    };
  }

  /** Delivers values to the subscribed callback; resolves when every body is acknowledged or out of attempts. */
  async deliver(values: SecurityEventValue[], overrides: Partial<Subscription> = {}): Promise<DeliveryReport> {
    const sub = { ...this.#must(), ...overrides } as Subscription;
    const batches: SecurityEventValue[][] = [];
    for (let i = 0; i < values.length; i += sub.batchSize) batches.push(values.slice(i, i + sub.batchSize));
    const report: DeliveryReport = { sent: values.length, acked: [], unacked: [], ackedKeys: new Set(), results: [], bodies: 0, attempts: 0, duplicates: 0 };
    const order = batches.map((_, i) => i);
    if (this.#faults.fires('webhook', 'out_of_order')) this.#rng.shuffle(order);
    const resultsByBatch: EventDeliveryResult[][] = new Array(batches.length);
    let next = 0;
    const worker = async () => {
      while (next < order.length) {
        const bi = order[next++];
        resultsByBatch[bi] = await this.#sendBatch(batches[bi], sub, report);
      }
    };
    await Promise.all(Array.from({ length: Math.min(sub.concurrency, batches.length) }, worker));
    for (const rs of resultsByBatch) for (const r of rs) {
      report.results.push(r);
      if (r.acked) {
        report.acked.push(r.value);
        report.ackedKeys.add(r.key);
      } else report.unacked.push(r.value);
    }
    return report;
  }

  /** Sends one body with retries; returns a result per event in it. */
  async #sendBatch(batch: SecurityEventValue[], sub: Subscription, report: DeliveryReport, signal = this.#closed.signal): Promise<EventDeliveryResult[]> {
    const body = this.body(batch, sub);
    const headers = this.headers(body);
    const url = new URL(sub.callbackUrl);
    report.bodies++;
    let attempts = 0;
    let last: PostResult = { status: null, error: null };
    let acked = false;
    const malformed = this.#faults.fires('webhook', 'malformed');
    if (malformed) {
      const bad = body.subarray(0, Math.max(1, Math.floor(body.length / 2)));
      await this.#request('POST', url, bad, this.headers(bad), sub.timeoutMs);
    }
    while (attempts < sub.maxAttempts && !signal.aborted) {
      if (attempts > 0) {
        const backoff = Math.min(sub.backoffMaxMs, sub.backoffBaseMs * 2 ** (attempts - 1));
        await sleep(backoff * (0.5 + this.#rng.next() / 2), signal);
        if (signal.aborted) break;
      }
      attempts++;
      report.attempts++;
      const slow = this.#faults.fires('webhook', 'slow');
      if (slow) await sleep(slow.delayMs ?? 2000, signal);
      const drop = this.#faults.fires('webhook', 'drop');
      last = drop ? await this.#abortMidBody(url, body, headers) : await this.#request('POST', url, body, headers, sub.timeoutMs);
      if (last.status !== null && last.status >= 200 && last.status < 300) {
        acked = true;
        break;
      }
    }
    if (acked && this.#faults.fires('webhook', 'duplicate')) {
      report.duplicates++;
      await this.#request('POST', url, body, headers, sub.timeoutMs);
    }
    const companyId = this.#tenant.org.companyId;
    return batch.map((value) => ({ value, key: dedupeKey(companyId, value), acked, attempts, lastStatus: last.status, lastError: last.error }));
  }

  #request(method: string, url: URL, body: Buffer | null, headers: Record<string, string>, timeoutMs: number): Promise<PostResult & { body: string }> {
    return new Promise((resolve) => {
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(
        url,
        { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, agent: url.protocol === 'https:' ? this.#agents.https : this.#agents.http, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.length < 64 && chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? null, error: null, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => resolve({ status: null, error: e.message, body: '' }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
      req.on('error', (e) => resolve({ status: null, error: e.message, body: '' }));
      req.end(body ?? undefined);
    });
  }

  /** Fault `drop`: announce the full length, write half the body, then cut the connection. */
  #abortMidBody(url: URL, body: Buffer, headers: Record<string, string>): Promise<PostResult> {
    return new Promise((resolve) => {
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(url, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, agent: false });
      req.on('error', () => resolve({ status: null, error: 'connection dropped (fault)' }));
      req.on('response', (res) => {
        res.resume();
        resolve({ status: null, error: 'connection dropped (fault)' });
      });
      req.write(body.subarray(0, Math.floor(body.length / 2)), () => {
        req.destroy();
        resolve({ status: null, error: 'connection dropped (fault)' });
      });
    });
  }

  #kickAuto(): void {
    if (this.#autoRunning || !this.#sub) return;
    this.#autoRunning = (async () => {
      while (this.#autoQueue.length && this.#sub && !this.#closed.signal.aborted) {
        const values = this.#autoQueue.splice(0, this.#sub.batchSize * this.#sub.concurrency * 4);
        const r = await this.deliver(values);
        this.autoResults.push(...r.results);
        if (this.autoResults.length > 100_000) this.autoResults.splice(0, this.autoResults.length - 100_000);
      }
    })().finally(() => {
      this.#autoRunning = null;
      if (this.#autoQueue.length && this.#sub) this.#kickAuto();
    });
  }

  /** Resolves once background (auto) deliveries queued so far have settled. */
  async flush(): Promise<void> {
    while (this.#autoRunning) await this.#autoRunning;
  }

  /**
   * Streams traffic at `ratePerSec` to the subscribed callback: each tick takes events from the source (default:
   * generator live traffic, which also lands in the audit log) and queues them; workers deliver with retries.
   */
  stream(opts: StreamOptions & { source: (n: number) => RecordedEvent[] }, maxQueue = 200_000): StreamHandle {
    const sub = this.#must();
    const stop = new AbortController();
    const stats: StreamStats = { generated: 0, acked: 0, failed: 0, queued: 0, inFlight: 0, dropped: 0 };
    const queue: SecurityEventValue[] = [];
    let producing = true;
    const waiters: (() => void)[] = [];
    const notify = () => {
      for (const w of waiters.splice(0)) w();
    };
    const report: DeliveryReport = { sent: 0, acked: [], unacked: [], ackedKeys: new Set(), results: [], bodies: 0, attempts: 0, duplicates: 0 };
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const producer = (async () => {
      let carry = 0;
      let last = Date.now();
      while (!stop.signal.aborted && producing) {
        await sleep(50, stop.signal);
        const now = Date.now();
        carry += ((now - last) / 1000) * opts.ratePerSec;
        last = now;
        let n = Math.floor(carry);
        if (opts.total !== undefined) n = Math.min(n, opts.total - stats.generated);
        if (n <= 0) {
          if (opts.total !== undefined && stats.generated >= opts.total) break;
          continue;
        }
        carry -= n;
        const evs = opts.source(n);
        stats.generated += evs.length;
        for (const e of evs) queue.push(e.value);
        if (queue.length > maxQueue) {
          const drop = queue.length - maxQueue;
          queue.splice(0, drop);
          stats.dropped += drop;
        }
        stats.queued = queue.length;
        notify();
      }
      producing = false;
      notify();
    })();
    const worker = async () => {
      for (;;) {
        if (!queue.length) {
          if (!producing || stop.signal.aborted) return;
          await new Promise<void>((r) => waiters.push(r));
          continue;
        }
        // Fault out_of_order: take a batch from a random place in the queue instead of its head.
        const at = queue.length > sub.batchSize && this.#faults.fires('webhook', 'out_of_order') ? this.#rng.int(queue.length - sub.batchSize + 1) : 0;
        const batch = queue.splice(at, sub.batchSize);
        stats.queued = queue.length;
        stats.inFlight += batch.length;
        const results = await this.#sendBatch(batch, sub, report, this.#closed.signal);
        stats.inFlight -= batch.length;
        for (const r of results) {
          if (r.acked) stats.acked++;
          else stats.failed++;
          opts.onResult?.(r);
        }
        notify();
      }
    };
    const workers = Promise.all(Array.from({ length: sub.concurrency }, worker));
    const done = (async () => {
      await producer;
      await workers;
      opts.signal?.removeEventListener('abort', onAbort);
      return { ...stats };
    })();
    return {
      stats: () => ({ ...stats, queued: queue.length }),
      stop: async ({ drain = true } = {}) => {
        producing = false;
        if (!drain) {
          stats.dropped += queue.length;
          queue.length = 0;
        }
        stop.abort();
        notify();
        return done;
      },
      done,
    };
  }

  #must(): Subscription {
    if (!this.#sub) throw new Error('no webhook subscription: call webhooks.subscribe(callbackUrl, verifyToken) first');
    return this.#sub;
  }

  close(): void {
    this.#closed.abort();
    this.unsubscribe();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}
