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
  /** Event time of the first activity seen for this tenant (learning is measured from it). */
  tenantFirstSeen(tenant: string): string;
  /** True while the tenant is in its learning period at `time`. */
  inLearning(tenant: string, time: string): boolean;
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
}
