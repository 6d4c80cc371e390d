/**
 * @module store
 * Opens the configured store (the one place that knows both drivers) and the retention helper.
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.ts';

export type StoreConfig = Config['store'];
import { readSecret } from '../config/secret.ts';
import { RampartError } from '../core/errors.ts';
import type { Store } from './store.ts';
import { SqliteStore, type SqliteStoreOptions } from './sqlite/index.ts';
import { PostgresStore } from './postgres/index.ts';

export type { Store } from './store.ts';
export { SqliteStore } from './sqlite/index.ts';
export { PostgresStore } from './postgres/index.ts';

export const DEFAULT_RETENTION_DAYS = 180;
const DAY_MS = 86_400_000;

/** The SQLite file a store config names, resolved against the config file's folder. */
export const sqlitePath = (config: Extract<StoreConfig, { driver: 'sqlite' }>, baseDir?: string): string =>
  config.path === ':memory:' ? config.path : resolve(baseDir ?? process.cwd(), config.path);

/**
 * Opens and migrates the store. A SQLite path's folder is created (0700) and a new database file too (0600: it
 * holds the whole audit trail; SQLite gives its -wal and -shm files the same mode); existing ones keep their modes.
 * A PostgreSQL password comes from its secret.
 */
export async function openStore(
  config: StoreConfig,
  opts: { baseDir?: string; env?: NodeJS.ProcessEnv; onCheckpointFailure?: SqliteStoreOptions['onCheckpointFailure'] } = {},
): Promise<Store> {
  let store: Store;
  if (config.driver === 'sqlite') {
    const path = sqlitePath(config, opts.baseDir);
    if (path !== ':memory:') {
      try {
        mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${path}`, `cannot create its folder (${(cause as NodeJS.ErrnoException).code ?? 'error'})`], { cause });
      }
      try {
        closeSync(openSync(path, 'a', 0o600)); // 'a': creates a missing file, leaves an existing one as it is
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_STORE_UNAVAILABLE', [`sqlite:${path}`, `cannot create the database file (${(cause as NodeJS.ErrnoException).code ?? 'error'})`], { cause });
      }
    }
    store = new SqliteStore({ path, writer: config.writer ?? 'inline', checkpoints: config.checkpoints ?? 'thread', onCheckpointFailure: opts.onCheckpointFailure });
  } else {
    const password = config.password ? readSecret(config.password, 'store.password', opts.env) : undefined;
    store = new PostgresStore({ url: config.url, password, poolSize: config.poolSize });
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}

/** The instant before which activities are pruned: `now` minus `retentionDays` whole days. */
export const retentionCutoff = (retentionDays: number, now: Date = new Date()): string =>
  new Date(now.getTime() - retentionDays * DAY_MS).toISOString();

/** Deletes activities older than the retention period, in bounded batches; returns how many. */
export function pruneByRetention(store: Store, retentionDays = DEFAULT_RETENTION_DAYS, now: Date = new Date()): Promise<number> {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new RampartError('RAMPART_ERR_STORE_INVALID_QUERY', [`retentionDays must be a whole number of days >= 1, got ${retentionDays}`]);
  }
  return store.pruneActivities(retentionCutoff(retentionDays, now));
}

export interface RetentionPlan {
  retentionDays: number;
  logRetentionDays: number;
  /** Document kinds that are logs, kept `logRetentionDays` after their last update (the owners name them). */
  logDocKinds: readonly string[];
  /** Document kinds only read for a day or two (quota counters), kept `shortDays`. */
  shortDocKinds?: readonly string[];
  shortDays?: number;
}

export interface RetentionResult {
  activities: number;
  rejects: number;
  /** Per document kind, only kinds where something was deleted. */
  docs: Record<string, number>;
}

/**
 * The retention pass of `rampart serve`: activities and rejected input after `retentionDays`, log documents after
 * `logRetentionDays`, short-lived documents after `shortDays`. Other documents (policies, settings, accounts,
 * detection state) are current state and never pruned by age. Returns what was deleted.
 */
export async function pruneAll(store: Store, plan: RetentionPlan, now: Date = new Date()): Promise<RetentionResult> {
  const activities = await pruneByRetention(store, plan.retentionDays, now);
  const rejects = await store.pruneRejects(retentionCutoff(plan.retentionDays, now));
  const docs: Record<string, number> = {};
  const prune = async (kind: string, keepDays: number) => {
    const n = await store.pruneDocs(kind, retentionCutoff(keepDays, now));
    if (n) docs[kind] = n;
  };
  for (const kind of plan.logDocKinds) await prune(kind, plan.logRetentionDays);
  for (const kind of plan.shortDocKinds ?? []) await prune(kind, plan.shortDays ?? 2);
  return { activities, rejects, docs };
}
