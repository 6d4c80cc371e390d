/**
 * @module detect/builtin/failed_logins
 * Many failed sign-ins by one user within a sliding window, with respect to the user's learned normal: alert
 * when the count reaches `minFailures` AND exceeds the user's normal by `marginFailures`. The normal is the
 * median of the user's daily peak window counts over the lookback (days with failures, >= 3 of them), so a
 * user with a misconfigured client that fails 30 times a day does not alert on 30. A success from the same IP
 * or network right after raises the alert to high (brute force that worked). One IP failing against many
 * users in the window is reported as a password spray (an alert about the IP, user null).
 */
import type { Activity } from '../../schema/activity.ts';
import type { AlertDraft } from '../../schema/alert.ts';
import type { FailedLoginsConfig } from '../config.ts';
import { NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { dayNumber, dayToDate } from '../geo.ts';
import { median } from '../stats.ts';
import { densestWindowAround, sortedInsertIndex, windowHi, windowLo } from '../window.ts';
import { formatDuration, networkOf } from './common.ts';

interface FailState {
  /**
   * Failure times (ms) and IPs in time order: the window of the newest failure, plus failures that arrived late
   * (older) since the last failure in order, which drops them once they are out of its window. At most 512.
   */
  times: number[];
  ips: string[];
  /** Time of the newest failure. */
  lastMs: number;
  /** Day and peak window count of the current day. */
  day: number;
  peak: number;
  /** Past daily peaks, packed day * 1000 + min(peak, 999); only days with failures, at most 31. */
  peaks: number[];
  /** Time of the last alert (a success shortly after it escalates). */
  alertMs: number;
  alertIps: string[];
}

type SprayEntry = { user: string; ms: number } | Map<string, number>;

const MAX_WINDOW_ENTRIES = 512;
/** Shared initial value of FailState.alertIps (replaced, never mutated). */
const NO_IPS: string[] = [];
const MAX_PEAK_DAYS = 31;
const MIN_BASELINE_DAYS = 3;
const MAX_SPRAY_USERS = 200;
/**
 * Second slot in the user's record: FailState.alertMs in whole seconds since 2020 (a small integer), or
 * undefined while the user never alerted. A success far from the last alert is ruled out from the record
 * alone, without touching the state.
 */
const ALERT_SEC = 1;
const EPOCH_2020_SECS = 1_577_836_800;
const toSec = (ms: number): number => Math.floor(ms / 1000) - EPOCH_2020_SECS;

export class FailedLogins implements Detection {
  readonly id = 'failed_logins';
  readonly title = 'Multiple failed login attempts';
  readonly defaultSeverity = 'low' as const;
  readonly mitreTactic = 'credential_access' as const;
  readonly learns = true;
  readonly userState = true;
  readonly slotCount = 2;
  slot = -1;
  readonly #cfg: FailedLoginsConfig;
  /**
   * Password spray: `tenant|ip` -> the users failing from it. Most addresses only ever see one user, so that
   * case is one small object; a Map appears only when a second user fails from the same address.
   */
  readonly #ips = new Map<string, SprayEntry>();

  constructor(cfg: FailedLoginsConfig) {
    this.#cfg = cfg;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    const outcome = ctx.fields.outcome;
    if (ctx.fields.category !== 'login' || ctx.userSlots === null || ctx.user === null) return NO_ALERTS;
    if (outcome === 'failure') return this.#onFailure(a, ctx, ctx.user, ctx.userSlots, ctx.userBase + this.slot);
    if (outcome === 'success') {
      // Outside [alert, alert + window] by whole seconds (with a second's margin): #onSuccess would say no.
      const alertSec = ctx.userSlots[ctx.userBase + this.slot + ALERT_SEC] as number | undefined;
      if (alertSec === undefined) return NO_ALERTS;
      const sec = Math.floor(ctx.timeMs / 1000) - EPOCH_2020_SECS; // inline: a call would box the ms
      if (sec < alertSec || sec - alertSec > this.#cfg.windowSecs + 1) return NO_ALERTS;
      const st = ctx.userSlots[ctx.userBase + this.slot] as FailState | undefined;
      return st === undefined ? NO_ALERTS : this.#onSuccess(a, ctx, st);
    }
    return NO_ALERTS;
  }

  /** The user's normal: median of past daily peaks within the lookback (0 without enough history). */
  #normal(st: FailState, today: number, lookbackDays: number): { normal: number; days: number } {
    const recent = st.peaks.filter((p) => Math.floor(p / 1000) < today && today - Math.floor(p / 1000) <= lookbackDays).map((p) => p % 1000);
    return { normal: recent.length >= MIN_BASELINE_DAYS ? median(recent) : 0, days: recent.length };
  }

  /** `s`: this detection's slot for the user in `slots`. */
  #onFailure(a: Activity, ctx: DetectionContext, user: string, slots: unknown[], s: number): AlertDraft[] {
    const cfg = this.#cfg;
    const t = ctx.timeMs;
    const windowMs = cfg.windowSecs * 1000;
    const today = dayNumber(t);
    let st = slots[s] as FailState | undefined;
    // The failures counted: st.times[lo..hi), all within one window.
    let lo = 0;
    let hi = 1;
    if (!st) {
      // Exact-size arrays: most users fail rarely, so most states hold one failure.
      slots[s] = st = { times: [t], ips: [a.ip ?? ''], lastMs: t, day: today, peak: 0, peaks: [], alertMs: -Infinity, alertIps: NO_IPS };
    } else {
      if (today > st.day) {
        if (st.peak > 0) {
          st.peaks.push(st.day * 1000 + Math.min(st.peak, 999));
          if (st.peaks.length > MAX_PEAK_DAYS) st.peaks.shift();
        }
        st.day = today;
        st.peak = 0;
      }
      if (t >= st.lastMs) {
        // In order (the common case): the window is [t - window, t], everything older leaves.
        let drop = 0;
        while (drop < st.times.length && t - st.times[drop] > windowMs) drop++;
        if (drop === st.times.length) {
          st.times = [t];
          st.ips = [a.ip ?? ''];
        } else {
          if (drop) {
            st.times.splice(0, drop);
            st.ips.splice(0, drop);
          }
          if (st.times.length >= MAX_WINDOW_ENTRIES) {
            st.times.shift();
            st.ips.shift();
          }
          st.times.push(t);
          st.ips.push(a.ip ?? '');
        }
        st.lastMs = t;
        hi = st.times.length;
      } else {
        // Late (a batch older than failures already seen, in `serve`): kept in time order and counted within the
        // fullest real window that contains it. Nothing leaves here; the next failure in order drops what is
        // then out of its window, so late failures can still add up with each other meanwhile (at most 512).
        if (st.times.length >= MAX_WINDOW_ENTRIES) {
          st.times.shift();
          st.ips.shift();
        }
        const k = sortedInsertIndex(st.times, 0, st.times.length, t);
        st.times.splice(k, 0, t);
        st.ips.splice(k, 0, a.ip ?? '');
        densestWindowAround(st.times, 0, st.times.length, k, windowMs, true);
        lo = windowLo();
        hi = windowHi();
      }
    }
    const count = hi - lo;
    if (today === st.day) {
      if (count > st.peak) st.peak = count;
    } else raisePastPeak(st.peaks, today, count);

    const out: AlertDraft[] = [];
    // Password spray counts only users in this detection's scope (an excluded user neither counts nor appears).
    const spray = a.ip && ctx.inScope(this, a, user) ? this.#trackSpray(a, user, t, windowMs) : null;
    if (spray) out.push(spray);
    if (count < cfg.minFailures) return out.length ? out : NO_ALERTS;
    const lookbackDays = ctx.lookbackMs / 86_400_000;
    const { normal, days } = this.#normal(st, today, lookbackDays);
    if (count <= normal + cfg.marginFailures) return out.length ? out : NO_ALERTS;
    st.alertMs = t;
    slots[s + ALERT_SEC] = toSec(t);
    st.alertIps = [...new Set(st.ips.slice(lo, hi))].slice(0, 16);
    out.push(this.#draft(a, st, lo, hi, normal, days, null));
    return out;
  }

  #onSuccess(a: Activity, ctx: DetectionContext, st: FailState): AlertDraft[] {
    if (ctx.timeMs - st.alertMs > this.#cfg.windowSecs * 1000 || ctx.timeMs < st.alertMs) return NO_ALERTS;
    const net = networkOf(a.ip);
    const sameIp = a.ip !== null && st.alertIps.includes(a.ip);
    const sameNet = !sameIp && net !== null && st.alertIps.some((ip) => networkOf(ip) === net);
    if (!sameIp && !sameNet) return NO_ALERTS;
    const { normal, days } = this.#normal(st, dayNumber(ctx.timeMs), ctx.lookbackMs / 86_400_000);
    // The failures of the alert: the fullest window around the alerting failure (all held, if it has left).
    const k = st.times.lastIndexOf(st.alertMs);
    let lo = 0;
    let hi = st.times.length;
    if (k >= 0) {
      densestWindowAround(st.times, 0, st.times.length, k, this.#cfg.windowSecs * 1000, true);
      lo = windowLo();
      hi = windowHi();
    }
    return [this.#draft(a, st, lo, hi, normal, days, sameIp ? 'same IP' : 'same network')];
  }

  /** The alert about the failures st.times[lo..hi) (one window). */
  #draft(a: Activity, st: FailState, lo: number, hi: number, normal: number, days: number, success: string | null): AlertDraft {
    const cfg = this.#cfg;
    const count = hi - lo;
    const byIp = new Map<string, number>();
    for (let i = lo; i < hi; i++) if (st.ips[i]) byIp.set(st.ips[i], (byIp.get(st.ips[i]) ?? 0) + 1);
    const ips = [...byIp].sort((x, y) => y[1] - x[1]);
    const first = st.times[lo] ?? a.time;
    const last = st.times[hi - 1] ?? a.time;
    const threshold = Math.max(cfg.minFailures, Math.floor(normal + cfg.marginFailures) + 1);
    const baseSeverity = cfg.severity ?? this.defaultSeverity;
    const evidence = [
      `${count} failed sign-ins within ${formatDuration(cfg.windowSecs)} (from ${new Date(first).toISOString()} to ${new Date(last).toISOString()})`,
      days >= MIN_BASELINE_DAYS
        ? `Normal for this user: ${normal} failures per window (median of daily peaks over ${days} days); alert threshold ${threshold}`
        : `No failure baseline for this user (fewer than ${MIN_BASELINE_DAYS} days with failures); alert threshold ${threshold}`,
      `Failing IPs: ${ips.map(([ip, n]) => `${ip} (${n})`).join(', ') || 'unknown'}`,
    ];
    if (success) evidence.push(`Followed by a successful sign-in from ${a.ip} (${success}) at ${a.time}`);
    return {
      title: success ? 'Multiple failed logins followed by a successful login' : 'Multiple failed login attempts',
      description: success
        ? `${count} failed sign-ins, then a success from the ${success}: a brute force that may have worked.`
        : `${count} failed sign-ins within ${formatDuration(cfg.windowSecs)}, above this user's normal (${normal}).`,
      severity: success ? 'high' : baseSeverity,
      key: 'failures',
      cumulative: true,
      activityIds: [a.id],
      evidence,
      details: {
        count,
        windowSecs: cfg.windowSecs,
        baseline: { normal, days, threshold, minFailures: cfg.minFailures, marginFailures: cfg.marginFailures, baselineDays: st.peaks.map((p) => ({ day: dayToDate(Math.floor(p / 1000)), peak: p % 1000 })) },
        ips: ips.map(([ip, n]) => ({ ip, failures: n })),
        followedBySuccess: success ? { activityId: a.id, ip: a.ip, time: a.time, match: success } : null,
      },
      ips: ips.map(([ip]) => ip).slice(0, 20),
    };
  }

  /**
   * Password spray: distinct users failing from one IP within one window. Each user's latest failure from the
   * address is kept; a failure in order counts the users of [t - window, t], a late one the fullest window
   * around it, so users whose failures are hours apart never add up whatever order they arrive in.
   */
  #trackSpray(a: Activity, user: string, t: number, windowMs: number): AlertDraft | null {
    const k = a.tenant === '' ? a.ip! : `${a.tenant}|${a.ip}`;
    const entry = this.#ips.get(k);
    if (entry === undefined) {
      this.#ips.set(k, { user, ms: t });
      return null;
    }
    if (!(entry instanceof Map)) {
      if (entry.user === user) {
        if (t > entry.ms) entry.ms = t;
        return null;
      }
      if (t - entry.ms > windowMs) {
        entry.user = user;
        entry.ms = t;
        return null;
      }
    }
    let users: Map<string, number>;
    if (entry instanceof Map) users = entry;
    else {
      users = new Map([[entry.user, entry.ms]]);
      this.#ips.set(k, users);
    }
    if (users.size >= MAX_SPRAY_USERS) for (const [u, ms] of users) if (t - ms > windowMs) users.delete(u);
    const prev = users.get(user);
    if (prev === undefined ? users.size < MAX_SPRAY_USERS : t > prev) users.set(user, t);
    // The window counted: [from, to]; the current user is in it through this failure.
    let from = t - windowMs;
    let to = t;
    let n = 1;
    let late = false;
    for (const [u, ms] of users) {
      if (u === user) continue;
      if (ms > t) late = true;
      else if (ms >= from) n++;
    }
    if (late) {
      const near: number[] = [t];
      for (const [u, ms] of users) if (u !== user && ms >= t - windowMs && ms <= t + windowMs) near.push(ms);
      near.sort((x, y) => x - y);
      n = densestWindowAround(near, 0, near.length, near.indexOf(t), windowMs, true);
      from = near[windowLo()];
      to = near[windowHi() - 1];
    }
    if (n < this.#cfg.sprayMinUsers) return null;
    const targets: string[] = [];
    for (const [u, ms] of users) if (u === user || (ms >= from && ms <= to)) targets.push(u);
    if (!users.has(user)) targets.push(user);
    return {
      title: `Password spray from ${a.ip}`,
      description: `${n} different users failed to sign in from ${a.ip} within ${formatDuration(this.#cfg.windowSecs)}.`,
      severity: 'medium',
      key: `spray:${a.ip}`,
      user: null,
      cumulative: true,
      activityIds: [a.id],
      evidence: [`${n} distinct users failed from ${a.ip} within ${formatDuration(this.#cfg.windowSecs)} (threshold ${this.#cfg.sprayMinUsers})`, `Targeted users: ${targets.slice(0, 20).join(', ')}${targets.length > 20 ? ', ...' : ''}`],
      details: { kind: 'password_spray', ip: a.ip, users: n, targets: targets.slice(0, 100), windowSecs: this.#cfg.windowSecs, sprayMinUsers: this.#cfg.sprayMinUsers },
      ips: [a.ip!],
    };
  }

  prune(beforeMs: number): void {
    for (const [k, e] of this.#ips) {
      let newest = -Infinity;
      if (e instanceof Map) for (const ms of e.values()) newest = Math.max(newest, ms);
      else newest = e.ms;
      if (newest < beforeMs) this.#ips.delete(k);
    }
  }

  deserializeUser(data: unknown, rec: unknown[]): FailState {
    const st = data as FailState;
    const alertMs = st.alertMs ?? -Infinity;
    rec[this.slot + ALERT_SEC] = Number.isFinite(alertMs) ? toSec(alertMs) : undefined;
    return { ...st, alertMs };
  }

  exportState(): unknown {
    return { ips: [...this.#ips].map(([k, e]) => [k, e instanceof Map ? [...e] : [[e.user, e.ms]]]) };
  }

  importState(state: unknown): void {
    const s = state as { ips: Array<[string, Array<[string, number]>]> };
    if (!Array.isArray(s?.ips)) throw new Error('expected an ips array');
    this.#ips.clear();
    for (const [k, m] of s.ips) this.#ips.set(k, m.length === 1 ? { user: m[0][0], ms: m[0][1] } : new Map(m));
  }
}

/** A late failure's window count for a past day: raises that day's packed peak (or adds the day, in day order). */
function raisePastPeak(peaks: number[], day: number, count: number): void {
  let i = peaks.length;
  while (i > 0 && Math.floor(peaks[i - 1] / 1000) > day) i--;
  if (i > 0 && Math.floor(peaks[i - 1] / 1000) === day) {
    if (count > peaks[i - 1] % 1000) peaks[i - 1] = day * 1000 + Math.min(count, 999);
    return;
  }
  peaks.splice(i, 0, day * 1000 + Math.min(count, 999));
  if (peaks.length > MAX_PEAK_DAYS) peaks.shift();
}
