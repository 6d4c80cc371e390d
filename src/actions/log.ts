/**
 * @module actions/log
 * The governance log (MDCA: "a status record of each task, both manual and automatic", with retry and
 * revert). One Store document per action, kind `governance`, id = the action's log id. Writes are
 * compare-and-set on `updatedAt`, which is how an action is claimed exactly once and how an executing
 * instance holds its lease.
 */
import type { Alert } from '../schema/alert.ts';
import type { Doc, Store } from '../store/store.ts';
import type { ActionName, ActionPlan, Channel } from './action.ts';
import type { FailureReason } from './provider-error.ts';
import type { ProviderName, Target } from './provider.ts';

export const DOC_KIND = 'governance';

/**
 * - `pending`: claimed, being executed (or waiting for a retry, or interrupted: resumed at start-up)
 * - `succeeded` / `failed`: final outcome of the last run; failed entries can be retried
 * - `reverted`: a succeeded suspension that was undone (see `revertedBy`)
 * - `awaiting_approval`: an automatic suspension held for a person (approval required or hourly limit hit)
 * - `skipped`: not executed: protected account, included in a stronger action, or rejected
 * - `dry_run`: governance.dryRun was on; `plan` says what would have happened
 */
export const ENTRY_STATUSES = ['pending', 'succeeded', 'failed', 'reverted', 'awaiting_approval', 'skipped', 'dry_run'] as const;
export type EntryStatus = (typeof ENTRY_STATUSES)[number];

export interface AttemptRecord {
  n: number;
  at: string;
  outcome: 'ok' | 'transient' | 'permanent';
  /** HTTP status or SMTP reply code. */
  status: number | null;
  reason: FailureReason | null;
  message: string;
  /** Wait before the next attempt (backoff or the provider's Retry-After). */
  waitMs: number | null;
}

export type Trigger =
  | { kind: 'alert'; alertId: string; detection: string; severity: string }
  | { kind: 'manual'; by: string };

export interface GovernanceEntry {
  id: string;
  action: ActionName;
  /** Where it is carried out: the account provider, or `smtp`. */
  channel: Channel;
  provider: ProviderName;
  target: Target;
  trigger: Trigger;
  reason: string;
  status: EntryStatus;
  /** Why it is skipped / awaiting approval / failed, in words. */
  statusReason: string | null;
  plan: ActionPlan;
  /** Attempts over all runs (the last 20 are kept in `attempts`). */
  attemptCount: number;
  attempts: AttemptRecord[];
  result: string | null;
  error: { code: string; message: string } | null;
  approval: {
    why: 'approval_required' | 'rate_limit';
    approvedBy: string | null;
    approvedAt: string | null;
    rejectedBy: string | null;
    rejectedAt: string | null;
  } | null;
  /** Set on an action that a stronger one contains (sign-out inside a suspension). */
  includedIn: string | null;
  revertOf: string | null;
  revertedBy: string | null;
  revertedAt: string | null;
  retries: Array<{ by: string; at: string }>;
  /** The triggering alert, kept so a resumed notification is the same message. */
  alert: Alert | null;
  /** The instance executing it, until when; another instance may take over after `until`. */
  lease: { owner: string; until: string } | null;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export const MAX_ATTEMPT_RECORDS = 20;

/** What the log needs from the Store (tests and tools may pass a subset). */
export type GovernanceStore = Pick<Store, 'putDoc' | 'getDoc' | 'listDocs' | 'getDirectoryUser'> & Partial<Pick<Store, 'putDocIf'>>;

/** Per-store lock for stores without putDocIf: claims are then atomic within this process. */
const locks = new WeakMap<object, Promise<unknown>>();
async function withLock<T>(key: object, fn: () => Promise<T>): Promise<T> {
  const prev = locks.get(key) ?? Promise.resolve();
  const run = prev.then(fn, fn);
  locks.set(
    key,
    run.catch(() => undefined),
  );
  return run;
}

export interface LogFilter {
  status?: EntryStatus;
  user?: string;
  alertId?: string;
  limit?: number;
}

export class GovernanceLog {
  readonly #store: GovernanceStore;
  readonly #now: () => number;

  constructor(store: GovernanceStore, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  async get(id: string): Promise<GovernanceEntry | null> {
    const d = await this.#store.getDoc<GovernanceEntry>(DOC_KIND, id);
    return d ? d.body : null;
  }

  /** Newest first. */
  async list(f: LogFilter = {}): Promise<GovernanceEntry[]> {
    const docs = await this.#store.listDocs<GovernanceEntry>(DOC_KIND);
    const user = f.user?.toLowerCase();
    return docs
      .map((d) => d.body)
      .filter((e) => (!f.status || e.status === f.status) && (!f.alertId || (e.trigger.kind === 'alert' && e.trigger.alertId === f.alertId)))
      .filter((e) => !user || e.target.user.toLowerCase() === user || e.target.email?.toLowerCase() === user || e.target.appUserId === f.user)
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1))
      .slice(0, f.limit ?? 1000);
  }

  /** A strictly later timestamp than `prev`, so every write has a distinct version. */
  stamp(prev: string | null): string {
    let t = this.#now();
    if (prev) t = Math.max(t, Date.parse(prev) + 1);
    return new Date(t).toISOString();
  }

  /** Creates the entry if no entry has its id; returns false when one exists (the action is already claimed). */
  async create(entry: GovernanceEntry): Promise<boolean> {
    return this.#cas(entry, null);
  }

  /**
   * Writes `next` if the stored version is still `prev` (compare-and-set on updatedAt); returns the written
   * entry, or null when someone else changed it first.
   */
  async update(prev: GovernanceEntry, change: Partial<GovernanceEntry>): Promise<GovernanceEntry | null> {
    const next: GovernanceEntry = { ...prev, ...change, updatedAt: this.stamp(prev.updatedAt) };
    if (next.attempts.length > MAX_ATTEMPT_RECORDS) next.attempts = next.attempts.slice(-MAX_ATTEMPT_RECORDS);
    return (await this.#cas(next, prev.updatedAt)) ? next : null;
  }

  async #cas(entry: GovernanceEntry, expected: string | null): Promise<boolean> {
    const doc: Doc<GovernanceEntry> = { kind: DOC_KIND, id: entry.id, body: entry, updatedAt: entry.updatedAt };
    const s = this.#store;
    if (s.putDocIf) return s.putDocIf(doc, expected);
    return withLock(s, async () => {
      const cur = await s.getDoc<GovernanceEntry>(DOC_KIND, entry.id);
      if ((cur?.updatedAt ?? null) !== expected) return false;
      await s.putDoc(doc);
      return true;
    });
  }
}
