/**
 * @module deliver/dispatcher
 * The alert sink that routes each alert to its destinations. `onAlert` only enqueues, so a slow or dead
 * destination can never hold up detection; each destination has its own bounded queue and worker, so it
 * cannot hold up the others either. Every attempt is written to the delivery log (Store docs, kind
 * `delivery`); retries back off exponentially with jitter; overflow is counted, logged and recorded.
 */
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { AlertSink } from '../core/pipeline.ts';
import { RampartError, isRampartError } from '../core/errors.ts';
import { SEVERITY_RANK, type Alert } from '../schema/alert.ts';
import type { AlertsConfig, DestinationConfig, RouteConfig } from './config.ts';
import { errorText, isPermanent, systemClock, type Clock, type DeliveryResult, type Destination, type DocStore } from './destination.ts';
import { EmailDestination, policyRecipients } from './email.ts';
import { SyslogDestination } from './syslog.ts';
import { WebhookDestination } from './webhook.ts';

export const DELIVERY_DOC_KIND = 'delivery';
/** Marks that an alert reached a destination, so later updates of the same alert are not re-sent. */
export const DELIVERED_DOC_KIND = 'delivery_done';
/** The lane that emails a policy's own recipients (`details.emailTo`), through `alerts.policyRecipientsVia`. */
export const POLICY_RECIPIENTS = 'policy-recipients';

export type DeliveryOutcome = 'sent' | 'skipped' | 'failed' | 'dropped';

/** One row of the delivery log. */
export interface DeliveryRecord {
  alertId: string;
  detection: string;
  destination: string;
  destinationType: string;
  attempt: number;
  outcome: DeliveryOutcome;
  /** true when no further attempt will follow (sent, skipped, dropped, permanent failure, attempts used up). */
  final: boolean;
  error: { code: string; message: string } | null;
  detail: string | null;
  skippedRecipients?: string[];
  /** Delay before the next attempt, when one follows. */
  retryInMs?: number;
  time: string;
}

export interface DestinationDeps {
  store: DocStore;
  consoleBaseUrl: string;
  clock: Clock;
  env: NodeJS.ProcessEnv;
}

/** The one place destination types are registered. */
export const DESTINATION_TYPES: { [T in DestinationConfig['type']]: (cfg: Extract<DestinationConfig, { type: T }>, deps: DestinationDeps) => Destination } = {
  email: (config, d) => new EmailDestination({ config, store: d.store, consoleBaseUrl: d.consoleBaseUrl, clock: d.clock, env: d.env }),
  webhook: (config, d) => new WebhookDestination({ config, consoleBaseUrl: d.consoleBaseUrl, clock: d.clock, env: d.env }),
  syslog: (config, d) => new SyslogDestination({ config, consoleBaseUrl: d.consoleBaseUrl, clock: d.clock }),
};

export function createDestination(cfg: DestinationConfig, deps: DestinationDeps): Destination {
  const make = DESTINATION_TYPES[cfg.type] as (c: DestinationConfig, d: DestinationDeps) => Destination;
  return make(cfg, deps);
}

/** Process-local document store, used when Rampart runs without a store (e.g. `rampart scan` without --db). */
export class MemoryDocStore implements DocStore {
  readonly #docs = new Map<string, { kind: string; id: string; body: unknown; updatedAt: string }>();
  async putDoc(doc: { kind: string; id: string; body: unknown; updatedAt: string }): Promise<void> {
    this.#docs.set(`${doc.kind}\u0000${doc.id}`, JSON.parse(JSON.stringify(doc)));
  }
  async getDoc<T>(kind: string, id: string) {
    const d = this.#docs.get(`${kind}\u0000${id}`);
    return d ? (JSON.parse(JSON.stringify(d)) as { kind: string; id: string; body: T; updatedAt: string }) : null;
  }
  async listDocs<T>(kind: string) {
    return [...this.#docs.values()].filter((d) => d.kind === kind).map((d) => JSON.parse(JSON.stringify(d)) as { kind: string; id: string; body: T; updatedAt: string });
  }
}

/** Does a route take this alert? */
export function routeMatches(route: RouteConfig, alert: Alert): boolean {
  if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[route.minSeverity]) return false;
  if (route.detections === '*') return true;
  return route.detections.some((p) => (p.endsWith('*') ? alert.detection.startsWith(p.slice(0, -1)) : p === alert.detection));
}

/** Exponential backoff with equal jitter: half the step fixed, half random, capped. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export interface DispatcherOptions {
  config: AlertsConfig;
  /** Delivery log and email quota; null keeps them in process memory only. */
  store: DocStore | null;
  logger: Logger;
  metrics: Metrics;
  /** Prebuilt destinations (tests, embedding); default: built from config.destinations. */
  destinations?: Destination[];
  clock?: Clock;
  /** Waits between attempts; injectable so tests need not wait for real backoff. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  env?: NodeJS.ProcessEnv;
}

interface Lane {
  dest: Destination;
  queue: Alert[];
  /** Ids in `queue`, so the check for a waiting older version stays O(1) with large queues. */
  queued: Set<string>;
  /** Resolves when the worker goes idle; null while idle. */
  running: Promise<void> | null;
  /** Recently delivered alert ids (fast path; the durable check is the delivery_done doc). */
  delivered: Set<string>;
}

const DELIVERED_MEMORY = 10_000;
/** At shutdown, how long each destination's close() (ending its connections) may take before it is left behind. */
const DEST_CLOSE_MS = 1_000;

/** Detail of the delivery-log row of an attempt abandoned when the grace period ran out. */
export const SHUTDOWN_DURING_ATTEMPT = 'shutdown during the attempt: the destination may or may not have received it';

export class AlertDispatcher implements AlertSink {
  readonly name = 'deliver';
  readonly #o: DispatcherOptions;
  readonly #store: DocStore;
  readonly #lanes = new Map<string, Lane>();
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #pendingWrites = new Set<Promise<void>>();
  readonly #warnedNoEmail = new Set<string>();
  #closing = false;
  #wakeClosing: () => void = () => {};
  readonly #closed = new Promise<void>((r) => (this.#wakeClosing = r));
  /** Aborted when the grace period is over: attempts still in flight are abandoned. */
  readonly #abandon = new AbortController();

  constructor(o: DispatcherOptions) {
    this.#o = o;
    this.#store = o.store ?? new MemoryDocStore();
    this.#clock = o.clock ?? systemClock;
    this.#random = o.random ?? Math.random;
    this.#sleep = o.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms).unref()));
    const deps: DestinationDeps = { store: this.#store, consoleBaseUrl: o.config.consoleBaseUrl, clock: this.#clock, env: o.env ?? process.env };
    const dests = o.destinations ?? o.config.destinations.map((c) => createDestination(c, deps));
    for (const dest of dests) this.#lanes.set(dest.name, { dest, queue: [], queued: new Set(), running: null, delivered: new Set() });
    const via = o.config.policyRecipientsVia
      ? o.config.destinations.find((d) => d.name === o.config.policyRecipientsVia)
      : o.config.destinations.find((d) => d.type === 'email');
    if (via?.type === 'email' && !this.#lanes.has(POLICY_RECIPIENTS)) {
      const dest = new EmailDestination({
        config: { ...via, name: POLICY_RECIPIENTS },
        recipientsOf: policyRecipients,
        store: deps.store,
        consoleBaseUrl: deps.consoleBaseUrl,
        clock: deps.clock,
        env: deps.env,
      });
      this.#lanes.set(POLICY_RECIPIENTS, { dest, queue: [], queued: new Set(), running: null, delivered: new Set() });
    }
    o.metrics.describe('rampart_delivery_attempts_total', 'Alert delivery attempts by destination and outcome');
    o.metrics.describe('rampart_delivery_dropped_total', 'Alerts dropped because a destination queue was full');
  }

  /** Destination names an alert is routed to (plus the policy-recipients lane when its policy names recipients). */
  destinationsFor(alert: Alert): string[] {
    const names = new Set<string>();
    for (const r of this.#o.config.routes) if (routeMatches(r, alert)) for (const n of r.destinations) names.add(n);
    if (policyRecipients(alert).length) names.add(POLICY_RECIPIENTS);
    return [...names].filter((n) => this.#lanes.has(n));
  }

  /** Enqueues only; never waits for a destination. */
  onAlert(alert: Alert): void {
    if (this.#closing) return;
    for (const name of this.destinationsFor(alert)) this.#enqueue(this.#lanes.get(name)!, alert);
    if (!this.#lanes.has(POLICY_RECIPIENTS) && policyRecipients(alert).length) this.#noPolicyEmail(alert);
  }

  /** A policy asked for email but no email destination exists: say so (log, metric, delivery log), once per alert. */
  #noPolicyEmail(alert: Alert): void {
    const key = `${POLICY_RECIPIENTS}:${alert.id}`;
    if (this.#warnedNoEmail.has(key)) return;
    this.#warnedNoEmail.add(key);
    if (this.#warnedNoEmail.size > DELIVERED_MEMORY) this.#warnedNoEmail.delete(this.#warnedNoEmail.values().next().value!);
    const detail = 'the policy names email recipients but alerts.destinations has no email destination';
    this.#o.metrics.inc('rampart_delivery_attempts_total', { destination: POLICY_RECIPIENTS, outcome: 'skipped' });
    this.#o.logger.warn({ alertId: alert.id, detection: alert.detection }, detail);
    const lane: Lane = { dest: { name: POLICY_RECIPIENTS, type: 'email', send: async () => ({ outcome: 'skipped' }), close: async () => {} }, queue: [], queued: new Set(), running: null, delivered: new Set() };
    this.#track(this.#record(lane, alert, { attempt: 0, outcome: 'skipped', final: true, detail }));
  }

  #enqueue(lane: Lane, alert: Alert): void {
    const { metrics, logger, config } = this.#o;
    if (!config.deliverUpdates && lane.delivered.has(alert.id)) return;
    // A newer version of an alert already waiting replaces it: repeats of one alert cost one slot.
    if (lane.queued.has(alert.id)) {
      lane.queue[lane.queue.findIndex((a) => a.id === alert.id)] = alert;
      return;
    }
    if (lane.queue.length >= config.queueSize) {
      const err = new RampartError('RAMPART_ERR_DELIVER_QUEUE_FULL', [lane.dest.name, lane.queue.length, alert.id]);
      metrics.inc('rampart_delivery_dropped_total', { destination: lane.dest.name });
      metrics.inc('rampart_errors_total', { component: 'deliver', stage: 'deliver', error_type: 'queue_full' });
      logger.warn({ code: err.code, destination: lane.dest.name, alertId: alert.id }, err.message);
      this.#track(this.#record(lane, alert, { attempt: 0, outcome: 'dropped', final: true, error: err, detail: 'queue full' }));
      return;
    }
    lane.queue.push(alert);
    lane.queued.add(alert.id);
    metrics.set('rampart_delivery_queue_depth', { destination: lane.dest.name }, lane.queue.length);
    if (!lane.running) lane.running = this.#work(lane).finally(() => (lane.running = null));
  }

  async #work(lane: Lane): Promise<void> {
    while (lane.queue.length && !this.#closing) {
      const alert = lane.queue.shift()!;
      lane.queued.delete(alert.id);
      this.#o.metrics.set('rampart_delivery_queue_depth', { destination: lane.dest.name }, lane.queue.length);
      try {
        await this.#deliver(lane, alert);
      } catch (err) {
        // #deliver handles destination errors itself; reaching here is a bug, still never fatal.
        this.#o.metrics.inc('rampart_errors_total', { component: 'deliver', stage: 'deliver', error_type: 'exception' });
        this.#o.logger.error({ err, destination: lane.dest.name, alertId: alert.id }, 'alert delivery crashed');
      }
    }
  }

  async #alreadyDelivered(lane: Lane, alert: Alert): Promise<boolean> {
    if (this.#o.config.deliverUpdates) return false;
    if (lane.delivered.has(alert.id)) return true;
    try {
      return (await this.#store.getDoc(DELIVERED_DOC_KIND, `${lane.dest.name}:${alert.id}`)) !== null;
    } catch {
      return false; // cannot tell: better a duplicate than a lost alert
    }
  }

  #remember(lane: Lane, alert: Alert): void {
    lane.delivered.add(alert.id);
    if (lane.delivered.size > DELIVERED_MEMORY) lane.delivered.delete(lane.delivered.values().next().value!);
  }

  async #deliver(lane: Lane, alert: Alert): Promise<void> {
    if (await this.#alreadyDelivered(lane, alert)) {
      this.#remember(lane, alert);
      return;
    }
    const { maxAttempts, baseDelayMs, maxDelayMs } = this.#o.config.retry;
    const { metrics, logger } = this.#o;
    const dest = lane.dest;
    for (let attempt = 1; ; attempt++) {
      let result: DeliveryResult;
      try {
        result = await this.#attempt(dest, alert);
      } catch (err) {
        const permanent = isPermanent(err);
        const last = permanent || attempt >= maxAttempts || this.#closing;
        const retryInMs = last ? undefined : backoffMs(attempt, baseDelayMs, maxDelayMs, this.#random);
        const errorType = isRampartError(err) ? err.code.replace('RAMPART_ERR_DELIVER_', '').toLowerCase() : 'exception';
        metrics.inc('rampart_delivery_attempts_total', { destination: dest.name, outcome: 'failed' });
        metrics.inc('rampart_errors_total', { component: 'deliver', stage: 'deliver', error_type: errorType });
        const code = isRampartError(err) ? err.code : 'RAMPART_ERR_DELIVER_FAILED';
        logger[last ? 'error' : 'warn'](
          { code, destination: dest.name, alertId: alert.id, attempt, retryInMs },
          last ? `alert delivery to ${dest.name} gave up: ${errorText(err)}` : `alert delivery to ${dest.name} failed, will retry: ${errorText(err)}`,
        );
        const detail = this.#abandon.signal.aborted ? SHUTDOWN_DURING_ATTEMPT : undefined;
        await this.#record(lane, alert, { attempt, outcome: 'failed', final: last, error: err, retryInMs, detail });
        if (last) return;
        await Promise.race([this.#sleep(retryInMs!), this.#closed]);
        if (this.#closing) {
          await this.#record(lane, alert, { attempt, outcome: 'failed', final: true, error: err, detail: 'shutdown before the next attempt' });
          return;
        }
        continue;
      }
      metrics.inc('rampart_delivery_attempts_total', { destination: dest.name, outcome: result.outcome });
      if (result.outcome === 'skipped') logger.warn({ destination: dest.name, alertId: alert.id }, `alert not sent to ${dest.name}: ${result.detail ?? 'skipped'}`);
      await this.#record(lane, alert, { attempt, outcome: result.outcome, final: true, detail: result.detail, skippedRecipients: result.skippedRecipients });
      if (result.outcome === 'sent') await this.#markDelivered(lane, alert);
      return;
    }
  }

  /**
   * One send, which the dispatcher stops waiting for when the grace period ends, whatever the destination does:
   * the destination is told (signal) and the attempt counts as failed; a late answer is ignored.
   */
  #attempt(dest: Destination, alert: Alert): Promise<DeliveryResult> {
    const signal = this.#abandon.signal;
    if (signal.aborted) return Promise.reject(signal.reason);
    const sending = dest.send(alert, signal);
    let onAbort = (): void => {};
    const abandoned = new Promise<never>((_, reject) => {
      onAbort = () => reject(new RampartError('RAMPART_ERR_DELIVER_FAILED', [dest.name, SHUTDOWN_DURING_ATTEMPT]));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    sending.catch(() => {}); // an abandoned attempt may still fail later: nothing is waiting for it
    return Promise.race([sending, abandoned]).finally(() => signal.removeEventListener('abort', onAbort));
  }

  async #markDelivered(lane: Lane, alert: Alert): Promise<void> {
    this.#remember(lane, alert);
    if (this.#o.config.deliverUpdates) return;
    const now = this.#clock().toISOString();
    try {
      await this.#store.putDoc({ kind: DELIVERED_DOC_KIND, id: `${lane.dest.name}:${alert.id}`, body: { alertId: alert.id, destination: lane.dest.name, time: now }, updatedAt: now });
    } catch (err) {
      this.#o.metrics.inc('rampart_errors_total', { component: 'deliver', stage: 'store', error_type: 'log_write' });
      this.#o.logger.error({ err, destination: lane.dest.name, alertId: alert.id }, 'delivery marker could not be stored');
    }
  }

  async #record(
    lane: Lane,
    alert: Alert,
    r: { attempt: number; outcome: DeliveryOutcome; final: boolean; error?: unknown; detail?: string; skippedRecipients?: string[]; retryInMs?: number },
  ): Promise<void> {
    const now = this.#clock().toISOString();
    const err = r.error;
    const body: DeliveryRecord = {
      alertId: alert.id,
      detection: alert.detection,
      destination: lane.dest.name,
      destinationType: lane.dest.type,
      attempt: r.attempt,
      outcome: r.outcome,
      final: r.final,
      error: err === undefined ? null : { code: isRampartError(err) ? err.code : 'RAMPART_ERR_DELIVER_FAILED', message: errorText(err) },
      detail: r.detail ?? null,
      ...(r.skippedRecipients ? { skippedRecipients: r.skippedRecipients } : {}),
      ...(r.retryInMs !== undefined ? { retryInMs: r.retryInMs } : {}),
      time: now,
    };
    // Attempt 0 is a drop before any attempt; the alert version keeps re-deliveries of updates apart.
    const id = `${alert.id}:${lane.dest.name}:${alert.updatedAt}:${r.attempt}${r.outcome === 'dropped' ? `:${now}` : ''}`;
    try {
      await this.#store.putDoc({ kind: DELIVERY_DOC_KIND, id, body, updatedAt: now });
    } catch (e) {
      this.#o.metrics.inc('rampart_errors_total', { component: 'deliver', stage: 'store', error_type: 'log_write' });
      this.#o.logger.error({ err: e, record: body }, 'delivery log entry could not be stored');
    }
  }

  #track(p: Promise<void>): void {
    this.#pendingWrites.add(p);
    void p.finally(() => this.#pendingWrites.delete(p));
  }

  /** Waits until every queue is empty and every attempt (with its retries) is finished. */
  async drain(): Promise<void> {
    for (;;) {
      const busy = [...this.#lanes.values()].map((l) => l.running).filter((p): p is Promise<void> => p !== null);
      if (!busy.length && !this.#pendingWrites.size) return;
      await Promise.all([...busy, ...this.#pendingWrites]);
    }
  }

  queueDepth(destination: string): number {
    return this.#lanes.get(destination)?.queue.length ?? 0;
  }

  /**
   * Stops, within `graceMs` (default 0) whatever the destinations do, plus the store writes below and at most
   * DEST_CLOSE_MS to close connections. During the grace period the queues keep draining (with retries). When
   * it ends: backoff waits end (no further attempt), attempts still in flight are abandoned and recorded as
   * `failed` (SHUTDOWN_DURING_ATTEMPT: the destination may have received them), alerts still queued are
   * recorded as `dropped` ("shutdown before delivery"; queues live in memory, the alerts themselves are already
   * in the store), and transports close. Callers close the store only after this returns.
   */
  async close(opts: { graceMs?: number } = {}): Promise<void> {
    if (opts.graceMs && opts.graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.drain(), new Promise<void>((r) => (timer = setTimeout(r, opts.graceMs)))]);
      clearTimeout(timer);
    }
    this.#closing = true;
    this.#wakeClosing();
    this.#abandon.abort(new Error('Rampart is shutting down'));
    await this.drain(); // no attempt is waited for any more: only delivery-log writes remain
    for (const lane of this.#lanes.values()) {
      const left = lane.queue.splice(0);
      lane.queued.clear();
      this.#o.metrics.set('rampart_delivery_queue_depth', { destination: lane.dest.name }, 0);
      if (left.length) this.#o.logger.warn({ destination: lane.dest.name, count: left.length }, 'alerts left undelivered at shutdown');
      for (const alert of left) {
        this.#o.metrics.inc('rampart_delivery_dropped_total', { destination: lane.dest.name });
        await this.#record(lane, alert, { attempt: 0, outcome: 'dropped', final: true, detail: 'shutdown before delivery' });
      }
    }
    await Promise.all([...this.#lanes.values()].map((lane) => this.#closeDestination(lane.dest)));
  }

  async #closeDestination(dest: Destination): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const closing = dest.close().catch((err: unknown) => this.#o.logger.warn({ err, destination: dest.name }, 'destination close failed'));
    const late = new Promise<void>((r) => {
      timer = setTimeout(() => {
        this.#o.logger.warn({ destination: dest.name }, `destination close did not finish within ${DEST_CLOSE_MS} ms; left behind`);
        r();
      }, DEST_CLOSE_MS);
      timer.unref();
    });
    await Promise.race([closing, late]);
    clearTimeout(timer);
  }
}
