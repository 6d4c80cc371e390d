/**
 * @module connectors/connector
 * A live connector (webhook receiver, directory sync, pull) is one folder under connectors/<app>/ and is
 * listed in connectors/registry.ts. `rampart serve` starts every enabled connector with this context.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Activity } from '../schema/activity.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import type { Store, PutResult, Checkpoint } from '../store/store.ts';

export interface ConnectorContext {
  store: Store;
  /** Already bound to `{ connector: <id> }` by `rampart serve`: log lines must not repeat the field. */
  logger: Logger;
  metrics: Metrics;
  /**
   * Durable ingest: resolves once the activities are committed (with the checkpoint, in one transaction).
   * Enrichment, detection and alerting follow asynchronously.
   */
  ingest(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult>;
  /** Replace or update directory users; detections see the change at once. */
  updateDirectory(users: DirectoryUser[]): Promise<void>;
  /** HTTP server to mount webhook routes on. */
  http: FastifyInstance;
  signal: AbortSignal;
}

export interface ConnectorHealth {
  connector: string;
  status: 'starting' | 'ok' | 'degraded' | 'failed' | 'stopped';
  lastEventTime: string | null;
  eventsPerMin: number;
  errorsByKind: Record<string, number>;
  checkpoint: Record<string, string | null>;
  message: string | null;
}

export interface Connector {
  readonly id: string; // 'workplace'
  start(ctx: ConnectorContext): Promise<void>;
  stop(): Promise<void>;
  health(): ConnectorHealth;
}
