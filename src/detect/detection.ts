/**
 * @module detect/detection
 * A detection is one file behind this interface, listed in detect/builtin/index.ts (built-in) or compiled
 * from a policy (detect/policy). The engine (detect/engine.ts) owns learning periods, scope, dedup and
 * cool-downs, so a detection only says what is anomalous and why.
 */
import type { Activity } from '../schema/activity.ts';
import type { AlertDraft, MitreTactic, Severity } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';

export interface DetectionContext {
  /** Directory entry of the activity's actor, when known. */
  directoryUser(a: Activity): DirectoryUser | null;
  /**
   * The actor's directory entry only when the directory reports it inactive or with a term date, else null.
   * Answered from a small index, so it is cheap enough to ask on every activity.
   */
  endedDirectoryUser(a: Activity): DirectoryUser | null;
  /** Increases whenever the directory changes (lets a detection cache directory answers per user). */
  readonly directoryVersion: number;
  /** Event time of the first activity seen for this tenant (learning is measured from it). */
  tenantFirstSeen(tenant: string): string;
  /** True while the tenant is in its learning period at `time`. */
  inLearning(tenant: string, time: string): boolean;
  // The fields below describe the activity being evaluated; the engine computes them once for all detections.
  /** The attributed user (userKey(): actor email lower-cased, else actor id). */
  readonly user: string | null;
  /** Event time of the activity, epoch milliseconds. */
  readonly timeMs: number;
  /** True when the activity's tenant is still learning at the activity's time. */
  readonly learning: boolean;
  /** Baseline window (detections.lookbackDays), milliseconds. */
  readonly lookbackMs: number;
  /** Distinct users seen for the tenant within the lookback (for "widely used by the organisation" suppressions). */
  tenantUserCount(tenant: string): number;
  /**
   * The attributed user's state record, one slot per registered detection (index = Detection.slot), or null
   * when the activity has no user. The engine keeps one record per user so that all detections share a single
   * lookup per activity, and forgets records untouched for the lookback.
   */
  readonly userSlots: unknown[] | null;
}

export interface Detection {
  readonly id: string;
  readonly title: string;
  readonly defaultSeverity: Severity;
  readonly mitreTactic: MitreTactic | null;
  /** Baselined detections raise nothing during the learning period (but still learn). */
  readonly learns: boolean;
  /** Look at one activity (in event-time order per user); return alerts to raise, if any. */
  evaluate(activity: Activity, ctx: DetectionContext): AlertDraft[];
  /** Serialisable state so a restart does not forget baselines. */
  exportState?(): unknown;
  importState?(state: unknown): void;
  /** Forget state last touched before `beforeMs` (event time): keeps memory bounded to the lookback. */
  prune?(beforeMs: number): void;
  /** True when the detection keeps per-user state in ctx.userSlots (only those get a slot in each user's record). */
  readonly userState?: boolean;
  /**
   * Consecutive slots the detection takes in each user's record (default 1). The first holds its state (and
   * marks the user as known to it); the others hold small values read on every activity, so the common case
   * touches the record alone, not a further object (one cache miss less per activity at 100k users).
   */
  readonly slotCount?: number;
  /** Assigned by the engine at registration when `userState`: this detection's (first) index in ctx.userSlots. */
  slot?: number;
  /**
   * Per-user slot state to JSON-safe data and back (default: the value itself). `rec` is the user's record, for
   * detections with more than one slot: deserializeUser fills their extra slots and returns the first one's value.
   */
  serializeUser?(state: unknown, rec: readonly unknown[]): unknown;
  deserializeUser?(data: unknown, rec: unknown[]): unknown;
}

/** Returned by evaluate() when nothing is anomalous: one shared empty array, no allocation per activity. */
export const NO_ALERTS: AlertDraft[] = [];
