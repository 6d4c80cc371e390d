/**
 * @module store/store
 * The one storage interface. Implementations: `sqlite/` (better-sqlite3, the zero-config default) and
 * `postgres/` (pg). Both run the same contract suite, src/store/store.contract.ts (docs/store.md). Every query is parameterised.
 */
import type { Activity, Category, Outcome } from '../schema/activity.ts';
import type { Alert, AlertStatus, Severity } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; null when there is none. */
  next: string | null;
}

/** A checkpoint committed atomically with the batch it follows (pull connectors). */
export interface Checkpoint {
  connector: string;
  key: string;
  value: string;
}

export interface PutResult {
  /** Activities written now. */
  inserted: number;
  /** Activities whose id was already stored (redeliveries), not written again. */
  duplicates: number;
  /** Ids of the activities written now, in input order (detections run only on these). */
  insertedIds: string[];
}

export interface ActivityQuery {
  user?: string; // actor email or id (case-insensitive for email)
  ip?: string;
  action?: string;
  category?: Category;
  outcome?: Outcome;
  app?: string;
  from?: string; // ISO, inclusive
  to?: string; // ISO, exclusive
  /** Free text over action, actor, target, objects (substring, case-insensitive). */
  text?: string;
  limit?: number; // default 100, max 1000
  cursor?: string | null;
  /** newest first (default) or oldest first. */
  order?: 'desc' | 'asc';
}

/** The indexed columns of a stored activity, readable before its JSON body is decoded (same values as the Activity's). */
export interface ActivityKeys {
  id: string;
  time: string;
  app: string;
  tenant: string;
  action: string;
  category: string;
  outcome: string;
  ip: string | null;
}

/** The filters of a streaming scan: an ActivityQuery without paging, plus an optional row test. */
export interface ActivityScan extends Omit<ActivityQuery, 'limit' | 'cursor' | 'order'> {
  /**
   * Rows failing this test on their indexed columns are skipped without decoding the body (policy backtests
   * skip most rows this way). Exact, never approximate: callers may also apply it to decoded activities.
   */
  keys?: (k: ActivityKeys) => boolean;
}

/**
 * Orders of an alert list. `time`: newest first. `severity`: most severe first (high, medium, low, informational).
 * `user`: by lowercased user A→Z in the database's collation, alerts without a user last. Ties are newest first.
 */
export const ALERT_SORTS = ['time', 'severity', 'user'] as const;
export type AlertSort = (typeof ALERT_SORTS)[number];

export interface AlertQuery {
  status?: AlertStatus;
  severity?: Severity;
  detection?: string;
  user?: string;
  from?: string;
  to?: string;
  /** Default `time`. A cursor is only valid with the sort that issued it. */
  sort?: AlertSort;
  limit?: number;
  cursor?: string | null;
}

/** A line of input that could not be accepted, kept so nothing is dropped silently. */
export interface Reject {
  id?: string;
  source: string; // e.g. "scan:/path/file.ndjson:17", "webhook:workplace"
  code: string; // RAMPART_ERR_*
  reason: string;
  /** The offending input, truncated to a bounded size. */
  sample: string;
  receivedAt: string;
}

export interface IpRange {
  name: string;
  category: 'corporate' | 'administrative' | 'risky' | 'vpn' | 'cloud_provider' | 'other';
  subnets: string[];
  tags: string[];
  location?: { country?: string | null; city?: string | null; lat?: number | null; lon?: number | null } | null;
  isp?: string | null;
}

/** A stored JSON document (policies, settings, posture statuses...), versioned by `updatedAt`. */
export interface Doc<T = unknown> {
  kind: string;
  id: string;
  body: T;
  updatedAt: string;
}

/** What a store holds and how much room it takes (`rampart store stats`): capacity planning and retention checks. */
export interface StoreStats {
  driver: 'sqlite' | 'postgres';
  activities: number;
  /** Event times of the oldest and newest stored activity (how far back the audit trail goes); null when empty. */
  oldestActivity: string | null;
  newestActivity: string | null;
  alerts: number;
  rejects: number;
  directoryUsers: number;
  /** Bytes on disk: SQLite, the database file and its WAL; PostgreSQL, the store's tables with their indexes and TOAST. */
  bytes: number;
}

export interface Store {
  readonly driver: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  close(): Promise<void>;
  /** Counts and size (counting rows is a scan: seconds on very large stores; not for hot paths). */
  stats(): Promise<StoreStats>;

  // Activities: idempotent on `id`. With a checkpoint, batch and checkpoint commit in one transaction.
  putActivities(activities: Activity[], checkpoint?: Checkpoint): Promise<PutResult>;
  getActivity(id: string): Promise<Activity | null>;
  queryActivities(q: ActivityQuery): Promise<Page<Activity>>;
  countActivities(): Promise<number>;
  /**
   * Optional streaming read of every matching activity in ascending (time, id) order, without pages or a row
   * limit (policy backtests, exports). Callers fall back to paging queryActivities with order 'asc'.
   */
  scanActivities?(q: ActivityScan): AsyncIterable<Activity>;
  /** Deletes activities with `time` before the instant; returns how many. */
  pruneActivities(before: string): Promise<number>;

  // Alerts: upsert on `id`.
  putAlert(alert: Alert): Promise<void>;
  getAlert(id: string): Promise<Alert | null>;
  listAlerts(q: AlertQuery): Promise<Page<Alert>>;

  // User directory
  putDirectoryUsers(users: DirectoryUser[]): Promise<void>;
  /** By app id or email (case-insensitive). */
  getDirectoryUser(app: string, idOrEmail: string): Promise<DirectoryUser | null>;
  listDirectoryUsers(app?: string): Promise<DirectoryUser[]>;

  // Organisation IP ranges (overlap checks live in enrich/ip-ranges.ts, before writing)
  putIpRange(range: IpRange): Promise<void>;
  deleteIpRange(name: string): Promise<boolean>;
  listIpRanges(): Promise<IpRange[]>;

  // Connector checkpoints
  getCheckpoint(connector: string, key: string): Promise<string | null>;
  setCheckpoint(cp: Checkpoint): Promise<void>;

  // Rejected input
  putRejects(rejects: Reject[]): Promise<void>;
  /** Newest first; `cursor` is a previous page's `next` (keyset on receive time and arrival order). */
  listRejects(limit?: number, cursor?: string | null): Promise<Page<Reject>>;
  /** Deletes rejects received before the instant, in bounded batches; returns how many. */
  pruneRejects(before: string): Promise<number>;

  // Documents: policies, detection state snapshots, settings.
  putDoc(doc: Doc): Promise<void>;
  /**
   * Compare-and-set: writes `doc` only when the stored doc's `updatedAt` equals `expectedUpdatedAt`
   * (null: only when no doc with this kind and id exists), atomically; returns whether it wrote.
   * Governance claims actions with it so they run once across processes. Optional: without it,
   * governance serialises claims within its own process only (fine for the single-process SQLite default).
   */
  putDocIf?(doc: Doc, expectedUpdatedAt: string | null): Promise<boolean>;
  getDoc<T = unknown>(kind: string, id: string): Promise<Doc<T> | null>;
  listDocs<T = unknown>(kind: string): Promise<Doc<T>[]>;
  deleteDoc(kind: string, id: string): Promise<boolean>;
  /** Deletes the documents of one kind last updated before the instant (logs kept for a period); returns how many. */
  pruneDocs(kind: string, before: string): Promise<number>;
}
