/**
 * @module detect/policy/compile
 * Compiles policies once into predicates, indexes them by app and action so an event only meets the policies
 * that can match it, and runs the stateful part: repeated-activity windows, the daily alert limit and the
 * automatic disable of runaway policies. `PolicySet.detections()` hands each policy to the detection engine
 * as an ordinary `Detection`; the set evaluates an activity once for all of them.
 */
import { RampartError } from '../../core/errors.ts';
import { userKey, type Activity } from '../../schema/activity.ts';
import type { AlertDraft } from '../../schema/alert.ts';
import type { Detection } from '../detection.ts';
import { densestWindowAround, sortedInsertIndex, windowHi, windowLo } from '../window.ts';
import type { FilterEnv } from './fields.ts';
import { compileFilter, FilterCompileError, type CompiledFilter, type FilterCondition, type FilterIssue } from './filters.ts';
import { PolicySchema, type Policy, type PolicyInput, type RepeatedActOn } from './schema.ts';
import { wordsOf } from './operators.ts';

/** MDCA: "Policies that trigger more than 200,000 matches per day, or 100,000 matches per 3 hours, may be disabled automatically". */
export const DEFAULT_AUTO_DISABLE = { maxMatchesPerDay: 200_000, maxMatchesPer3Hours: 100_000 } as const;

const THREE_HOURS_MS = 3 * 3_600_000;
const MINUTE_MS = 60_000;
/** Activity ids kept on a repeated-activity alert (the count says how many there were). */
const MAX_ALERT_ACTIVITY_IDS = 100;
const MAX_ALERT_IPS = 20;
/** Sweep idle per-user windows every this many evaluations of a policy. */
const SWEEP_EVERY = 10_000;

export const policyDetectionId = (name: string): string => `policy:${name}`;

export interface CompiledPolicy {
  readonly policy: Policy;
  /** `policy:<name>`, the alert's `detection`. */
  readonly detectionId: string;
  readonly filter: CompiledFilter;
  /** Lower-cased apps / actions from positive equality conditions; null = any (the catch-all bucket). */
  readonly apps: readonly string[] | null;
  readonly actions: readonly string[] | null;
  /** When no exact actions: first words of a positive, unquoted `action contains` (the action must hold one). */
  readonly actionWords: readonly string[] | null;
  /** Position in the set, so results come out in a stable order. */
  readonly ordinal: number;
}

/** Compiles one policy (raw or parsed). Throws FilterCompileError with paths relative to the policy object. */
export function compilePolicy(input: Policy | PolicyInput, env: FilterEnv = {}, ordinal = 0): CompiledPolicy {
  const parsed = PolicySchema.safeParse(input);
  if (!parsed.success) {
    const issues: FilterIssue[] = parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message }));
    // The schema stops before compiling filters; compile them anyway so one pass reports every problem.
    const filters = (input as { filters?: unknown } | null)?.filters;
    if (Array.isArray(filters) && !issues.some((i) => i.path[0] === 'filters')) {
      try {
        compileFilter(filters as FilterCondition[], env);
      } catch (e) {
        if (!(e instanceof FilterCompileError)) throw e;
        issues.push(...e.issues.map((i) => ({ ...i, path: ['filters', ...i.path] })));
      }
    }
    throw new FilterCompileError(issues);
  }
  const policy = parsed.data;
  let filter: CompiledFilter;
  try {
    filter = compileFilter(policy.filters, env);
  } catch (e) {
    if (e instanceof FilterCompileError) throw new FilterCompileError(e.issues.map((i) => ({ ...i, path: ['filters', ...i.path] })));
    throw e;
  }
  const actions = indexKeys(filter, 'action');
  return { policy, detectionId: policyDetectionId(policy.name), filter, apps: indexKeys(filter, 'app'), actions, actionWords: actions ? null : wordKeys(filter), ordinal };
}

/**
 * For `action contains v1 | v2 ...` (positive, unquoted): the first word of each value. An action can only
 * match when its words include one of them, so the policy can be filed under those words.
 */
function wordKeys(filter: CompiledFilter): string[] | null {
  for (const c of filter.conditions) {
    if (c.field !== 'action' || c.not || c.op !== 'contains') continue;
    if (c.values.some((v) => v.length >= 2 && v.startsWith('"') && v.endsWith('"'))) continue;
    const firsts = c.values.map((v) => wordsOf(v)[0]);
    if (firsts.every((w): w is string => Boolean(w))) return [...new Set(firsts)];
  }
  return null;
}

/** Values of the first positive equality condition on `field`; such a condition must hold, so it can index. */
function indexKeys(filter: CompiledFilter, field: 'app' | 'action'): string[] | null {
  for (const c of filter.conditions) {
    if (c.field === field && !c.not && (c.op === 'eq' || c.op === 'in')) return [...new Set(c.values.map((v) => v.toLowerCase()))];
  }
  return null;
}

export interface AutoDisableRecord {
  policy: string;
  reason: 'matches_per_day' | 'matches_per_3_hours';
  /** Matches counted when the threshold was crossed, and the threshold. */
  count: number;
  threshold: number;
  /** Event time of the match that crossed it. */
  at: string;
  /** Wall-clock time it was recorded. */
  recordedAt: string;
  message: string;
}

export interface PolicyStats {
  matches: number;
  alerts: number;
  /** Alerts not raised because the daily limit was reached. */
  suppressedByDailyLimit: number;
  /** Matches inside a repeated-activity cool-down after an alert. */
  suppressedByWindow: number;
  /** Matches without a user, which repeated-activity policies cannot count. */
  skippedNoUser: number;
}

/** What a policy raised for one activity: the alert draft and everything needed to deliver and act on it. */
export interface PolicyHit {
  policy: CompiledPolicy;
  draft: AlertDraft;
  user: string | null;
  /** Governance actions to hand to the governance component. */
  actions: Policy['actions'];
}

export interface PolicySetOptions {
  env?: FilterEnv;
  /** Thresholds of the automatic disable (defaults: MDCA's 200,000 per day and 100,000 per 3 hours). */
  autoDisable?: { maxMatchesPerDay?: number; maxMatchesPer3Hours?: number };
  /** Called once when a policy is disabled automatically (persist the record, log, notify). */
  onAutoDisable?: (record: AutoDisableRecord) => void;
  /** Most per-user windows kept per repeated-activity policy; the oldest are dropped beyond it. */
  maxWindowsPerPolicy?: number;
  /** Ignore `enabled: false` (backtesting a draft). */
  includeDisabled?: boolean;
  now?: () => Date;
}

/** Sliding per-user window of a repeated-activity policy: a deque of matches (time, id, target, ip). */
interface UserWindow {
  times: number[];
  ids: string[];
  targets: string[];
  ips: (string | null)[];
  head: number;
  /** uniqueTargets: occurrences of each target inside the window. */
  targetCounts: Map<string, number> | null;
  suppressUntil: number;
  last: number;
}

interface PolicyState {
  stats: PolicyStats;
  disabled: AutoDisableRecord | null;
  alertDay: string;
  alertsToday: number;
  matchDay: string;
  matchesToday: number;
  /** Matches per minute over the last 3 hours: [minute, count] pairs, oldest first. */
  minutes: [number, number][];
  minutesTotal: number;
  windows: Map<string, UserWindow> | null;
  evaluations: number;
  latest: number;
}

interface Bucket {
  byAction: Map<string, CompiledPolicy[]>;
  byWord: Map<string, CompiledPolicy[]>;
  anyAction: CompiledPolicy[];
}

const newBucket = (): Bucket => ({ byAction: new Map(), byWord: new Map(), anyAction: [] });

const ACTION_WORDS_MAX = 4096;
const actionWordsCache = new Map<string, string[]>();
/** Distinct words of an action name, cached (actions are a small vocabulary). */
function actionWords(action: string): string[] {
  let words = actionWordsCache.get(action);
  if (!words) {
    words = [...new Set(wordsOf(action))];
    if (actionWordsCache.size >= ACTION_WORDS_MAX) actionWordsCache.clear();
    actionWordsCache.set(action, words);
  }
  return words;
}

const pushTo = (map: Map<string, CompiledPolicy[]>, key: string, cp: CompiledPolicy) => {
  const list = map.get(key);
  if (list) list.push(cp);
  else map.set(key, [cp]);
};

const newStats = (): PolicyStats => ({ matches: 0, alerts: 0, suppressedByDailyLimit: 0, suppressedByWindow: 0, skippedNoUser: 0 });

/** The object a unique-target count is about: first object, else the target, else the activity itself. */
function targetKeyOf(a: Activity): string {
  for (const o of a.objects) {
    const k = o.id ?? o.name;
    if (k) return `${o.type}:${k}`;
  }
  const t = a.target;
  if (t) {
    const k = t.id ?? t.email ?? t.name;
    if (k) return `${t.type}:${k}`;
  }
  return `activity:${a.id}`;
}

const windowText = (secs: number): string =>
  secs % 86_400 === 0 ? `${secs / 86_400} d` : secs % 3600 === 0 ? `${secs / 3600} h` : secs % 60 === 0 ? `${secs / 60} min` : `${secs} s`;

export class PolicySet {
  readonly #policies: CompiledPolicy[];
  readonly #byName = new Map<string, CompiledPolicy>();
  readonly #state = new Map<CompiledPolicy, PolicyState>();
  readonly #byApp = new Map<string, Bucket>();
  readonly #anyApp: Bucket = newBucket();
  readonly #maxPerDay: number;
  readonly #maxPer3h: number;
  readonly #maxWindows: number;
  readonly #onAutoDisable?: (r: AutoDisableRecord) => void;
  readonly #now: () => Date;
  readonly #disabledLog: AutoDisableRecord[] = [];
  #memoActivity: Activity | null = null;
  #memo = new Map<CompiledPolicy, AlertDraft[]>();
  #detections: Detection[] | null = null;
  #totalMatches = 0;

  /** Compiles every policy. Throws RAMPART_ERR_POLICY_INVALID naming the first bad policy. */
  constructor(policies: readonly (Policy | PolicyInput)[], opts: PolicySetOptions = {}) {
    this.#maxPerDay = opts.autoDisable?.maxMatchesPerDay ?? DEFAULT_AUTO_DISABLE.maxMatchesPerDay;
    this.#maxPer3h = opts.autoDisable?.maxMatchesPer3Hours ?? DEFAULT_AUTO_DISABLE.maxMatchesPer3Hours;
    this.#maxWindows = opts.maxWindowsPerPolicy ?? 100_000;
    this.#onAutoDisable = opts.onAutoDisable;
    this.#now = opts.now ?? (() => new Date());
    this.#policies = [];
    policies.forEach((input, i) => {
      let cp: CompiledPolicy;
      try {
        cp = compilePolicy(input, opts.env ?? {}, i);
      } catch (e) {
        if (e instanceof FilterCompileError) throw new RampartError('RAMPART_ERR_POLICY_INVALID', [policyLabel(input, i), formatIssues(e.issues)]);
        throw e;
      }
      if (this.#byName.has(cp.policy.name)) throw new RampartError('RAMPART_ERR_POLICY_INVALID', [cp.policy.name, 'the name is used by another policy']);
      if (!cp.policy.enabled && !opts.includeDisabled) return;
      this.#byName.set(cp.policy.name, cp);
      this.#policies.push(cp);
      this.#state.set(cp, this.#newState(cp));
      this.#addToIndex(cp);
    });
  }

  get policies(): readonly CompiledPolicy[] {
    return this.#policies;
  }

  /** Filter matches of every policy since the set was built (auto-disable counts these). */
  get totalMatches(): number {
    return this.#totalMatches;
  }

  get(name: string): CompiledPolicy | undefined {
    return this.#byName.get(name);
  }

  stats(name: string): PolicyStats | undefined {
    const cp = this.#byName.get(name);
    return cp ? { ...this.#state.get(cp)!.stats } : undefined;
  }

  /** The automatic-disable record of a policy while it is disabled (also after a restored state), else null. */
  disabledRecord(name: string): AutoDisableRecord | null {
    const cp = this.#byName.get(name);
    return cp ? this.#state.get(cp)!.disabled : null;
  }

  /** Policies disabled automatically since the set was built, with time, counts and reason. */
  autoDisabled(): readonly AutoDisableRecord[] {
    return this.#disabledLog;
  }

  /** Re-enables an automatically disabled policy (an operator decision); its counters start afresh. */
  reEnable(name: string): boolean {
    const cp = this.#byName.get(name);
    if (!cp) return false;
    const st = this.#state.get(cp)!;
    if (!st.disabled) return false;
    this.#state.set(cp, { ...this.#newState(cp), stats: st.stats });
    return true;
  }

  #newState(cp: CompiledPolicy): PolicyState {
    return {
      stats: newStats(),
      disabled: null,
      alertDay: '',
      alertsToday: 0,
      matchDay: '',
      matchesToday: 0,
      minutes: [],
      minutesTotal: 0,
      windows: cp.policy.actOn.mode === 'repeated' ? new Map() : null,
      evaluations: 0,
      latest: 0,
    };
  }

  #addToIndex(cp: CompiledPolicy): void {
    const buckets: Bucket[] = [];
    if (cp.apps) {
      for (const app of cp.apps) {
        let b = this.#byApp.get(app);
        if (!b) this.#byApp.set(app, (b = newBucket()));
        buckets.push(b);
      }
    } else buckets.push(this.#anyApp);
    for (const b of buckets) {
      if (cp.actions) for (const action of cp.actions) pushTo(b.byAction, action, cp);
      else if (cp.actionWords) for (const word of cp.actionWords) pushTo(b.byWord, word, cp);
      else b.anyAction.push(cp);
    }
  }

  /** The policies whose buckets this activity falls in, in set order (each policy at most once). */
  #candidates(a: Activity): CompiledPolicy[] {
    const action = a.action.toLowerCase();
    const appBucket = this.#byApp.get(a.app.toLowerCase());
    const lists: CompiledPolicy[][] = [];
    let viaWords = false;
    const collect = (b: Bucket) => {
      const exact = b.byAction.get(action);
      if (exact) lists.push(exact);
      if (b.byWord.size) {
        for (const w of actionWords(action)) {
          const l = b.byWord.get(w);
          if (l) {
            lists.push(l);
            viaWords = true;
          }
        }
      }
      if (b.anyAction.length) lists.push(b.anyAction);
    };
    if (appBucket) collect(appBucket);
    collect(this.#anyApp);
    if (lists.length === 0) return [];
    if (lists.length === 1) return lists[0];
    const merged = lists.flat();
    // A policy filed under several words can come up more than once.
    return (viaWords ? [...new Set(merged)] : merged).sort((x, y) => x.ordinal - y.ordinal);
  }

  /** Stateless: the enabled, not auto-disabled policies whose filters this activity satisfies. */
  match(a: Activity): CompiledPolicy[] {
    const out: CompiledPolicy[] = [];
    for (const cp of this.#candidates(a)) if (!this.#state.get(cp)!.disabled && cp.filter.test(a)) out.push(cp);
    return out;
  }

  /**
   * Stateful: counts matches (auto-disable), runs repeated-activity windows and the daily limit, and returns
   * the alerts to raise. Feed activities in event-time order; the backtest and the live engine do the same.
   */
  evaluate(a: Activity): PolicyHit[] {
    const hits: PolicyHit[] = [];
    const candidates = this.#candidates(a);
    if (!candidates.length) return hits;
    const t = Date.parse(a.time);
    for (const cp of candidates) {
      const st = this.#state.get(cp)!;
      if (st.disabled || !cp.filter.test(a)) continue;
      st.stats.matches++;
      this.#totalMatches++;
      if (this.#countMatch(cp, st, a, t)) continue;
      const draft = cp.policy.actOn.mode === 'single' ? this.#single(cp, a) : this.#repeated(cp, cp.policy.actOn, st, a, t);
      if (!draft || !cp.policy.alerts.create) continue;
      const day = a.time.slice(0, 10);
      if (st.alertDay !== day) {
        st.alertDay = day;
        st.alertsToday = 0;
      }
      if (st.alertsToday >= cp.policy.alerts.dailyLimit) {
        st.stats.suppressedByDailyLimit++;
        continue;
      }
      st.alertsToday++;
      st.stats.alerts++;
      hits.push({ policy: cp, draft, user: userKey(a), actions: cp.policy.actions });
    }
    return hits;
  }

  /** Counts a match towards the auto-disable thresholds; true when this match disabled the policy. */
  #countMatch(cp: CompiledPolicy, st: PolicyState, a: Activity, t: number): boolean {
    const day = a.time.slice(0, 10);
    if (st.matchDay !== day) {
      st.matchDay = day;
      st.matchesToday = 0;
    }
    st.matchesToday++;
    const minute = Math.floor(t / MINUTE_MS);
    const oldest = minute - THREE_HOURS_MS / MINUTE_MS;
    while (st.minutes.length && st.minutes[0][0] <= oldest) st.minutesTotal -= st.minutes.shift()![1];
    const last = st.minutes[st.minutes.length - 1];
    if (last && last[0] >= minute) last[1]++;
    else st.minutes.push([minute, 1]);
    st.minutesTotal++;
    let reason: AutoDisableRecord['reason'] | null = null;
    let count = 0;
    let threshold = 0;
    if (st.matchesToday > this.#maxPerDay) [reason, count, threshold] = ['matches_per_day', st.matchesToday, this.#maxPerDay];
    else if (st.minutesTotal > this.#maxPer3h) [reason, count, threshold] = ['matches_per_3_hours', st.minutesTotal, this.#maxPer3h];
    if (!reason) return false;
    const record: AutoDisableRecord = {
      policy: cp.policy.name,
      reason,
      count,
      threshold,
      at: a.time,
      recordedAt: this.#now().toISOString(),
      message:
        reason === 'matches_per_day'
          ? `policy ${cp.policy.name} matched ${count} activities on ${day} (limit ${threshold} per day) and was disabled automatically`
          : `policy ${cp.policy.name} matched ${count} activities within 3 hours (limit ${threshold}) and was disabled automatically`,
    };
    st.disabled = record;
    st.windows?.clear();
    this.#disabledLog.push(record);
    this.#onAutoDisable?.(record);
    return true;
  }

  #single(cp: CompiledPolicy, a: Activity): AlertDraft {
    const user = userKey(a) ?? 'unknown user';
    return {
      title: `${cp.policy.name}: ${a.action} by ${user}`,
      description: cp.policy.description || `Activity policy ${cp.policy.name} matched an activity.`,
      severity: cp.policy.severity,
      key: a.id,
      activityIds: [a.id],
      evidence: [`Activity policy "${cp.policy.name}" (${cp.policy.category}) matched`, ...cp.filter.explain(a)],
      details: this.#details(cp, { count: 1, firstSeen: a.time, lastSeen: a.time }),
      ips: a.ip ? [a.ip] : [],
    };
  }

  #repeated(cp: CompiledPolicy, actOn: RepeatedActOn, st: PolicyState, a: Activity, t: number): AlertDraft | null {
    const user = userKey(a);
    if (user === null) {
      st.stats.skippedNoUser++;
      return null;
    }
    const windows = st.windows!;
    const key = actOn.singleApp ? `${user}\u0000${a.app}` : user;
    const windowMs = actOn.windowSecs * 1000;
    if (++st.evaluations % SWEEP_EVERY === 0) this.#sweep(st, windowMs);
    if (t > st.latest) st.latest = t;
    let w = windows.get(key);
    if (!w) {
      if (windows.size >= this.#maxWindows) windows.delete(windows.keys().next().value!);
      w = { times: [], ids: [], targets: [], ips: [], head: 0, targetCounts: actOn.uniqueTargets ? new Map() : null, suppressUntil: -Infinity, last: t };
      windows.set(key, w);
    }
    if (t > w.last) w.last = t;
    if (t < w.suppressUntil) {
      st.stats.suppressedByWindow++;
      return null;
    }
    const target = targetKeyOf(a);
    const n = w.times.length;
    // The matches counted: w.*[lo..hi), all within one window.
    let lo: number;
    let hi: number;
    let count: number;
    if (w.head === n || t >= w.times[n - 1]) {
      // In order (the common case): the window is (t - window, t], older matches leave.
      const cutoff = t - windowMs;
      while (w.head < w.times.length && w.times[w.head] <= cutoff) {
        if (w.targetCounts) {
          const k = w.targets[w.head];
          const c = w.targetCounts.get(k)! - 1;
          if (c) w.targetCounts.set(k, c);
          else w.targetCounts.delete(k);
        }
        w.head++;
      }
      if (w.head > 256 && w.head * 2 > w.times.length) compact(w);
      w.times.push(t);
      w.ids.push(a.id);
      w.targets.push(target);
      w.ips.push(a.ip);
      if (w.targetCounts) w.targetCounts.set(target, (w.targetCounts.get(target) ?? 0) + 1);
      lo = w.head;
      hi = w.times.length;
      count = w.targetCounts ? w.targetCounts.size : hi - lo;
    } else {
      // Late (a batch older than matches already seen, in `serve`): kept in time order and counted within the
      // fullest real window that contains it; the next match in order drops what is then out of its window.
      const k = sortedInsertIndex(w.times, w.head, n, t);
      w.times.splice(k, 0, t);
      w.ids.splice(k, 0, a.id);
      w.targets.splice(k, 0, target);
      w.ips.splice(k, 0, a.ip);
      if (w.targetCounts) w.targetCounts.set(target, (w.targetCounts.get(target) ?? 0) + 1);
      count = densestWindowAround(w.times, w.head, w.times.length, k, windowMs, false, w.targetCounts ? w.targets : undefined);
      lo = windowLo();
      hi = windowHi();
    }
    if (count < actOn.minCount) return null;

    const ids = w.ids.slice(lo, hi);
    const first = new Date(w.times[lo]).toISOString();
    const last = w.ids[hi - 1] === a.id ? a.time : new Date(w.times[hi - 1]).toISOString();
    const ips = [...new Set(w.ips.slice(lo, hi).filter((x): x is string => x !== null))].slice(0, MAX_ALERT_IPS);
    const activities = hi - lo;
    // Fired: start afresh, and stay quiet for one window so one burst makes one alert.
    w.times = [];
    w.ids = [];
    w.targets = [];
    w.ips = [];
    w.head = 0;
    w.targetCounts?.clear();
    w.suppressUntil = t + windowMs;
    const what = actOn.uniqueTargets ? 'distinct objects' : 'matching activities';
    const where = actOn.singleApp ? ` in ${a.app}` : '';
    return {
      title: `${cp.policy.name}: ${count} ${what} by ${user}${where} within ${windowText(actOn.windowSecs)}`,
      description: cp.policy.description || `Activity policy ${cp.policy.name} matched repeatedly.`,
      severity: cp.policy.severity,
      key: first,
      activityIds: ids.slice(-MAX_ALERT_ACTIVITY_IDS),
      evidence: [
        `Activity policy "${cp.policy.name}" (${cp.policy.category}): ${count} ${actOn.uniqueTargets ? 'distinct objects' : 'activities'}${where} by ${user} between ${first} and ${last} (threshold ${actOn.minCount} within ${windowText(actOn.windowSecs)})`,
        ...cp.filter.explain(a),
      ],
      details: this.#details(cp, { count, activities, firstSeen: first, lastSeen: last, user, ...(actOn.singleApp ? { app: a.app } : {}) }),
      ips,
    };
  }

  #details(cp: CompiledPolicy, extra: Record<string, unknown>): Record<string, unknown> {
    const p = cp.policy;
    return {
      policy: p.name,
      category: p.category,
      actOn: p.actOn,
      conditions: cp.filter.conditions.map((c) => c.text),
      emailTo: p.alerts.emailTo,
      actions: p.actions,
      ...extra,
    };
  }

  /** Drops per-user windows idle for longer than the window (and past their cool-down). */
  #sweep(st: PolicyState, windowMs: number): void {
    for (const [k, w] of st.windows!) if (w.last <= st.latest - windowMs && w.suppressUntil <= st.latest) st.windows!.delete(k);
  }

  /**
   * One `Detection` per policy for the detection engine. The set evaluates each activity once (memoised on
   * the activity object) and every policy's detection returns its own share, so 1,000 policies cost one
   * indexed pass plus 1,000 cheap look-ups per activity.
   */
  detections(): Detection[] {
    if (this.#detections) return this.#detections;
    this.#detections = this.#policies.map((cp) => ({
      id: cp.detectionId,
      title: cp.policy.description ? `${cp.policy.name}: ${cp.policy.description.split('\n')[0].slice(0, 200)}` : cp.policy.name,
      defaultSeverity: cp.policy.severity,
      mitreTactic: cp.policy.mitreTactic,
      learns: false,
      evaluate: (a: Activity) => this.#draftsFor(a, cp),
      exportState: () => this.exportState(cp.policy.name),
      importState: (state: unknown) => this.importState(cp.policy.name, state),
    }));
    return this.#detections;
  }

  /**
   * A policy's runtime state (counters, daily limit and auto-disable counts, repeated-activity windows) so a
   * restart neither forgets a burst in progress nor resets the daily limit. Windows are kept only while the
   * policy's filters and act-on settings are unchanged.
   */
  exportState(name: string): PolicyStateSnapshot | undefined {
    const cp = this.#byName.get(name);
    if (!cp) return undefined;
    const st = this.#state.get(cp)!;
    return {
      v: 1,
      fingerprint: fingerprintOf(cp),
      stats: { ...st.stats },
      disabled: st.disabled,
      alertDay: st.alertDay,
      alertsToday: st.alertsToday,
      matchDay: st.matchDay,
      matchesToday: st.matchesToday,
      minutes: st.minutes.map(([m, c]) => [m, c] as [number, number]),
      latest: st.latest,
      windows: st.windows
        ? [...st.windows].map(([k, w]) => [
            k,
            {
              times: w.times.slice(w.head),
              ids: w.ids.slice(w.head),
              targets: w.targets.slice(w.head),
              ips: w.ips.slice(w.head),
              suppressUntil: Number.isFinite(w.suppressUntil) ? w.suppressUntil : null,
              last: w.last,
            },
          ])
        : [],
    };
  }

  importState(name: string, state: unknown): boolean {
    const cp = this.#byName.get(name);
    const s = state as PolicyStateSnapshot | null;
    if (!cp || !s || s.v !== 1 || !Array.isArray(s.minutes) || !Array.isArray(s.windows)) return false;
    const st = this.#newState(cp);
    st.stats = { ...newStats(), ...s.stats };
    st.disabled = s.disabled ?? null;
    st.alertDay = String(s.alertDay ?? '');
    st.alertsToday = Number(s.alertsToday) || 0;
    st.matchDay = String(s.matchDay ?? '');
    st.matchesToday = Number(s.matchesToday) || 0;
    st.minutes = s.minutes.map(([m, c]) => [Number(m), Number(c)]);
    st.minutesTotal = st.minutes.reduce((sum, [, c]) => sum + c, 0);
    st.latest = Number(s.latest) || 0;
    const act = cp.policy.actOn;
    if (st.windows && act.mode === 'repeated' && s.fingerprint === fingerprintOf(cp)) {
      for (const [k, w] of s.windows) {
        const win: UserWindow = {
          times: [...w.times],
          ids: [...w.ids],
          targets: [...w.targets],
          ips: [...w.ips],
          head: 0,
          targetCounts: act.uniqueTargets ? new Map() : null,
          suppressUntil: w.suppressUntil ?? -Infinity,
          last: w.last,
        };
        if (win.targetCounts) for (const t of win.targets) win.targetCounts.set(t, (win.targetCounts.get(t) ?? 0) + 1);
        st.windows.set(k, win);
      }
    }
    this.#state.set(cp, st);
    return true;
  }

  #draftsFor(a: Activity, cp: CompiledPolicy): AlertDraft[] {
    if (this.#memoActivity !== a) {
      this.#memoActivity = a;
      this.#memo = new Map();
      for (const hit of this.evaluate(a)) {
        const list = this.#memo.get(hit.policy);
        if (list) list.push(hit.draft);
        else this.#memo.set(hit.policy, [hit.draft]);
      }
    }
    return this.#memo.get(cp) ?? [];
  }
}

export interface PolicyStateSnapshot {
  v: 1;
  fingerprint: string;
  stats: PolicyStats;
  disabled: AutoDisableRecord | null;
  alertDay: string;
  alertsToday: number;
  matchDay: string;
  matchesToday: number;
  minutes: [number, number][];
  latest: number;
  windows: [string, { times: number[]; ids: string[]; targets: string[]; ips: (string | null)[]; suppressUntil: number | null; last: number }][];
}

const fingerprintOf = (cp: CompiledPolicy): string => JSON.stringify({ filters: cp.policy.filters, actOn: cp.policy.actOn });

function compact(w: UserWindow): void {
  w.times = w.times.slice(w.head);
  w.ids = w.ids.slice(w.head);
  w.targets = w.targets.slice(w.head);
  w.ips = w.ips.slice(w.head);
  w.head = 0;
}

const policyLabel = (input: unknown, i: number): string => {
  const name = (input as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : `#${i + 1}`;
};

export const formatIssues = (issues: readonly FilterIssue[]): string => issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
