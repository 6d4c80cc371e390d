/**
 * @module detect/builtin/impossible_travel
 * Two successful interactive activities of one user from places too far apart for the time between them.
 * Each qualifying activity is compared with the user's previous one that had a physical location; networks
 * without one (VPN, cloud, hosting, satellite/in-flight, relays, anonymizers) are neither compared nor kept
 * as "previous" (Panther PR #908: caching VPN logins caused later false positives).
 */
import type { Activity } from '../../schema/activity.ts';
import type { AlertDraft } from '../../schema/alert.ts';
import type { ImpossibleTravelConfig } from '../config.ts';
import { NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { countryCode, dayNumber, haversineKm } from '../geo.ts';
import { sameOrBordering } from '../country-adjacency.ts';
import { isOrgTrusted, isNonPhysical, usablePoint } from '../ip-intel.ts';
import { formatDuration, isCountedSignIn, placeOf, round1 } from './common.ts';

/** The last physical location of a user, plus how often the user's countries were seen (user suppression). */
interface TravelState {
  /** Event time in whole seconds since 2020-01-01 and coordinates in 1e-4 degrees (~11 m): small integers,
   * which V8 stores inline, where doubles would each take a separate heap box. */
  sec: number;
  id: string;
  ip: string;
  lat4: number;
  lon4: number;
  cc: string;
  city: string | null;
  asn: number | null;
  safe: boolean;
  /** Countries the user signs in from: triples [code, lastDay, distinctDays], at most 8 countries. */
  loc: number[];
}

const MAX_COUNTRIES = 8;
const EPOCH_2020_SECS = 1_577_836_800;
const toSec = (ms: number): number => Math.floor(ms / 1000) - EPOCH_2020_SECS;
const toMs = (sec: number): number => (sec + EPOCH_2020_SECS) * 1000;
const MAX_TENANT_ISPS = 1000;

export class ImpossibleTravel implements Detection {
  readonly id = 'impossible_travel';
  readonly title = 'Impossible travel';
  readonly defaultSeverity = 'medium' as const;
  readonly mitreTactic = 'initial_access' as const;
  readonly learns = true;
  readonly userState = true;
  slot = -1;
  readonly #cfg: ImpossibleTravelConfig;
  /** Tenant suppression: ISPs (ASN or name) already alerted on in the organisation -> day of the alert. */
  readonly #alertedIsps = new Map<string, Map<string, number>>();

  constructor(cfg: ImpossibleTravelConfig) {
    this.#cfg = cfg;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    if (ctx.userSlots === null || !isCountedSignIn(a, this.#cfg)) return NO_ALERTS;
    const geo = a.geo;
    if (geo === null || geo.lat === null || geo.lon === null) return NO_ALERTS;
    const slot = ctx.userSlots[this.slot] as TravelState | undefined;
    if (slot !== undefined && slot.ip === a.ip && slot.cc === geo.country) {
      // Same address as the user's last physical location (the common case): nothing to compare, only the
      // last-seen time and the country's day count move. Same address means same verdict, so no re-checks.
      const sec = toSec(ctx.timeMs);
      if (sec >= slot.sec) {
        slot.sec = sec;
        slot.id = a.id;
      }
      bumpCountry(slot.loc, countryCode(slot.cc), dayNumber(ctx.timeMs), ctx.lookbackMs / 86_400_000);
      return NO_ALERTS;
    }
    const p = usablePoint(a);
    if (p === null || isNonPhysical(a)) return NO_ALERTS;
    const t = ctx.timeMs;
    const day = dayNumber(t);
    const slots = ctx.userSlots!;
    const prev = slots[this.slot] as TravelState | undefined;
    const lookbackDays = ctx.lookbackMs / 86_400_000;
    const commonDays = prev ? countryDays(prev.loc, countryCode(p.country), day, lookbackDays) : 0;
    let out: AlertDraft[] = NO_ALERTS;
    if (prev && prev.ip !== a.ip) {
      const draft = this.#compare(prev, a, p, t, commonDays, ctx);
      if (draft) out = [draft];
    }
    const st = this.#remember(prev, a, p, t, day, lookbackDays);
    if (!prev) slots[this.slot] = st;
    return out;
  }

  #compare(prev: TravelState, a: Activity, p: { lat: number; lon: number; country: string }, t: number, commonDays: number, ctx: DetectionContext): AlertDraft | null {
    const cfg = this.#cfg;
    // System suppressions: always on, whatever the sensitivity.
    if (sameOrBordering(prev.cc, p.country)) return null;
    if (prev.asn !== null && prev.asn === a.asn) return null; // one carrier's gateways in two countries
    const prevLat = prev.lat4 / 1e4;
    const prevLon = prev.lon4 / 1e4;
    const prevMs = toMs(prev.sec);
    const distanceKm = haversineKm(prevLat, prevLon, p.lat, p.lon);
    if (distanceKm <= cfg.minDistanceKm) return null;
    const elapsedSecs = Math.abs(t - prevMs) / 1000;
    const speedKmh = distanceKm / (Math.max(elapsedSecs, 1) / 3600);
    if (speedKmh <= cfg.maxSpeedKmh) return null;
    const safeNow = isOrgTrusted(a);
    // Both sides safe: trusted travel unless sensitivity is high. One safe side is evaluated as normal.
    if (prev.safe && safeNow && cfg.sensitivity !== 'high') return null;
    // User suppression (low, medium): the destination is a country this user commonly uses.
    if (cfg.sensitivity !== 'high' && commonDays >= cfg.commonLocationMinDays) return null;
    // Tenant suppression (low): an ISP the organisation was already alerted on.
    const ispKey = a.asn !== null ? `AS${a.asn}` : (a.isp ?? null);
    const tenantIsps = this.#alertedIsps.get(a.tenant);
    if (cfg.sensitivity === 'low' && ispKey !== null && tenantIsps?.has(ispKey)) return null;
    if (!ctx.learning && ispKey !== null) {
      const m = tenantIsps ?? new Map<string, number>();
      if (!tenantIsps) this.#alertedIsps.set(a.tenant, m);
      if (m.size < MAX_TENANT_ISPS || m.has(ispKey)) m.set(ispKey, dayNumber(t));
    }

    const from = { activityId: prev.id, time: new Date(prevMs).toISOString(), ip: prev.ip, country: prev.cc, city: prev.city, lat: prevLat, lon: prevLon, asn: prev.asn, safe: prev.safe };
    const to = { activityId: a.id, time: a.time, ip: a.ip, country: p.country, city: a.geo?.city ?? null, lat: p.lat, lon: p.lon, asn: a.asn, isp: a.isp, safe: safeNow };
    const fromPlace = placeOf({ geo: { country: prev.cc, city: prev.city, lat: prevLat, lon: prevLon } });
    const toPlace = placeOf(a);
    return {
      title: `Impossible travel: ${fromPlace} to ${toPlace}`,
      description: `Two sign-ins ${Math.round(distanceKm)} km apart within ${formatDuration(elapsedSecs)} would need ${Math.round(speedKmh)} km/h (threshold ${cfg.maxSpeedKmh} km/h).`,
      key: `${prev.cc}>${p.country}`,
      activityIds: [prev.id, a.id],
      evidence: [
        `Sign-in from ${fromPlace} (${prev.ip}) at ${from.time}`,
        `Sign-in from ${toPlace} (${a.ip}) at ${a.time}, ${formatDuration(elapsedSecs)} later`,
        `${Math.round(distanceKm)} km apart: ${Math.round(speedKmh)} km/h needed (threshold ${cfg.maxSpeedKmh} km/h, minimum distance ${cfg.minDistanceKm} km)`,
        ...(prev.safe || safeNow ? [`One side is an organisation-trusted range (${prev.safe ? 'first' : 'second'} sign-in); evaluated as normal`] : []),
      ],
      details: {
        from,
        to,
        distanceKm: round1(distanceKm),
        elapsedSecs: Math.round(elapsedSecs),
        speedKmh: Math.round(speedKmh),
        thresholds: { maxSpeedKmh: cfg.maxSpeedKmh, minDistanceKm: cfg.minDistanceKm },
        sensitivity: cfg.sensitivity,
      },
      ips: [prev.ip, a.ip ?? ''].filter(Boolean),
    };
  }

  #remember(prev: TravelState | undefined, a: Activity, p: { lat: number; lon: number; country: string }, t: number, day: number, lookbackDays: number): TravelState {
    const code = countryCode(p.country);
    if (prev && toSec(t) < prev.sec) {
      bumpCountry(prev.loc, code, day, lookbackDays);
      return prev; // out of order: keep the newer location as "previous"
    }
    if (!prev) {
      // One literal object with its fields in a fixed order and an exact-size array: the smallest per-user state.
      return { sec: toSec(t), id: a.id, ip: a.ip ?? '', lat4: Math.round(p.lat * 1e4), lon4: Math.round(p.lon * 1e4), cc: p.country, city: a.geo?.city ?? null, asn: a.asn, safe: isOrgTrusted(a), loc: [code, day, 1] };
    }
    const st = prev;
    st.sec = toSec(t);
    st.id = a.id;
    st.ip = a.ip ?? '';
    st.lat4 = Math.round(p.lat * 1e4);
    st.lon4 = Math.round(p.lon * 1e4);
    st.cc = p.country;
    st.city = a.geo?.city ?? null;
    st.asn = a.asn;
    st.safe = isOrgTrusted(a);
    bumpCountry(st.loc, code, day, lookbackDays);
    return st;
  }

  prune(beforeMs: number): void {
    const day = dayNumber(beforeMs);
    for (const m of this.#alertedIsps.values()) for (const [k, d] of m) if (d < day) m.delete(k);
  }

  exportState(): unknown {
    return { alertedIsps: [...this.#alertedIsps].map(([t, m]) => [t, [...m]]) };
  }

  importState(state: unknown): void {
    const s = state as { alertedIsps: Array<[string, Array<[string, number]>]> };
    if (!Array.isArray(s?.alertedIsps)) throw new Error('expected an alertedIsps array');
    this.#alertedIsps.clear();
    for (const [t, m] of s.alertedIsps) this.#alertedIsps.set(t, new Map(m));
  }
}

/** Distinct days a country was used within the lookback, from the [code, lastDay, days] triples. */
function countryDays(loc: number[], code: number, day: number, lookbackDays: number): number {
  for (let i = 0; i < loc.length; i += 3) if (loc[i] === code) return day - loc[i + 1] > lookbackDays ? 0 : loc[i + 2];
  return 0;
}

function bumpCountry(loc: number[], code: number, day: number, lookbackDays: number): void {
  for (let i = 0; i < loc.length; i += 3) {
    if (loc[i] !== code) continue;
    if (day - loc[i + 1] > lookbackDays) loc[i + 2] = 0; // not seen within the lookback: start counting again
    if (day > loc[i + 1] || loc[i + 2] === 0) {
      loc[i + 1] = Math.max(day, loc[i + 1]);
      loc[i + 2] += 1;
    }
    return;
  }
  if (loc.length >= MAX_COUNTRIES * 3) {
    let oldest = 0;
    for (let i = 3; i < loc.length; i += 3) if (loc[i + 1] < loc[oldest + 1]) oldest = i;
    loc.splice(oldest, 3);
  }
  loc.push(code, day, 1);
}
