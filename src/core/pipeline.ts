/**
 * @module core/pipeline
 * The spine: validated activities are enriched, committed to the store (durable before any acknowledgement),
 * then run through detection in event-time order; alerts are stored and handed to the alert sinks
 * (delivery, governance, live console). `rampart scan` and `rampart serve` share it.
 */
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Activity } from '../schema/activity.ts';
import type { Alert } from '../schema/alert.ts';
import type { Enricher } from '../enrich/enricher.ts';
import type { Checkpoint, PutResult, Store } from '../store/store.ts';

/** Runs detections over activities; implemented by detect/engine.ts. */
export interface AlertProducer {
  /** Returns alerts that are new or changed (dedup folds repeats into an open alert). */
  process(activity: Activity): Alert[];
}

/** Receives every new or updated alert: email/syslog/webhook delivery, governance, the console stream. */
export interface AlertSink {
  readonly name: string;
  onAlert(alert: Alert): void | Promise<void>;
}

/**
 * Feedback from triage (a false positive or benign verdict can add a suppression): a new alert it matches is
 * stored already resolved with the suppression named in its comment, counted, logged, and not delivered.
 */
export interface AlertSuppressor {
  check(alert: Alert): Promise<{ id: string; classification: Alert['classification']; reason: string | null } | null>;
}

export interface PipelineOptions {
  store: Store | null; // null: scan without a store (detection only)
  enricher: Enricher;
  engine: AlertProducer;
  logger: Logger;
  metrics: Metrics;
  sinks?: AlertSink[];
}

export class Pipeline {
  readonly #o: PipelineOptions;
  readonly #sinks: AlertSink[];
  #suppressor: AlertSuppressor | null = null;
  #detectQueue: Promise<void> = Promise.resolve();

  constructor(o: PipelineOptions) {
    this.#o = o;
    this.#sinks = [...(o.sinks ?? [])];
  }

  addSink(sink: AlertSink): void {
    this.#sinks.push(sink);
  }

  setSuppressor(s: AlertSuppressor | null): void {
    this.#suppressor = s;
  }

  /** Enriches in place. */
  enrich(activities: Activity[]): void {
    for (const a of activities) this.#o.enricher.enrich(a);
  }

  /**
   * Durable ingest for live connectors: enrich, commit (with the checkpoint), then queue detection of the
   * activities that were new. Resolves after the commit, not after detection.
   */
  async ingest(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult> {
    this.enrich(activities);
    const store = this.#o.store;
    const result = store
      ? await store.putActivities(activities, checkpoint)
      : { inserted: activities.length, duplicates: 0, insertedIds: activities.map((a) => a.id) };
    this.#o.metrics.inc('rampart_activities_ingested_total', {}, result.inserted);
    if (result.duplicates) this.#o.metrics.inc('rampart_activities_duplicate_total', {}, result.duplicates);
    if (result.inserted) {
      const fresh = new Set(result.insertedIds);
      const toDetect = activities.filter((a) => fresh.has(a.id)).sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
      this.#detectQueue = this.#detectQueue.then(async () => {
        await this.detect(toDetect);
      });
    }
    return result;
  }

  /** Runs detection and publishes alerts. Failures are logged and counted, never thrown. */
  async detect(activities: Activity[]): Promise<Alert[]> {
    const raised: Alert[] = [];
    for (const a of activities) {
      let alerts: Alert[];
      try {
        alerts = this.#o.engine.process(a);
      } catch (err) {
        this.#o.metrics.inc('rampart_errors_total', { component: 'engine', stage: 'detect', error_type: 'exception' });
        this.#o.logger.error({ err, activityId: a.id }, 'detection failed');
        continue;
      }
      for (const alert of alerts) raised.push(alert);
    }
    for (const alert of raised) await this.publish(alert);
    return raised;
  }

  /** Stores an alert and hands it to every sink; a failing sink never blocks the others. */
  async publish(alert: Alert): Promise<void> {
    this.#o.metrics.inc('rampart_alerts_total', { detection: alert.detection.startsWith('policy:') ? 'policy' : alert.detection });
    try {
      const store = this.#o.store;
      if (store) {
        // A repeat folded into an alert a person already triaged keeps their status, assignee and verdict.
        const prev = await store.getAlert(alert.id);
        if (prev) alert = keepTriage(prev, alert);
        else if (this.#suppressor) {
          const hit = await this.#suppressor.check(alert).catch((err: unknown) => {
            // A broken suppression list must not hide alerts: deliver as usual.
            this.#o.metrics.inc('rampart_errors_total', { component: 'suppress', stage: 'detect', error_type: 'exception' });
            this.#o.logger.error({ err, alertId: alert.id }, 'suppression check failed; alert delivered');
            return null;
          });
          if (hit) {
            const suppressed: Alert = { ...alert, status: 'resolved', classification: hit.classification, classificationReason: hit.reason, comment: `suppressed by ${hit.id}` };
            await store.putAlert(suppressed);
            this.#o.metrics.inc('rampart_alerts_suppressed_total', { detection: alert.detection.startsWith('policy:') ? 'policy' : alert.detection });
            this.#o.logger.info({ alertId: alert.id, suppression: hit.id, detection: alert.detection }, 'alert suppressed by triage feedback');
            return;
          }
        }
        await store.putAlert(alert);
      }
    } catch (err) {
      this.#o.metrics.inc('rampart_errors_total', { component: 'store', stage: 'store', error_type: 'alert_write' });
      this.#o.logger.error({ err, alertId: alert.id }, 'alert could not be stored');
    }
    for (const sink of this.#sinks) {
      try {
        await sink.onAlert(alert);
      } catch (err) {
        this.#o.metrics.inc('rampart_errors_total', { component: sink.name, stage: 'deliver', error_type: 'exception' });
        this.#o.logger.error({ err, sink: sink.name, alertId: alert.id }, 'alert sink failed');
      }
    }
  }

  /** Waits until queued detection work is done (used by shutdown and tests). */
  async drain(): Promise<void> {
    await this.#detectQueue;
  }
}

/** The triage fields are a person's (API), the rest the detection's: a re-published alert keeps the former. */
export function keepTriage(stored: Alert, fresh: Alert): Alert {
  if (
    stored.status === fresh.status &&
    stored.assignee === fresh.assignee &&
    stored.classification === fresh.classification &&
    stored.classificationReason === fresh.classificationReason &&
    stored.comment === fresh.comment
  )
    return fresh;
  return {
    ...fresh,
    status: stored.status,
    assignee: stored.assignee,
    classification: stored.classification,
    classificationReason: stored.classificationReason,
    comment: stored.comment,
  };
}
