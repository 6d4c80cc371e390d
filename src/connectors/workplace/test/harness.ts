/**
 * Test harness: a real Fastify server on loopback, the real connector, and a ConnectorContext over a real
 * SqliteStore in a temp folder (one file per harness). `failWrites` makes ingest fail like a full disk would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Metrics } from '../../../core/metrics.ts';
import { silentLogger } from '../../../core/logger.ts';
import { RampartError } from '../../../core/errors.ts';
import { SqliteStore } from '../../../store/sqlite/index.ts';
import type { Activity } from '../../../schema/activity.ts';
import type { Store } from '../../../store/store.ts';
import type { ConnectorContext } from '../../connector.ts';
import { WorkplaceConnector, type WorkplaceConnectorOptions } from '../index.ts';
import type { WorkplaceConfigInput } from '../config.ts';

/** A SQLite store in a fresh temp folder; `dispose` closes it and removes the folder. */
export async function tempStore(): Promise<{ store: SqliteStore; path: string; dispose: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-wp-'));
  const path = join(dir, 'rampart.db');
  const store = new SqliteStore({ path });
  await store.migrate();
  return {
    store,
    path,
    async dispose() {
      await store.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every stored activity (oldest first). */
export async function allActivities(store: Store): Promise<Activity[]> {
  const out: Activity[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.queryActivities({ limit: 1000, cursor, order: 'asc' });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

export interface Harness {
  app: FastifyInstance;
  url: string;
  store: Store;
  metrics: Metrics;
  connector: WorkplaceConnector;
  /** ingest calls = store transactions. */
  ingestCalls: number;
  /** When true, ingest fails as a store write failure would. */
  failWrites: boolean;
  close(): Promise<void>;
}

export async function startHarness(
  config: WorkplaceConfigInput,
  opts: WorkplaceConnectorOptions & { store?: Store; env?: NodeJS.ProcessEnv; ingest?: ConnectorContext['ingest']; logger?: ConnectorContext['logger'] } = {},
): Promise<Harness> {
  const owned = opts.store ? null : await tempStore();
  const store: Store = opts.store ?? owned!.store;
  const metrics = new Metrics();
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  const abort = new AbortController();
  const h = { ingestCalls: 0, failWrites: false } as Harness;
  const ctx: ConnectorContext = {
    store,
    logger: opts.logger ?? silentLogger(),
    metrics,
    http: app,
    signal: abort.signal,
    async ingest(activities, checkpoint) {
      h.ingestCalls++;
      if (h.failWrites) throw new RampartError('RAMPART_ERR_STORE_WRITE_FAILED', ['disk full (test)']);
      if (opts.ingest) return opts.ingest(activities, checkpoint);
      return store.putActivities(activities, checkpoint);
    },
    async updateDirectory(users) {
      await store.putDirectoryUsers(users);
    },
  };
  const connector = new WorkplaceConnector(config, opts);
  await connector.start(ctx);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  Object.assign(h, {
    app,
    url: `http://127.0.0.1:${port}`,
    store,
    metrics,
    connector,
    async close() {
      abort.abort();
      await connector.stop();
      await app.close();
      await owned?.dispose();
    },
  });
  return h;
}
