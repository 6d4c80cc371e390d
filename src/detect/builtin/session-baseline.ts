/**
 * @module detect/builtin/session-baseline
 * Shared logic of unusual_admin and unusual_impersonation. A session is a run of the user's matching
 * activities with gaps under `sessionGapSecs`. Per user: the counts of past sessions within the lookback (at
 * most 32, packed day * 10000 + count) and the hashes of action types seen (at most 64, with last-seen days).
 * Volume alert: the session's count exceeds max(minSessionActions, median + madK x max(scaled MAD,
 * 25% of the median, 1)) of the user's past sessions AND the day's total so far exceeds the same bound over
 * the user's past daily totals. Robust statistics, and the daily check means an admin whose normal day holds
 * 40 actions does not alert on a day of 40, however the day splits into sessions. Novelty alert: an action
 * type the user never performed within the lookback.
 */
import type { Activity } from '../../schema/activity.ts';
import type { AlertDraft, MitreTactic, Severity } from '../../schema/alert.ts';
import type { SessionBaselineConfig } from '../config.ts';
import { NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { dayNumber, hash32 } from '../geo.ts';
import { median, scaledMad } from '../stats.ts';

interface SessionState {
  /** Current session: start, last activity (ms), count, first activity id. */
  start: number;
  last: number;
  count: number;
  firstId: string;
  /** New action types in the current session (names, at most 10). */
  newTypes: string[];
  /** Past sessions: day * 10000 + min(count, 9999), oldest first. */
  hist: number[];
  /** Current day and its count; past days with activity, packed like `hist`. */
  day: number;
  dayCount: number;
  days: number[];
  /** Cached baselines (recomputed when a session closes or the day changes; not persisted). */
  base?: Baseline | null;
  daily?: Baseline | null;
  /** Seen action types: hash32(action), with the last day seen in `typeDays`. */
  types: number[];
  typeDays: number[];
}

const MAX_SESSIONS = 32;

interface Baseline {
  median: number;
  mad: number;
  /** How many past sessions (or days) the baseline holds. */
  sessions: number;
  threshold: number;
}

/** Appends (day, count) and drops entries beyond MAX_SESSIONS or older than the lookback. */
function pushPacked(hist: number[], day: number, count: number, today: number, lookbackDays: number): void {
  hist.push(day * 10000 + Math.min(count, 9999));
  while (hist.length > MAX_SESSIONS || (hist.length && today - Math.floor(hist[0] / 10000) > lookbackDays)) hist.shift();
}
/** A late activity of a past day: adds one to that day's packed total when the day is still held. */
function bumpPastDay(days: number[], day: number): void {
  for (let i = days.length - 1; i >= 0; i--) {
    if (Math.floor(days[i] / 10000) !== day) continue;
    if (days[i] % 10000 < 9999) days[i]++;
    return;
  }
}
const MAX_TYPES = 64;
const MAX_NEW_TYPES = 10;

export interface SessionBaselineSpec {
  id: string;
  title: string;
  noun: string; // "administrative" | "impersonated"
  defaultSeverity: Severity;
  mitreTactic: MitreTactic;
  /** Whether the activity counts; given the engine's copy of its fields (ctx.fields). */
  matches(a: Pick<Activity, 'isAdminActivity' | 'impersonated' | 'outcome'>): boolean;
}

export class SessionBaselineDetection implements Detection {
  readonly id: string;
  readonly title: string;
  readonly defaultSeverity: Severity;
  readonly mitreTactic: MitreTactic;
  readonly learns = true;
  readonly userState = true;
  slot = -1;
  readonly #spec: SessionBaselineSpec;
  readonly #cfg: SessionBaselineConfig;

  constructor(spec: SessionBaselineSpec, cfg: SessionBaselineConfig) {
    this.#spec = spec;
    this.#cfg = cfg;
    this.id = spec.id;
    this.title = spec.title;
    this.defaultSeverity = spec.defaultSeverity;
    this.mitreTactic = spec.mitreTactic;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    const slots = ctx.userSlots;
    if (slots === null || !this.#spec.matches(ctx.fields)) return NO_ALERTS;
    const cfg = this.#cfg;
    const t = ctx.timeMs;
    const today = dayNumber(t);
    const lookbackDays = ctx.lookbackMs / 86_400_000;
    const s = ctx.userBase + this.slot;
    let st = slots[s] as SessionState | undefined;
    if (!st) {
      st = { start: t, last: t, count: 0, firstId: a.id, newTypes: [], hist: [], day: today, dayCount: 0, days: [], types: [], typeDays: [] };
      slots[s] = st;
    } else if (t - st.last > cfg.sessionGapSecs * 1000) {
      this.#closeSession(st, today, lookbackDays);
      st.base = null;
      st.start = t;
      st.count = 0;
      st.firstId = a.id;
      st.newTypes = [];
    }
    // Late (older than the current session's start: a late batch in `serve`): it belongs to a session already
    // closed or never seen in order, so it is not counted in the current one (whose count would then span two
    // sessions); a past day's total takes it.
    const late = t < st.start;
    if (today > st.day) {
      if (st.dayCount > 0) pushPacked(st.days, st.day, st.dayCount, today, lookbackDays);
      st.day = today;
      st.dayCount = 0;
      st.base = null;
      st.daily = null;
    }
    if (!late) st.count++;
    if (today === st.day) st.dayCount++;
    else bumpPastDay(st.days, today);
    if (t > st.last) st.last = t;

    let out: AlertDraft[] | null = null;
    // Novelty: first time this user performs this action type (within the lookback).
    const h = hash32(a.action);
    const idx = st.types.indexOf(h);
    const isNew = idx < 0 || today - st.typeDays[idx] > lookbackDays;
    if (idx < 0) this.#addType(st, h, today);
    else if (today > st.typeDays[idx]) st.typeDays[idx] = today; // a late activity does not move it back
    if (isNew && cfg.newActionTypes && !ctx.learning) {
      if (st.newTypes.length < MAX_NEW_TYPES && !st.newTypes.includes(a.action)) st.newTypes.push(a.action);
      (out ??= []).push(this.#noveltyDraft(a, st));
    }
    // Volume: this session against the user's past sessions.
    if (late) return out ?? NO_ALERTS;
    const base = (st.base ??= this.#baseline(st.hist, today, lookbackDays));
    if (st.count > base.threshold) {
      const daily = (st.daily ??= this.#baseline(st.days, today, lookbackDays));
      if (st.dayCount > daily.threshold) (out ??= []).push(this.#volumeDraft(a, st, base, daily));
    }
    return out ?? NO_ALERTS;
  }

  /** Robust threshold over packed (day, count) history within the lookback. */
  #baseline(hist: number[], today: number, lookbackDays: number): Baseline {
    const cfg = this.#cfg;
    const counts: number[] = [];
    for (const p of hist) if (today - Math.floor(p / 10000) <= lookbackDays) counts.push(p % 10000);
    if (counts.length < cfg.minBaselineSessions) return { median: 0, mad: 0, sessions: counts.length, threshold: cfg.minSessionActions };
    const med = median(counts);
    const mad = scaledMad(counts, med);
    const spread = Math.max(mad, 0.25 * med, 1);
    return { median: med, mad: Math.round(mad * 10) / 10, sessions: counts.length, threshold: Math.max(cfg.minSessionActions, Math.floor(med + cfg.madK * spread)) };
  }

  #closeSession(st: SessionState, today: number, lookbackDays: number): void {
    pushPacked(st.hist, dayNumber(st.start), st.count, today, lookbackDays);
  }

  #addType(st: SessionState, h: number, today: number): void {
    if (st.types.length >= MAX_TYPES) {
      let oldest = 0;
      for (let i = 1; i < st.typeDays.length; i++) if (st.typeDays[i] < st.typeDays[oldest]) oldest = i;
      st.types.splice(oldest, 1);
      st.typeDays.splice(oldest, 1);
    }
    st.types.push(h);
    st.typeDays.push(today);
  }

  #common(a: Activity, st: SessionState) {
    const s = this.#spec;
    const by = s.id === 'unusual_impersonation' && a.impersonator ? ` (impersonator ${a.impersonator.email ?? a.impersonator.id ?? 'unknown'})` : '';
    return { sessionStart: new Date(st.start).toISOString(), by, impersonator: a.impersonator };
  }

  #noveltyDraft(a: Activity, st: SessionState): AlertDraft {
    const s = this.#spec;
    const c = this.#common(a, st);
    return {
      title: `Unusual ${s.noun} activity: first-time action types`,
      description: `The user performed ${s.noun} action types never seen for them before: ${st.newTypes.join(', ')}.`,
      key: `types:${st.start}`,
      activityIds: [a.id],
      evidence: [`First-time ${s.noun} action for this user: "${a.action}" at ${a.time}${c.by}`],
      details: { kind: 'new_action_types', unusualActionTypes: [...st.newTypes], sessionStart: c.sessionStart, sessionCount: st.count, knownActionTypes: st.types.length, impersonator: c.impersonator },
    };
  }

  #volumeDraft(a: Activity, st: SessionState, base: Baseline, daily: Baseline): AlertDraft {
    const s = this.#spec;
    const c = this.#common(a, st);
    return {
      title: `Unusual ${s.noun} activity: ${st.count} actions in one session`,
      description: `${st.count} ${s.noun} actions in one session; this user's normal is ${base.median} (threshold ${base.threshold}).`,
      key: `volume:${st.start}`,
      cumulative: true,
      activityIds: [st.firstId, a.id],
      evidence: [
        `${st.count} ${s.noun} actions in the session starting ${c.sessionStart}${c.by}`,
        base.sessions >= this.#cfg.minBaselineSessions
          ? `Baseline: median ${base.median} per session, MAD ${base.mad}, over ${base.sessions} sessions; threshold ${base.threshold}`
          : `Baseline: only ${base.sessions} past sessions; floor threshold ${base.threshold}`,
        `${st.dayCount} ${s.noun} actions today; daily median ${daily.median} over ${daily.sessions} days, threshold ${daily.threshold}`,
        ...(st.newTypes.length ? [`Unusual action types in this session: ${st.newTypes.join(', ')}`] : []),
      ],
      details: { kind: 'volume', sessionStart: c.sessionStart, sessionCount: st.count, baseline: base, dayCount: st.dayCount, dailyBaseline: daily, unusualActionTypes: [...st.newTypes], lastAction: a.action, impersonator: c.impersonator },
    };
  }

  serializeUser(state: unknown): unknown {
    return { ...(state as SessionState), base: null, daily: null };
  }
}
