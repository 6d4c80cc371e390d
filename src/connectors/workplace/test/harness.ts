/**
 * Test harness: a real Fastify server on loopback, the real connector, and a ConnectorContext over a Store.
 * TEMPORARY: MemoryStore stands in until the SQLite store lands (helper "store"); it implements only what the
 * connector touches, with the same idempotent-on-id and checkpoint-with-batch semantics.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Metrics } from '../../../core/metrics.ts';
import { silentLogger } from '../../../core/logger.ts';
import type { Activity } from '../../../schema/activity.ts';
import type { DirectoryUser } from '../../../schema/directory.ts';
import type { Checkpoint, PutResult, Reject, Store } from '../../../store/store.ts';
import type { ConnectorContext } from '../../connector.ts';
import { WorkplaceConnector, type WorkplaceConnectorOptions } from '../index.ts';
import type { WorkplaceConfigInput } from '../config.ts';

export class MemoryStore {
  readonly driver = 'sqlite' as const;
  activities = new Map<string, Activity>();
  checkpoints = new Map<string, string>();
  users = new Map<string, DirectoryUser>();
  rejects: Reject[] = [];
  transactions = 0;
  failWrites = false;
  async migrate() {}
  async close() {}
  async putActivities(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult> {
    if (this.failWrites) throw new Error('disk full');
    this.transactions++;
    const insertedIds: string[] = [];
    let duplicates = 0;
    for (const a of activities) {
      if (this.activities.has(a.id)) duplicates++;
      else (this.activities.set(a.id, structuredClone(a)), insertedIds.push(a.id));
    }
    if (checkpoint) this.checkpoints.set(`${checkpoint.connector}/${checkpoint.key}`, checkpoint.value);
    return { inserted: insertedIds.length, duplicates, insertedIds };
  }
  async getActivity(id: string) {
    return this.activities.get(id) ?? null;
  }
  async countActivities() {
    return this.activities.size;
  }
  async putDirectoryUsers(users: DirectoryUser[]) {
    for (const u of users) this.users.set(u.id, structuredClone(u));
  }
  async getDirectoryUser(_app: string, idOrEmail: string) {
    return this.users.get(idOrEmail) ?? [...this.users.values()].find((u) => u.email === idOrEmail.toLowerCase()) ?? null;
  }
  async listDirectoryUsers() {
    return [...this.users.values()].map((u) => structuredClone(u));
  }
  async getCheckpoint(connector: string, key: string) {
    return this.checkpoints.get(`${connector}/${key}`) ?? null;
  }
  async setCheckpoint(cp: Checkpoint) {
    this.checkpoints.set(`${cp.connector}/${cp.key}`, cp.value);
  }
  async putRejects(r: Reject[]) {
    this.rejects.push(...r);
  }
  async listRejects() {
    return this.rejects;
  }
}

export interface Harness {
  app: FastifyInstance;
  url: string;
  store: Store;
  metrics: Metrics;
  connector: WorkplaceConnector;
  ingestCalls: number;
  close(): Promise<void>;
}

export async function startHarness(
  config: WorkplaceConfigInput,
  opts: WorkplaceConnectorOptions & { store?: Store; env?: NodeJS.ProcessEnv } = {},
): Promise<Harness> {
  const store = opts.store ?? (new MemoryStore() as unknown as Store);
  const metrics = new Metrics();
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  const abort = new AbortController();
  const h = { ingestCalls: 0 } as Harness;
  const ctx: ConnectorContext = {
    store,
    logger: silentLogger(),
    metrics,
    http: app,
    signal: abort.signal,
    async ingest(activities, checkpoint) {
      h.ingestCalls++;
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
    },
  });
  return h;
}
