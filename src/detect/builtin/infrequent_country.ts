/**
 * @module detect/builtin/infrequent_country
 * A successful interactive activity from a country the user has not used within the lookback (or ever), once
 * the user has enough history. Option `scope: organization`: only countries nobody in the organisation used.
 * Per-user state is one small array of numbers: country code x 100000 + last-seen day.
 */
import type { Activity } from '../../schema/activity.ts';
import type { AlertDraft } from '../../schema/alert.ts';
import type { InfrequentCountryConfig } from '../config.ts';
import { NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { countryCode, countryFromCode, DAY_MS, dayNumber, dayToDate } from '../geo.ts';
import { isNonPhysical, usableCountry } from '../ip-intel.ts';
import { countryName, isCountedSignIn } from './common.ts';

interface CountryState {
  /** Day the user was first seen (for the enough-history rule). */
  first: number;
  /** Packed code * 100000 + lastDay, one per country. */
  c: number[];
}

const PACK = 100_000;
/**
 * Second slot in the user's record: code * PACK + day of the last recorded country. The entry's last-seen day
 * in the state is that day or later, or it lags: a later activity from the same country within the lookback can
 * neither alert nor change anything but that day, so it moves the day here only (most of a user's sign-ins are
 * the first of their day) and the state is not touched. syncHot writes the day into the state before it is read.
 */
const HOT = 1;

export class InfrequentCountry implements Detection {
  readonly id = 'infrequent_country';
  readonly title = 'Activity from an infrequent country';
  readonly defaultSeverity = 'low' as const;
  readonly mitreTactic = 'initial_access' as const;
  readonly learns = true;
  readonly userState = true;
  readonly slotCount = 2;
  slot = -1;
  readonly #cfg: InfrequentCountryConfig;
  /** Organisation scope: tenant -> country code -> last day anyone used it. */
  readonly #org = new Map<string, Map<number, number>>();

  constructor(cfg: InfrequentCountryConfig) {
    this.#cfg = cfg;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    const slots = ctx.userSlots;
    const f = ctx.fields;
    if (slots === null || !isCountedSignIn(f, this.#cfg)) return NO_ALERTS;
    const cc = usableCountry(f);
    // A VPN/cloud/relay/satellite exit's country says nothing about where the user is (anonymous_ip covers Tor).
    if (cc === null || isNonPhysical(f)) return NO_ALERTS;
    const code = countryCode(cc);
    if (code < 0) return NO_ALERTS;
    const cfg = this.#cfg;
    const today = Math.floor(ctx.timeMs / DAY_MS); // inline: a call would box the ms
    const lookbackDays = ctx.lookbackMs / 86_400_000;
    const s = ctx.userBase + this.slot;
    const hot = slots[s + HOT] as number | undefined;
    if (cfg.scope === 'user' && hot !== undefined && hot - code * PACK >= 0 && hot - code * PACK <= today && today - (hot - code * PACK) <= lookbackDays) {
      slots[s + HOT] = code * PACK + today;
      return NO_ALERTS;
    }
    let st = slots[s] as CountryState | undefined;
    const isNewUser = st === undefined;
    if (st !== undefined && hot !== undefined) syncHot(st, hot);
    // Exact-size array: most users keep one country (a new user's is filled in below, not touched).
    if (!st) slots[s] = st = { first: today, c: [code * PACK + today] };
    const lastDay = isNewUser ? undefined : lastSeenDay(st.c, code);
    let orgLast: number | undefined;
    if (cfg.scope === 'organization') {
      let m = this.#org.get(a.tenant);
      if (!m) this.#org.set(a.tenant, (m = new Map()));
      orgLast = m.get(code);
      if (orgLast === undefined || today > orgLast) m.set(code, today);
    }
    const last = cfg.scope === 'organization' ? orgLast : lastDay;
    const alert = !isNewUser && st.c.length > 0 && today - st.first >= cfg.minHistoryDays && (last === undefined || today - last > lookbackDays);
    const known = alert
      ? st.c
          .filter((p) => Math.floor(p / PACK) !== code)
          .map((p) => ({ country: countryFromCode(Math.floor(p / PACK)), lastSeen: dayToDate(p % PACK) }))
          .sort((x, y) => (x.lastSeen < y.lastSeen ? 1 : -1))
      : [];
    if (!isNewUser) this.#touchUser(st, code, today);
    slots[s + HOT] = code * PACK + today;
    if (!alert) return NO_ALERTS;

    const name = countryName(cc);
    // Organisation scope speaks of the organisation's last use (orgLast), the user scope of the user's (lastDay).
    const seen =
      cfg.scope === 'organization'
        ? orgLast === undefined
          ? `Nobody in the organisation has used ${name} within the lookback (${lookbackDays} days)`
          : `Nobody in the organisation has used ${name} since ${dayToDate(orgLast)} (lookback ${lookbackDays} days)`
        : lastDay === undefined
          ? `The user has never used ${name} before`
          : `The user has not used ${name} since ${dayToDate(lastDay)} (lookback ${lookbackDays} days)`;
    return [
      {
        title: `Activity from an infrequent country: ${name} (${cc})`,
        description: `${seen}.`,
        key: cc,
        activityIds: [a.id],
        evidence: [
          seen,
          `Activity "${a.action}" from ${a.ip ?? 'unknown IP'} in ${a.geo?.city ? `${a.geo.city}, ` : ''}${name} at ${a.time}`,
          `Countries this user had: ${known.map((k) => `${k.country} (last ${k.lastSeen})`).join(', ') || 'none'}`,
        ],
        details: {
          country: cc,
          city: a.geo?.city ?? null,
          ip: a.ip,
          scope: cfg.scope,
          previouslySeen: lastDay === undefined ? null : dayToDate(lastDay),
          ...(cfg.scope === 'organization' ? { organisationPreviouslySeen: orgLast === undefined ? null : dayToDate(orgLast) } : {}),
          knownCountries: known,
          lookbackDays,
          userFirstSeen: dayToDate(st.first),
        },
      },
    ];
  }

  /** Records the country for the user (evicting the stalest country when full). */
  #touchUser(st: CountryState, code: number, today: number): void {
    const c = st.c;
    for (let i = 0; i < c.length; i++) {
      if (Math.floor(c[i] / PACK) !== code) continue;
      if (today > c[i] % PACK) c[i] = code * PACK + today;
      return;
    }
    if (c.length >= this.#cfg.maxCountriesPerUser) {
      let oldest = 0;
      for (let i = 1; i < c.length; i++) if (c[i] % PACK < c[oldest] % PACK) oldest = i;
      c.splice(oldest, 1);
    }
    c.push(code * PACK + today);
  }

  serializeUser(state: unknown, rec: readonly unknown[]): unknown {
    const hot = rec[this.slot + HOT] as number | undefined;
    const st = state as CountryState;
    if (hot === undefined || lastSeenDay(st.c, Math.floor(hot / PACK)) === hot % PACK) return st;
    const synced = { ...st, c: [...st.c] };
    syncHot(synced, hot);
    return synced;
  }

  prune(beforeMs: number): void {
    const day = dayNumber(beforeMs);
    for (const m of this.#org.values()) for (const [k, d] of m) if (d < day) m.delete(k);
  }

  exportState(): unknown {
    return { org: [...this.#org].map(([t, m]) => [t, [...m]]) };
  }

  importState(state: unknown): void {
    const s = state as { org: Array<[string, Array<[number, number]>]> };
    if (!Array.isArray(s?.org)) throw new Error('expected an org array');
    this.#org.clear();
    for (const [t, m] of s.org) this.#org.set(t, new Map(m));
  }
}

/** Moves the last-seen day of the record's hot country in the state up to the hot day. */
function syncHot(st: CountryState, hot: number): void {
  const code = Math.floor(hot / PACK);
  const c = st.c;
  for (let i = 0; i < c.length; i++) {
    if (Math.floor(c[i] / PACK) !== code) continue;
    if (hot > c[i]) c[i] = hot;
    return;
  }
}

function lastSeenDay(c: number[], code: number): number | undefined {
  for (let i = 0; i < c.length; i++) if (Math.floor(c[i] / PACK) === code) return c[i] % PACK;
  return undefined;
}
