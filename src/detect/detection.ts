/**
 * @module detect/detection
 * A detection is one file behind this interface, listed in detect/builtin/index.ts (built-in) or compiled
 * from a policy (detect/policy). The engine (detect/engine.ts) owns learning periods, scope, dedup and
 * cool-downs, so a detection only says what is anomalous and why.
 */
import type { Activity, Category, Geo, IpCategory, Outcome } from '../schema/activity.ts';
import type { AlertDraft, MitreTactic, Severity } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import { ipv4ToNumber } from '../enrich/ip.ts';

export interface DetectionContext {
  /** Directory entry of the activity's actor, when known. */
  directoryUser(a: Activity): DirectoryUser | null;
  /**
   * The actor's directory entry only when the directory reports it inactive or with a term date, else null.
   * Answered from a small index and cached per user until the directory changes, so it is cheap enough to ask
   * on every activity.
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
   * Whether the engine's scope for `det` (include/exclude users and groups, docs/detections.md) takes in `user`,
   * the activity's actor. The engine applies it to every alert about a user; a detection asks only where an
   * out-of-scope user would otherwise still count: toward an alert about someone or something else (password
   * spray, user null) or in tenant-wide state (impossible travel's alerted ISPs).
   */
  inScope(det: Detection, a: Activity, user: string): boolean;
  /**
   * The users' state records, one slot per registered detection, or null when the activity has no user: the
   * attributed user's slot for a detection is userSlots[userBase + Detection.slot]. The engine keeps one record
   * per user so that all detections share a single lookup per activity, all records in one array (no array
   * header to fetch before the values), and forgets records untouched for the lookback.
   */
  readonly userSlots: unknown[] | null;
  /** Where the attributed user's record starts in userSlots (0 when there is none). */
  readonly userBase: number;
  /** The activity's fields that detections read on every activity, read once by the engine (see ActivityFields). */
  readonly fields: ActivityFields;
}

/**
 * The fields of the activity being evaluated that detections look at on (almost) every activity, copied by the
 * engine in one pass before any detection runs; the same names and values as on the activity. At 100k users
 * the activity is cold in cache and these fields sit in several objects: read in one place, the processor
 * fetches them all at once, where each detection reading its own would wait for each miss in turn. One object
 * reused for every activity (valid during evaluate() only); paths that raise an alert read the activity itself.
 */
export class ActivityFields {
  id = '';
  category: Category = 'other';
  outcome: Outcome = 'unknown';
  interactive = false;
  isAdminActivity = false;
  impersonated = false;
  ip: string | null = null;
  geo: Geo | null = null;
  asn: number | null = null;
  ipCategory: IpCategory | null = null;
  ipTags: string[] = [];

  /** Copies the fields of `a`. */
  read(a: Activity): void {
    this.id = a.id;
    this.category = a.category;
    this.outcome = a.outcome;
    this.interactive = a.interactive;
    this.isAdminActivity = a.isAdminActivity;
    this.impersonated = a.impersonated;
    this.geo = a.geo;
    this.asn = a.asn;
    this.ipCategory = a.ipCategory;
    this.ipTags = a.ipTags;
    this.ip = a.ip;
  }
}

/**
 * A canonical dotted-quad IPv4 ("10.0.0.1", no leading zeros): returns its low 16 bits and leaves the high 16
 * for lastIpv4Hi(), else returns -1. Two such addresses are equal exactly when both halves are, so a detection
 * can keep an address as two small integers in a user's record and compare without reading the stored string.
 * Halves, not the 32-bit number: small integers are never boxed, so the hot path allocates nothing.
 */
let ipv4Hi = 0;
export function canonicalIpv4Lo(ip: string | null): number {
  if (ip === null) return -1;
  const n = ipv4ToNumber(ip); // the enricher's parser: NaN unless four octets without leading zeros
  if (Number.isNaN(n)) return -1;
  ipv4Hi = Math.floor(n / 65536);
  return n % 65536;
}

/** The high 16 bits of the address canonicalIpv4Lo last accepted. */
export const lastIpv4Hi = (): number => ipv4Hi;

export interface Detection {
  readonly id: string;
  readonly title: string;
  readonly defaultSeverity: Severity;
  readonly mitreTactic: MitreTactic | null;
  /** Baselined detections raise nothing during the learning period (but still learn). */
  readonly learns: boolean;
  /**
   * Look at one activity; return alerts to raise, if any. Activities come in event-time order within a batch, but
   * a late batch can bring older ones (docs/detections.md, "Late events"): counts must stay within one real window.
   */
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
   * Per-user slot state to JSON-safe data and back (default: the value itself). `rec` is the user's record alone
   * (its slots at Detection.slot, no userBase), for detections with more than one slot: deserializeUser fills
   * their extra slots and returns the first one's value.
   */
  serializeUser?(state: unknown, rec: readonly unknown[]): unknown;
  deserializeUser?(data: unknown, rec: unknown[]): unknown;
}

/** Returned by evaluate() when nothing is anomalous: one shared empty array, no allocation per activity. */
export const NO_ALERTS: AlertDraft[] = [];
