/**
 * @module detect/engine
 * Runs every registered detection over each activity and turns their drafts into alerts. The engine owns what
 * all detections share: the learning period (event time, per tenant), scope (include/exclude users and groups),
 * dedup with a cool-down (repeats fold into the open alert), alert construction, the directory, and the
 * export/import of all state so `serve` can restart without relearning.
 */
import { RampartError } from '../core/errors.ts';
import { stableId } from '../core/ids.ts';
import type { AlertProducer } from '../core/pipeline.ts';
import type { Activity } from '../schema/activity.ts';
import { SEVERITY_RANK, type Alert, type AlertDraft, type Severity } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import { createBuiltinDetections } from './builtin/index.ts';
import { DetectionsConfigSchema, type DetectionsConfig, type DetectionsConfigInput } from './config.ts';
import { ActivityFields, type Detection, type DetectionContext } from './detection.ts';
import { DAY_MS } from './geo.ts';

/** Engine-level options of one registered detection (built-ins take them from `detections.<id>`). */
export interface DetectionScope {
  enabled?: boolean;
  severity?: Severity;
  includeUsers?: string[];
  includeGroups?: string[];
  excludeUsers?: string[];
  excludeGroups?: string[];
  cooldownSecs?: number;
}

export interface EngineOptions {
  /** `detections` section of the config (defaults apply). */
  config?: DetectionsConfigInput;
  /** Register the eight built-ins (default true). */
  builtins?: boolean;
  /** Wall clock for createdAt/updatedAt (event time drives everything else). */
  clock?: () => number;
  /** At most this many activity ids kept on one alert. */
  maxActivityIdsPerAlert?: number;
  /** At most this many evidence strings kept on one alert. */
  maxEvidencePerAlert?: number;
}

interface Registration {
  det: Detection;
  enabled: boolean;
  severity: Severity | undefined;
  cooldownMs: number;
  includeUsers: Set<string>;
  includeGroups: Set<string>;
  excludeUsers: Set<string>;
  excludeGroups: Set<string>;
  scoped: boolean;
}

/**
 * One record per user shared by all detections, so an activity costs one table lookup and touches one small
 * run of values: a header (tenant, last event time, cached directory entry and the directory version it is
 * valid for, cached "ended" answer), then one slot per registered detection that keeps per-user state
 * (`userState`; Detection.slot). Stateless detections (activity policies, the IP reputation ones) take no room.
 * The records lie one after another in one array (UserTable.data), at `base` = the user's index x the record
 * length: an array per user would put its header (JSArray) in front of its values, one more cache miss per
 * activity at 100k users, and 48 bytes more per user.
 */
type UserRecord = unknown[];
const REC_TENANT = 0;
/** Last event time in whole seconds since 2020 (a small integer: no heap box, no allocation per update). */
const REC_LAST_SEC = 1;
const EPOCH_2020_MS = 1_577_836_800_000;
function toRecSec(ms: number): number {
  return Math.floor((ms - EPOCH_2020_MS) / 1000);
}
const REC_DIR = 2;
const REC_DIR_VERSION = 3;
/**
 * endedDirectoryUser's answer for the user, asked on every activity (terminated_user): the directory version
 * when the user is not ended (a small integer, no allocation), else { v: version, u: entry }. In the header,
 * on the cache line the engine has just read, not in a detection's slot further along the record.
 */
const REC_ENDED = 4;
const REC_HEADER = 5;

/**
 * The users' records: keys and records in first-seen order (export order, as a Map's insertion order would be)
 * and an open-addressing index over them. A Map lookup by the activity's user key costs several cache misses
 * at 100k users (bucket, entry, then each chained key's string header) before the record itself, one after
 * the other. The index keeps hash, key and the record's place side by side: a lookup reads one table line,
 * then the key's string and the record, which do not depend on each other (the processor fetches both at
 * once). Removal (pruning, daily) compacts the lists and rebuilds the index.
 */
class UserTable {
  /** [hash, key, base] triples; hash 0 marks a free one. Load at most 1/2. */
  #table: unknown[] = new Array(3 * 1024).fill(0);
  #mask = 1023;
  #keys: string[] = [];
  /**
   * User i's record is data[i * stride] to data[(i + 1) * stride - 1]. Grown by push (a large `new Array(n)`
   * would be a slow dictionary array) and only holds packed values (no holes).
   */
  data: unknown[] = [];
  #stride: number;
  /**
   * True once a key with a character that lower-casing may change (A-Z, non-ASCII) was added: only an actor id
   * can be such a key (emails are lower-cased first). While false, a key found equal to an activity's email
   * is that email's own key without checking the email's case (DetectionEngine.process).
   */
  mixedCase = false;

  constructor(stride: number) {
    this.#stride = stride;
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The user's record base in `data`, or -1. */
  get(key: string, h: number): number {
    const t = this.#table;
    const mask = this.#mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const th = t[3 * i];
      if (th === 0) return -1;
      if (th === h && t[3 * i + 1] === key) return t[3 * i + 2] as number;
    }
  }

  /** Adds a user not in the table, with a record of undefined values; returns its base. */
  add(key: string, h: number): number {
    const base = this.#keys.length * this.#stride;
    this.#keys.push(key);
    if (!this.mixedCase && lowerCaseMayChange(key)) this.mixedCase = true;
    const data = this.data;
    for (let j = 0; j < this.#stride; j++) data.push(undefined);
    // Grows 4x: each growth re-inserts every user at random places in a table larger than the cache.
    if (2 * this.#keys.length > this.#mask + 1) this.#rebuild(4 * (this.#mask + 1));
    else this.#put(h, key, base);
    return base;
  }

  /** Adds or replaces (in place, as Map.set does) the user's record with the values of `rec`. */
  set(key: string, rec: readonly unknown[]): void {
    const h = keyHash(key);
    let base = this.get(key, h);
    if (base < 0) base = this.add(key, h);
    for (let j = 0; j < this.#stride; j++) this.data[base + j] = rec[j];
  }

  key(i: number): string {
    return this.#keys[i];
  }

  base(i: number): number {
    return i * this.#stride;
  }

  /** A copy of the record at `base` (for export: detections read it with their own slot indices). */
  record(base: number): UserRecord {
    return this.data.slice(base, base + this.#stride);
  }

  clear(): void {
    this.mixedCase = false;
    this.#keys = [];
    this.data = [];
    this.#rebuild(1024);
  }

  /** Makes every record `stride` long (a detection with per-user state registered after users were seen). */
  setStride(stride: number): void {
    const old = this.data;
    const was = this.#stride;
    this.data = [];
    this.#stride = stride;
    for (let i = 0; i < this.#keys.length; i++) for (let j = 0; j < stride; j++) this.data.push(j < was ? old[i * was + j] : undefined);
    this.#rebuild(this.#mask + 1);
  }

  /** Removes the users whose record `drop` selects (given its base), keeping the others' order; returns how many it removed. */
  removeWhere(drop: (base: number) => boolean): number {
    const keys = this.#keys;
    const data = this.data;
    const stride = this.#stride;
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      if (drop(i * stride)) continue;
      if (n !== i) {
        keys[n] = keys[i];
        for (let j = 0; j < stride; j++) data[n * stride + j] = data[i * stride + j];
      }
      n++;
    }
    const removed = keys.length - n;
    if (removed > 0) {
      keys.length = n;
      data.length = n * stride;
      let cap = 1024;
      while (cap < 2 * n) cap *= 2;
      this.#rebuild(cap);
    }
    return removed;
  }

  #rebuild(cap: number): void {
    this.#table = new Array(3 * cap).fill(0);
    this.#mask = cap - 1;
    for (let i = 0; i < this.#keys.length; i++) this.#put(keyHash(this.#keys[i]), this.#keys[i], i * this.#stride);
  }

  #put(h: number, key: string, base: number): void {
    const t = this.#table;
    const mask = this.#mask;
    let i = h & mask;
    while (t[3 * i] !== 0) i = (i + 1) & mask;
    t[3 * i] = h;
    t[3 * i + 1] = key;
    t[3 * i + 2] = base;
  }
}

/** FNV-1a of the key, as a non-zero small integer (UserTable's hash; 0 marks a free triple). */
function keyHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 2) | 1;
}

/** True when `s` has a character that toLowerCase may change (A-Z or beyond ASCII). */
function lowerCaseMayChange(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) return true;
  }
  return false;
}

/** Buckets of DetectionEngine's ended-users filter (one byte each: 64 KB, kept in the L2 cache). */
const ENDED_FILTER_SIZE = 1 << 16;
/** A key hash's bucket in that filter (keyHash sets the lowest bit, so it is shifted out). */
const endedSlot = (h: number): number => (h >>> 1) & (ENDED_FILTER_SIZE - 1);

/** keyHash of the key userKeyAndHash last returned (a small integer in a variable: no allocation). */
let userKeyHash = 0;

/**
 * userKey(a) (actor email lower-cased, else actor id, else null) and its keyHash in one pass. An email with
 * nothing to lower-case is returned as it is: String.prototype.toLowerCase returns a new copy even then (40
 * bytes per activity, most of what the engine allocated).
 */
export function userKeyAndHash(a: Pick<Activity, 'actor'>): string | null {
  const email = a.actor.email;
  if (email === null || email === undefined) {
    const id = a.actor.id ?? null;
    if (id !== null) userKeyHash = keyHash(id);
    return id;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < email.length; i++) {
    const c = email.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c >= 128) {
      const lower = email.toLowerCase();
      userKeyHash = keyHash(lower);
      return lower;
    }
    h = Math.imul(h ^ c, 0x01000193);
  }
  userKeyHash = (h >>> 2) | 1;
  return email;
}

interface OpenAlert {
  alert: Alert;
  lastMs: number;
  cooldownMs: number;
}

export interface EngineState {
  version: 1;
  tenants: Array<[string, number]>;
  /** [user, tenant, lastMs, { detectionId: slot state }]. */
  users: Array<[string, string, number, Record<string, unknown>]>;
  openAlerts: OpenAlert[];
  detections: Record<string, unknown>;
}

/** Returned when an activity raises nothing: shared, never mutated (no allocation per event). */
const NO_ALERTS_OUT: Alert[] = [];
const lowerSet = (xs: readonly string[] | undefined) => new Set((xs ?? []).map((x) => x.toLowerCase()));
const PRUNE_EVERY_MS = DAY_MS;

export class DetectionEngine implements AlertProducer {
  readonly config: DetectionsConfig;
  readonly #regs: Registration[] = [];
  /** The enabled registrations, in order (the hot loop skips disabled ones without a check). */
  #enabled: Registration[] = [];
  /** Detections with per-user state (each has one slot in every user record). */
  #slotCount = 0;
  readonly #tenantFirst = new Map<string, number>();
  readonly #users = new UserTable(REC_HEADER);
  readonly #tenantUserCounts = new Map<string, number>();
  #dirVersion = 0;
  readonly #open = new Map<string, OpenAlert>();
  readonly #byId = new Map<string, Map<string, DirectoryUser>>(); // app -> id -> user
  readonly #byEmail = new Map<string, Map<string, DirectoryUser>>(); // app -> email -> user
  /** Only users the directory reports inactive or with a term date, by app then id / email (small, cache-friendly). */
  readonly #endedById = new Map<string, Map<string, DirectoryUser>>();
  readonly #endedByEmail = new Map<string, Map<string, DirectoryUser>>();
  /**
   * One byte per bucket of key hashes (all apps): set for the id and the lower-cased email of every ended user.
   * Most users are not ended, and a clear byte for both their id and email says so without the two maps,
   * whose lookups would hash the activity's fresh strings in full. Never cleared by updates (a stale byte only
   * sends a lookup on to the maps); reset by setDirectory.
   */
  readonly #endedFilter = new Uint8Array(ENDED_FILTER_SIZE);
  /** keyHash of the current activity's user key (process sets it; the lower-cased email's when it has one). */
  #userHash = 0;
  readonly #clock: () => number;
  readonly #maxIds: number;
  readonly #maxEvidence: number;
  readonly #learningMs: number;
  readonly #lookbackMs: number;
  #lastPruneMs = -Infinity;
  /**
   * At most the smallest REC_LAST_SEC of any record (records only move it up): when the prune's cut-off is not
   * above it, no user can be stale and the daily prune skips the pass over every record (a cache miss each).
   */
  #minLastSec = Infinity;
  #maxTimeMs = -Infinity;
  readonly #ctx: MutableContext;

  constructor(opts: EngineOptions = {}) {
    this.config = DetectionsConfigSchema.parse(opts.config ?? {});
    this.#clock = opts.clock ?? Date.now;
    this.#maxIds = opts.maxActivityIdsPerAlert ?? 100;
    this.#maxEvidence = opts.maxEvidencePerAlert ?? 50;
    this.#learningMs = this.config.learningDays * DAY_MS;
    this.#lookbackMs = this.config.lookbackDays * DAY_MS;
    this.#ctx = new MutableContext(this);
    if (opts.builtins !== false) {
      for (const { detection, config } of createBuiltinDetections(this.config)) this.register(detection, config);
    }
  }

  /** Adds a detection (activity policies plug in here). Ids must be unique. */
  register(det: Detection, scope: DetectionScope = {}): void {
    if (this.#regs.some((r) => r.det.id === det.id)) throw new RampartError('RAMPART_ERR_DETECT_DUPLICATE', [det.id]);
    const reg: Registration = {
      det,
      enabled: scope.enabled ?? true,
      severity: scope.severity,
      cooldownMs: (scope.cooldownSecs ?? 86_400) * 1000,
      includeUsers: lowerSet(scope.includeUsers),
      includeGroups: lowerSet(scope.includeGroups),
      excludeUsers: lowerSet(scope.excludeUsers),
      excludeGroups: lowerSet(scope.excludeGroups),
      scoped: false,
    };
    reg.scoped = reg.includeUsers.size + reg.includeGroups.size + reg.excludeUsers.size + reg.excludeGroups.size > 0;
    if (det.userState) {
      det.slot = REC_HEADER + this.#slotCount;
      this.#slotCount += det.slotCount ?? 1;
      this.#users.setStride(REC_HEADER + this.#slotCount);
    }
    this.#regs.push(reg);
    this.#enabled = this.#regs.filter((r) => r.enabled);
  }

  /**
   * Removes a detection that keeps no per-user state (activity policies reloaded after an API change); returns
   * whether it was registered. Detections with per-user slots stay for the engine's lifetime.
   */
  unregister(id: string): boolean {
    const i = this.#regs.findIndex((r) => r.det.id === id);
    if (i < 0) return false;
    if (this.#regs[i].det.userState) throw new RampartError('RAMPART_ERR_DETECT_DUPLICATE', [`${id} (keeps per-user state and cannot be unregistered)`]);
    this.#regs.splice(i, 1);
    this.#enabled = this.#regs.filter((r) => r.enabled);
    return true;
  }

  /** The registered detections, in evaluation order. */
  get detections(): readonly Detection[] {
    return this.#regs.map((r) => r.det);
  }

  /** Replaces the directory (full sync / SCIM export). */
  setDirectory(users: readonly DirectoryUser[]): void {
    this.#byId.clear();
    this.#byEmail.clear();
    this.#endedById.clear();
    this.#endedByEmail.clear();
    this.#endedFilter.fill(0);
    this.updateDirectory(users);
  }

  /** Adds or replaces directory entries (incremental sync, e.g. a reactivation). */
  updateDirectory(users: readonly DirectoryUser[]): void {
    this.#dirVersion++;
    for (const u of users) {
      let ids = this.#byId.get(u.app);
      if (!ids) this.#byId.set(u.app, (ids = new Map()));
      const old = ids.get(u.id);
      if (old?.email) this.#byEmail.get(u.app)?.delete(old.email.toLowerCase());
      if (old) {
        this.#endedById.get(u.app)?.delete(old.id);
        if (old.email) this.#endedByEmail.get(u.app)?.delete(old.email.toLowerCase());
      }
      if (!u.active || u.termDate) {
        let byId = this.#endedById.get(u.app);
        if (!byId) this.#endedById.set(u.app, (byId = new Map()));
        byId.set(u.id, u);
        this.#endedFilter[endedSlot(keyHash(u.id))] = 1;
        if (u.email) {
          let byEmail = this.#endedByEmail.get(u.app);
          if (!byEmail) this.#endedByEmail.set(u.app, (byEmail = new Map()));
          byEmail.set(u.email.toLowerCase(), u);
          this.#endedFilter[endedSlot(keyHash(u.email.toLowerCase()))] = 1;
        }
      }
      ids.set(u.id, u);
      if (u.email) {
        let emails = this.#byEmail.get(u.app);
        if (!emails) this.#byEmail.set(u.app, (emails = new Map()));
        emails.set(u.email.toLowerCase(), u);
      }
    }
  }

  /** Directory entry by app and user id or email (activity policies' user filters use it). */
  lookupUser(app: string, idOrEmail: string): DirectoryUser | null {
    return this.#byId.get(app)?.get(idOrEmail) ?? this.#byEmail.get(app)?.get(idOrEmail.toLowerCase()) ?? null;
  }

  /** Directory entry of the activity's actor: by actor id, else by email, within the activity's app. */
  directoryUser(a: Activity): DirectoryUser | null {
    if (this.#byId.size === 0) return null;
    const id = a.actor.id;
    if (id !== null) {
      const u = this.#byId.get(a.app)?.get(id);
      if (u) return u;
    }
    const email = a.actor.email;
    return email !== null ? (this.#byEmail.get(a.app)?.get(email.toLowerCase()) ?? null) : null;
  }

  get directoryVersion(): number {
    return this.#dirVersion;
  }

  /**
   * The actor's directory entry when the directory reports it inactive or with a term date, else null.
   * `lowerEmail`: the actor's email in lower case when the caller has it (the user key: no copy to make), and
   * `lowerEmailHash` its keyHash when known (else 0).
   */
  endedDirectoryUser(a: Activity, lowerEmail: string | null = null, lowerEmailHash = 0): DirectoryUser | null {
    if (this.#endedById.size === 0) return null;
    const id = a.actor.id;
    const email = a.actor.email;
    const filter = this.#endedFilter;
    if (
      (typeof id !== 'string' || filter[endedSlot(keyHash(id))] === 0) &&
      (typeof email !== 'string' || filter[endedSlot(lowerEmailHash !== 0 ? lowerEmailHash : keyHash(lowerEmail ?? email.toLowerCase()))] === 0)
    ) {
      return null;
    }
    if (id !== null) {
      const u = this.#endedById.get(a.app)?.get(id);
      if (u) return u;
      // The id names a directory account that has not ended: the email is only a fallback for ids the directory
      // does not know, not a way to pin a re-registered user's activity on the old account with that address.
      if (this.#byId.get(a.app)?.has(id)) return null;
    }
    if (email === null) return null;
    return this.#endedByEmail.get(a.app)?.get(lowerEmail ?? email.toLowerCase()) ?? null;
  }

  tenantFirstSeenMs(tenant: string): number | undefined {
    return this.#tenantFirst.get(tenant);
  }

  tenantUserCount(tenant: string): number {
    return this.#tenantUserCounts.get(tenant) ?? 0;
  }

  /** Directory entry for the current activity, cached on the user's record until the directory changes. */
  cachedDirectoryUser(a: Activity, base: number): DirectoryUser | null {
    if (base < 0) return this.directoryUser(a);
    const rec = this.#users.data;
    if (rec[base + REC_DIR_VERSION] !== this.#dirVersion) {
      rec[base + REC_DIR] = this.directoryUser(a);
      rec[base + REC_DIR_VERSION] = this.#dirVersion;
    }
    return rec[base + REC_DIR] as DirectoryUser | null;
  }

  /** endedDirectoryUser for the current activity, cached on the user's record until the directory changes. */
  cachedEndedDirectoryUser(a: Activity, base: number, lowerEmail: string | null): DirectoryUser | null {
    const rec = this.#users.data;
    const v = this.#dirVersion;
    const cached = rec[base + REC_ENDED] as number | { v: number; u: DirectoryUser };
    if (cached === v) return null;
    if (typeof cached === 'object' && cached.v === v) return cached.u;
    const u = this.endedDirectoryUser(a, lowerEmail, lowerEmail === null ? 0 : this.#userHash);
    rec[base + REC_ENDED] = u === null ? v : { v, u };
    return u;
  }

  inLearningMs(tenant: string, timeMs: number): boolean {
    const first = this.#tenantFirst.get(tenant);
    return first === undefined || timeMs < first + this.#learningMs;
  }

  get lookbackMs(): number {
    return this.#lookbackMs;
  }

  /** Evaluates one activity; returns new or updated alerts (the empty result is shared: do not mutate it). */
  process(a: Activity): Alert[] {
    // First, so that the loads of the activity's fields (cold in cache) overlap with each other and with the rest.
    this.#ctx.fields.read(a);
    // Whole days and the ms within the day are small integers: a number returned from a call that is not
    // inlined is boxed (allocated) unless it is one, and the epoch ms is not.
    const isoDay = isoDayNumber(a.time);
    const timeMs = isoDay !== NOT_PLAIN ? isoDay * 86_400_000 + isoMsOfDay : parseIsoMs(a.time);
    if (Number.isNaN(timeMs)) return NO_ALERTS_OUT;
    const tenant = a.tenant;
    let first = this.#tenantFirst.get(tenant);
    if (first === undefined || timeMs < first) this.#tenantFirst.set(tenant, (first = timeMs));
    // While no stored key has upper case (UserTable.mixedCase), an email found as it is is its own key: the
    // common case hashes it without checking each character's case (userKeyAndHash does that for the others:
    // new users, upper case, no email). With such keys, the email must also have nothing to lower-case.
    const email = a.actor.email;
    let user: string | null;
    let h: number;
    let base = -1;
    const users = this.#users;
    if (email !== null && email !== undefined && (base = users.get(email, (h = keyHash(email)))) >= 0 && (!users.mixedCase || !lowerCaseMayChange(email))) user = email;
    else {
      user = userKeyAndHash(a);
      h = userKeyHash;
      // When the key is the email itself, the lookup above already missed.
      if (user !== null && user !== email) base = users.get(user, h);
    }
    this.#userHash = h;
    if (user !== null) {
      if (base < 0) {
        base = this.#users.add(user, h);
        this.#initRecord(this.#users.data, base, tenant, timeMs);
        this.#tenantUserCounts.set(tenant, (this.#tenantUserCounts.get(tenant) ?? 0) + 1);
      } else {
        const rec = this.#users.data;
        const sec = toRecSec(timeMs);
        if (sec > (rec[base + REC_LAST_SEC] as number)) rec[base + REC_LAST_SEC] = sec;
      }
    }
    if (timeMs > this.#maxTimeMs) this.#maxTimeMs = timeMs;
    if (this.#maxTimeMs - this.#lastPruneMs >= PRUNE_EVERY_MS) {
      this.#prune(this.#maxTimeMs);
      if (user !== null) base = this.#users.get(user, h); // compaction moves records
    }

    const ctx = this.#ctx;
    ctx.set(a, user, timeMs < first + this.#learningMs, base < 0 ? null : this.#users.data, base);
    ctx.timeMs = timeMs; // assigned here, not passed: a number argument to a call not inlined would be boxed
    // Unrolled: registration order is fixed, so each call site below sees one detection class and its call is
    // monomorphic (inlinable). One call site in a loop sees every class: a megamorphic lookup per detection per
    // activity (the unrolled sites measured +5% pinned to one core; docs/detections.md, "Performance and memory").
    const regs = this.#enabled;
    const n = regs.length;
    let out: Alert[] | null = null;
    let d: AlertDraft[];
    if (n > 0 && (d = regs[0].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[0], d, a, timeMs, user, out);
    if (n > 1 && (d = regs[1].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[1], d, a, timeMs, user, out);
    if (n > 2 && (d = regs[2].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[2], d, a, timeMs, user, out);
    if (n > 3 && (d = regs[3].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[3], d, a, timeMs, user, out);
    if (n > 4 && (d = regs[4].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[4], d, a, timeMs, user, out);
    if (n > 5 && (d = regs[5].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[5], d, a, timeMs, user, out);
    if (n > 6 && (d = regs[6].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[6], d, a, timeMs, user, out);
    if (n > 7 && (d = regs[7].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[7], d, a, timeMs, user, out);
    for (let i = 8; i < n; i++) if ((d = regs[i].det.evaluate(a, ctx)).length !== 0) out = this.#raiseAll(regs[i], d, a, timeMs, user, out);
    return out ?? NO_ALERTS_OUT;
  }

  /** Turns one detection's drafts for the activity into alerts (scope, learning, dedup), appended to `out`. */
  #raiseAll(r: Registration, drafts: AlertDraft[], a: Activity, timeMs: number, user: string | null, out: Alert[] | null): Alert[] | null {
    if (r.det.learns && this.#ctx.learning) return out;
    for (const d of drafts) {
      const alertUser = d.user === undefined ? user : d.user;
      if (r.scoped && alertUser !== null && !this.#inScope(r, a, alertUser)) continue;
      (out ??= []).push(this.#raise(r, d, a, timeMs, alertUser));
    }
    return out;
  }

  /**
   * Whether `det`'s scope takes in `user` for the activity `a` (DetectionContext.inScope): true for a detection
   * without scope settings or not registered here.
   */
  inScope(det: Detection, a: Activity, user: string): boolean {
    const regs = this.#regs;
    for (let i = 0; i < regs.length; i++) if (regs[i].det === det) return !regs[i].scoped || this.#inScope(regs[i], a, user);
    return true;
  }

  /** Exclude wins; an empty include list includes everyone. Groups also match the directory department. */
  #inScope(r: Registration, a: Activity, user: string): boolean {
    const actorId = a.actor.id?.toLowerCase() ?? null;
    const dir = r.includeGroups.size + r.excludeGroups.size > 0 ? this.#ctx.directoryUser(a) : null;
    const groups = dir ? [...dir.groups, ...(dir.department ? [dir.department] : [])].map((g) => g.toLowerCase()) : [];
    if (r.excludeUsers.has(user) || (actorId !== null && r.excludeUsers.has(actorId))) return false;
    if (groups.some((g) => r.excludeGroups.has(g))) return false;
    if (r.includeUsers.size + r.includeGroups.size === 0) return true;
    if (r.includeUsers.has(user) || (actorId !== null && r.includeUsers.has(actorId))) return true;
    return groups.some((g) => r.includeGroups.has(g));
  }

  #raise(r: Registration, d: AlertDraft, a: Activity, timeMs: number, user: string | null): Alert {
    const det = r.det;
    const dedupKey = `${det.id}|${user ?? ''}|${d.key ?? ''}`;
    const now = new Date(this.#clock()).toISOString();
    const severity: Severity = d.severity ?? r.severity ?? det.defaultSeverity;
    const open = this.#open.get(dedupKey);
    if (open && timeMs - open.lastMs <= open.cooldownMs) {
      const al = open.alert;
      al.count += 1;
      if (a.time > al.lastSeen) al.lastSeen = a.time;
      if (timeMs > open.lastMs) open.lastMs = timeMs;
      for (const id of d.activityIds) if (al.activityIds.length < this.#maxIds && !al.activityIds.includes(id)) al.activityIds.push(id);
      if (d.cumulative) {
        al.evidence = d.evidence.slice(0, this.#maxEvidence);
        if (d.description) al.description = d.description;
      } else for (const e of d.evidence) if (al.evidence.length < this.#maxEvidence && !al.evidence.includes(e)) al.evidence.push(e);
      for (const ip of d.ips ?? (a.ip ? [a.ip] : [])) if (al.ips.length < 20 && !al.ips.includes(ip)) al.ips.push(ip);
      al.details = d.details;
      if (SEVERITY_RANK[severity] > SEVERITY_RANK[al.severity]) {
        al.severity = severity;
        al.title = d.title;
        if (d.description) al.description = d.description;
      }
      al.updatedAt = now;
      return copyAlert(al);
    }
    const alert: Alert = {
      id: stableId('alert', det.id, user, d.key ?? '', a.id),
      detection: det.id,
      title: d.title,
      description: d.description ?? '',
      severity,
      status: 'new',
      user,
      userId: user === null ? null : a.actor.id,
      app: a.app,
      tenant: a.tenant,
      time: a.time,
      firstSeen: a.time,
      lastSeen: a.time,
      count: 1,
      activityIds: d.activityIds.slice(0, this.#maxIds),
      evidence: d.evidence.slice(0, this.#maxEvidence),
      details: d.details,
      mitreTactic: det.mitreTactic,
      ips: (d.ips ?? (a.ip ? [a.ip] : [])).slice(0, 20),
      dedupKey,
      assignee: null,
      classification: null,
      classificationReason: null,
      comment: null,
      createdAt: now,
      updatedAt: now,
    };
    this.#open.set(dedupKey, { alert, lastMs: timeMs, cooldownMs: r.cooldownMs });
    return copyAlert(alert);
  }

  /** Writes a new record's header at `base` (its slots are undefined). */
  #initRecord(rec: UserRecord, base: number, tenant: string, lastMs: number): void {
    rec[base + REC_TENANT] = tenant;
    const sec = toRecSec(lastMs);
    rec[base + REC_LAST_SEC] = sec;
    // NaN (an imported state's bad time) is pruned by the pass, as before: it forces passes until then.
    if (!(sec >= this.#minLastSec)) this.#minLastSec = Number.isNaN(sec) ? -Infinity : sec;
    rec[base + REC_DIR] = null;
    rec[base + REC_DIR_VERSION] = -1;
    rec[base + REC_ENDED] = -1;
  }

  #prune(nowMs: number): void {
    this.#lastPruneMs = nowMs;
    for (const [k, o] of this.#open) if (nowMs - o.lastMs > o.cooldownMs) this.#open.delete(k);
    const before = nowMs - this.#lookbackMs;
    const cutoff = toRecSec(before);
    if (cutoff > this.#minLastSec) {
      let min = Infinity;
      const rec = this.#users.data;
      this.#users.removeWhere((base) => {
        const sec = rec[base + REC_LAST_SEC] as number;
        if (sec >= cutoff) {
          if (sec < min) min = sec;
          return false;
        }
        const tenant = rec[base + REC_TENANT] as string;
        this.#tenantUserCounts.set(tenant, (this.#tenantUserCounts.get(tenant) ?? 1) - 1);
        return true;
      });
      this.#minLastSec = min;
    }
    for (const r of this.#regs) r.det.prune?.(before);
  }

  /** Number of alerts still open for dedup (for tests and metrics). */
  get openAlertCount(): number {
    return this.#open.size;
  }

  /** One user's learned state per detection (serialised as in exportState), for the API's user page; null when unknown. */
  userState(user: string): Record<string, unknown> | null {
    const base = this.#users.get(user, keyHash(user));
    if (base < 0) return null;
    const rec = this.#users.record(base);
    const slots: Record<string, unknown> = {};
    for (const r of this.#regs) {
      if (r.det.slot === undefined) continue;
      const v = rec[r.det.slot];
      if (v !== undefined) slots[r.det.id] = r.det.serializeUser ? r.det.serializeUser(v, rec) : v;
    }
    return slots;
  }

  /** Everything needed to continue after a restart: learning clocks, open alerts, every detection's baselines. */
  exportState(): EngineState {
    const detections: Record<string, unknown> = {};
    for (const r of this.#regs) if (r.det.exportState) detections[r.det.id] = r.det.exportState();
    const users: EngineState['users'] = [];
    for (let i = 0; i < this.#users.size; i++) {
      const u = this.#users.key(i);
      const rec = this.#users.record(this.#users.base(i));
      const slots: Record<string, unknown> = {};
      for (const r of this.#regs) {
        if (r.det.slot === undefined) continue;
        const v = rec[r.det.slot];
        if (v !== undefined) slots[r.det.id] = r.det.serializeUser ? r.det.serializeUser(v, rec) : v;
      }
      users.push([u, rec[REC_TENANT] as string, (rec[REC_LAST_SEC] as number) * 1000 + EPOCH_2020_MS, slots]);
    }
    return {
      version: 1,
      tenants: [...this.#tenantFirst],
      users,
      openAlerts: [...this.#open.values()].map((o) => ({ ...o, alert: copyAlert(o.alert) })),
      detections,
    };
  }

  /** Restores exportState() output. Unknown detections' state is ignored; a malformed state throws. */
  importState(state: unknown): void {
    const s = state as Partial<EngineState> | null;
    if (!s || typeof s !== 'object' || s.version !== 1 || !Array.isArray(s.tenants) || !Array.isArray(s.openAlerts) || !Array.isArray(s.users)) {
      throw new RampartError('RAMPART_ERR_DETECT_STATE_INVALID', ['engine', 'not a version 1 engine state']);
    }
    this.#tenantFirst.clear();
    for (const [t, ms] of s.tenants) this.#tenantFirst.set(String(t), Number(ms));
    this.#users.clear();
    this.#minLastSec = Infinity;
    this.#tenantUserCounts.clear();
    const byId = new Map(this.#regs.map((r) => [r.det.id, r.det]));
    try {
      for (const [u, tenant, lastMs, slots] of s.users) {
        const rec: UserRecord = new Array(REC_HEADER + this.#slotCount).fill(undefined);
        this.#initRecord(rec, 0, String(tenant), Number(lastMs));
        for (const [id, v] of Object.entries(slots ?? {})) {
          const det = byId.get(id);
          if (det?.slot !== undefined) rec[det.slot] = det.deserializeUser ? det.deserializeUser(v, rec) : v;
        }
        this.#users.set(u, rec);
        this.#tenantUserCounts.set(tenant, (this.#tenantUserCounts.get(tenant) ?? 0) + 1);
      }
    } catch (err) {
      throw new RampartError('RAMPART_ERR_DETECT_STATE_INVALID', ['engine users', err instanceof Error ? err.message : String(err)], { cause: err });
    }
    this.#open.clear();
    for (const o of s.openAlerts) {
      this.#open.set(o.alert.dedupKey, { alert: copyAlert(o.alert), lastMs: o.lastMs, cooldownMs: o.cooldownMs });
      if (o.lastMs > this.#maxTimeMs) this.#maxTimeMs = o.lastMs;
    }
    for (const r of this.#regs) {
      const ds = s.detections?.[r.det.id];
      if (ds === undefined || !r.det.importState) continue;
      try {
        r.det.importState(ds);
      } catch (err) {
        throw new RampartError('RAMPART_ERR_DETECT_STATE_INVALID', [r.det.id, err instanceof Error ? err.message : String(err)], { cause: err });
      }
    }
  }
}

/**
 * Epoch ms of an ISO time. Activity times are normalised to `YYYY-MM-DDTHH:mm:ss.sssZ`, which is read by
 * position (several times faster than Date.parse on the hot path); anything else goes to Date.parse. The
 * arithmetic is Date.UTC's (MakeDay/MakeTime) without calling it: Date.UTC returns a heap-allocated number,
 * one allocation per activity, which the engine otherwise avoids. Fields outside its plain range (a year
 * below 100, which Date.UTC maps to 19xx; a month outside 1-12; a non-digit) go to Date.UTC itself.
 */
export function parseIsoMs(s: string): number {
  const day = isoDayNumber(s);
  if (day !== NOT_PLAIN) return day * 86_400_000 + isoMsOfDay;
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) return Date.parse(s);
  const t = Date.UTC(
    digit(s, 0) * 1000 + digit(s, 1) * 100 + digit(s, 2) * 10 + digit(s, 3),
    digit(s, 5) * 10 + digit(s, 6) - 1,
    digit(s, 8) * 10 + digit(s, 9),
    digit(s, 11) * 10 + digit(s, 12),
    digit(s, 14) * 10 + digit(s, 15),
    digit(s, 17) * 10 + digit(s, 18),
    digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22),
  );
  return Number.isNaN(t) ? Date.parse(s) : t;
}

/** isoDayNumber's answer when the time is not a plain `YYYY-MM-DDTHH:mm:ss.sssZ` (then parseIsoMs decides). */
const NOT_PLAIN = -0x3fffffff;

/**
 * Set by isoDayNumber when it returns a day: the milliseconds within that day (hours, minutes, seconds as
 * written, as Date.UTC adds them). A small integer in a variable, so the caller gets both numbers from one
 * pass over the string without an allocation.
 */
let isoMsOfDay = 0;

/**
 * Days since 1970 of a plain `YYYY-MM-DDTHH:mm:ss.sssZ` (its 17 digit positions hold digits, year >= 100,
 * month 1-12), else NOT_PLAIN. One pass: each field's digits are read once, and `d | (9 - d)` is negative
 * exactly when d is not 0-9, so the OR of them all checks every digit with one branch.
 */
function isoDayNumber(s: string): number {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) return NOT_PLAIN;
  const y0 = digit(s, 0), y1 = digit(s, 1), y2 = digit(s, 2), y3 = digit(s, 3);
  const mo0 = digit(s, 5), mo1 = digit(s, 6), d0 = digit(s, 8), d1 = digit(s, 9);
  const h0 = digit(s, 11), h1 = digit(s, 12), mi0 = digit(s, 14), mi1 = digit(s, 15), s0 = digit(s, 17), s1 = digit(s, 18);
  const f0 = digit(s, 20), f1 = digit(s, 21), f2 = digit(s, 22);
  const bad =
    y0 | (9 - y0) | y1 | (9 - y1) | y2 | (9 - y2) | y3 | (9 - y3) | mo0 | (9 - mo0) | mo1 | (9 - mo1) | d0 | (9 - d0) | d1 | (9 - d1) |
    h0 | (9 - h0) | h1 | (9 - h1) | mi0 | (9 - mi0) | mi1 | (9 - mi1) | s0 | (9 - s0) | s1 | (9 - s1) | f0 | (9 - f0) | f1 | (9 - f1) | f2 | (9 - f2);
  if (bad < 0) return NOT_PLAIN;
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = mo0 * 10 + mo1;
  if (year < 100 || month < 1 || month > 12) return NOT_PLAIN;
  isoMsOfDay = (h0 * 10 + h1) * 3_600_000 + (mi0 * 10 + mi1) * 60_000 + (s0 * 10 + s1) * 1000 + f0 * 100 + f1 * 10 + f2;
  return daysFromCivil(year, month, d0 * 10 + d1);
}

function digit(s: string, i: number): number {
  return s.charCodeAt(i) - 48;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (year >= 0; day may overflow the month, as in Date.UTC). */
function daysFromCivil(y: number, m: number, d: number): number {
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function copyAlert(a: Alert): Alert {
  return { ...a, activityIds: [...a.activityIds], evidence: [...a.evidence], ips: [...a.ips] };
}

/** One context object reused for every activity (no allocation per event). */
class MutableContext implements DetectionContext {
  readonly #engine: DetectionEngine;
  #activity: Activity | null = null;
  #base = -1;
  user: string | null = null;
  userSlots: unknown[] | null = null;
  userBase = 0;
  timeMs = 0;
  learning = false;
  readonly lookbackMs: number;
  readonly fields = new ActivityFields();

  constructor(engine: DetectionEngine) {
    this.#engine = engine;
    this.lookbackMs = engine.lookbackMs;
  }

  set(a: Activity, user: string | null, learning: boolean, records: UserRecord | null, base: number): void {
    this.#activity = a;
    this.#base = base;
    this.userSlots = records;
    this.userBase = base < 0 ? 0 : base;
    this.user = user;
    this.learning = learning;
  }

  directoryUser(a: Activity): DirectoryUser | null {
    if (a !== this.#activity) return this.#engine.directoryUser(a);
    return this.#engine.cachedDirectoryUser(a, this.#base);
  }

  tenantFirstSeen(tenant: string): string {
    const ms = this.#engine.tenantFirstSeenMs(tenant);
    return ms === undefined ? '' : new Date(ms).toISOString();
  }

  inLearning(tenant: string, time: string): boolean {
    return this.#engine.inLearningMs(tenant, Date.parse(time));
  }

  tenantUserCount(tenant: string): number {
    return this.#engine.tenantUserCount(tenant);
  }

  inScope(det: Detection, a: Activity, user: string): boolean {
    return this.#engine.inScope(det, a, user);
  }

  endedDirectoryUser(a: Activity): DirectoryUser | null {
    if (a !== this.#activity) return this.#engine.endedDirectoryUser(a);
    // The user key of an actor with an email is that email in lower case.
    const lowerEmail = a.actor.email !== null ? this.user : null;
    if (this.#base < 0) return this.#engine.endedDirectoryUser(a, lowerEmail);
    return this.#engine.cachedEndedDirectoryUser(a, this.#base, lowerEmail);
  }

  get directoryVersion(): number {
    return this.#engine.directoryVersion;
  }
}
