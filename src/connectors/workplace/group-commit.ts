/**
 * @module connectors/workplace/group-commit
 * Group commit for persist-before-ack: deliveries arriving while a commit runs (or within `windowMs`) are
 * written together in ONE ingest call (one store transaction); each caller's promise settles only after the
 * batch holding its activities committed. The fsync cost is shared, so throughput scales with concurrency
 * while no delivery is acknowledged before it is durable.
 */
import type { Activity } from '../../schema/activity.ts';
import type { PutResult } from '../../store/store.ts';

interface Waiter {
  activities: Activity[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions {
  commit: (activities: Activity[]) => Promise<PutResult>;
  /** Wait this long for company before committing an idle-started batch (0: at once, after pending I/O). */
  windowMs: number;
  /** Commit early once this many activities wait. */
  maxEvents: number;
  onBatch?: (deliveries: number, activities: number, result: PutResult) => void;
}

export class GroupCommitter {
  readonly #o: GroupCommitOptions;
  #pending: Waiter[] = [];
  #pendingEvents = 0;
  #timer: { kind: 'timeout'; h: NodeJS.Timeout } | { kind: 'immediate'; h: NodeJS.Immediate } | null = null;
  #committing: Promise<void> | null = null;

  constructor(o: GroupCommitOptions) {
    this.#o = o;
  }

  /** Resolves once `activities` are durably committed; rejects when their batch failed. */
  submit(activities: Activity[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ activities, resolve, reject });
      this.#pendingEvents += activities.length;
      if (this.#committing) return; // the running commit picks this up when it ends
      if (this.#pendingEvents >= this.#o.maxEvents) this.#flushSoon(true);
      else this.#flushSoon(false);
    });
  }

  #flushSoon(now: boolean): void {
    if (this.#timer && !now) return;
    this.#clearTimer();
    const run = () => {
      this.#timer = null;
      void this.#flush();
    };
    this.#timer =
      now || this.#o.windowMs === 0 ? { kind: 'immediate', h: setImmediate(run) } : { kind: 'timeout', h: setTimeout(run, this.#o.windowMs) };
  }

  #clearTimer(): void {
    if (!this.#timer) return;
    if (this.#timer.kind === 'timeout') clearTimeout(this.#timer.h);
    else clearImmediate(this.#timer.h);
    this.#timer = null;
  }

  async #flush(): Promise<void> {
    if (this.#committing || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#pendingEvents = 0;
    // Redeliveries racing each other land in one batch: keep the first copy of each id.
    const seen = new Set<string>();
    const activities: Activity[] = [];
    for (const w of batch) for (const a of w.activities) if (!seen.has(a.id)) (seen.add(a.id), activities.push(a));
    this.#committing = (async () => {
      try {
        const result = activities.length ? await this.#o.commit(activities) : { inserted: 0, duplicates: 0, insertedIds: [] };
        this.#o.onBatch?.(batch.length, activities.length, result);
        for (const w of batch) w.resolve();
      } catch (err) {
        if (batch.length === 1) {
          batch[0].reject(err);
          return;
        }
        // One delivery the store refuses must not fail the others it was grouped with: each is tried alone, so
        // only the one that fails again is refused (and retried by its sender). A store that is down fails each.
        for (const w of batch) {
          try {
            const result = w.activities.length ? await this.#o.commit(w.activities) : { inserted: 0, duplicates: 0, insertedIds: [] };
            this.#o.onBatch?.(1, w.activities.length, result);
            w.resolve();
          } catch (alone) {
            w.reject(alone);
          }
        }
      }
    })();
    await this.#committing;
    this.#committing = null;
    // Whatever arrived during the commit forms the next group, committed at once.
    if (this.#pending.length) this.#flushSoon(true);
  }

  /** Commits whatever is pending and waits for it (shutdown). */
  async drain(): Promise<void> {
    while (this.#committing || this.#pending.length) {
      if (this.#committing) await this.#committing;
      else {
        this.#clearTimer();
        await this.#flush();
      }
    }
  }
}
