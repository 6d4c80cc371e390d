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
import { canonicalIpv4Lo, lastIpv4Hi, NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { countryCode, DAY_MS, dayNumber, haversineKm } from '../geo.ts';
import { sameOrBordering } from '../country-adjacency.ts';
import { isOrgTrusted, isNonPhysical, usablePoint } from '../ip-intel.ts';
import { formatDuration, isCountedSignIn, placeOf, round1 } from './common.ts';

/**
 * The last physical location of a user, plus how often the user's countries were seen (user suppression).
 * Its time and activity id live in the user's record (slots T_SEC, T_ID) with the address and country as
 * numbers, so the common activity (same address as last time) reads and writes the record alone.
 */
interface TravelState {
  /** Coordinates in 1e-4 degrees (~11 m): small integers, which V8 stores inline, where doubles would each
   * take a separate heap box. */
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

/** The exported form (unchanged): the state with its time (whole seconds since 2020) and activity id. */
interface TravelStateData extends TravelState {
  sec: number;
  id: string;
}

// Offsets from this.slot in the user's record.
const T_STATE = 0;
/** The address as two 16-bit halves of a canonical IPv4 (small integers), or -1 for any other address. */
const T_IP_HI = 1;
const T_IP_LO = 2;
/** strictCountryCode(state.cc). */
const T_CC = 3;
/** Event time of the location, whole seconds since 2020, and the id of that activity. */
const T_SEC = 4;
const T_ID = 5;
/**
 * The last-seen day of the state's country in `loc` (T_CC's entry), with T_PEND applied, or -1 when unknown.
 * A repeat on or before that day changes nothing; a later day within the lookback only moves that day and adds
 * one distinct day, which is kept here (T_PEND) instead of in `loc`: most of a user's sign-ins are the first of
 * their day, and this way they touch the record alone. syncBumps writes them into `loc` before it is read.
 */
const T_BUMP = 6;
/** Distinct days counted for T_CC's entry and not yet added to it in `loc`. */
const T_PEND = 7;
const T_SLOTS = 8;

const MAX_COUNTRIES = 8;
const EPOCH_2020_SECS = 1_577_836_800;
const toSec = (ms: number): number => Math.floor(ms / 1000) - EPOCH_2020_SECS;
const toMs = (sec: number): number => (sec + EPOCH_2020_SECS) * 1000;
const MAX_TENANT_ISPS = 1000;

/** "US" -> countryCode, only for exactly two upper-case letters (so equal codes mean equal strings), else -1. */
function strictCountryCode(cc: string | null | undefined): number {
  if (!cc || cc.length !== 2) return -1;
  const a = cc.charCodeAt(0);
  const b = cc.charCodeAt(1);
  if (a < 65 || a > 90 || b < 65 || b > 90) return -1;
  return (a - 65) * 26 + (b - 65);
}

export class ImpossibleTravel implements Detection {
  readonly id = 'impossible_travel';
  readonly title = 'Impossible travel';
  readonly defaultSeverity = 'medium' as const;
  readonly mitreTactic = 'initial_access' as const;
  readonly learns = true;
  readonly userState = true;
  readonly slotCount = T_SLOTS;
  slot = -1;
  readonly #cfg: ImpossibleTravelConfig;
  /** Tenant suppression: ISPs (ASN or name) already alerted on in the organisation -> day of the alert. */
  readonly #alertedIsps = new Map<string, Map<string, number>>();

  constructor(cfg: ImpossibleTravelConfig) {
    this.#cfg = cfg;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    const rec = ctx.userSlots;
    const f = ctx.fields;
    if (rec === null || !isCountedSignIn(f, this.#cfg)) return NO_ALERTS;
    const geo = f.geo;
    if (geo === null || geo.lat === null || geo.lon === null) return NO_ALERTS;
    const s = ctx.userBase + this.slot;
    const prev = rec[s + T_STATE] as TravelState | undefined;
    if (prev !== undefined) {
      // Same address and country as the user's last physical location (the common case): nothing to compare,
      // only the last-seen time and the country's day count move. Same address means same verdict, so no
      // re-checks. Canonical IPv4 and upper-case countries are compared as numbers held in the record.
      // Parsed here, not for every activity: only counted sign-ins with a location get this far.
      const ipLo = canonicalIpv4Lo(f.ip);
      const cc = strictCountryCode(geo.country);
      let same: boolean;
      if (ipLo >= 0 && cc >= 0) same = rec[s + T_IP_LO] === ipLo && rec[s + T_IP_HI] === lastIpv4Hi() && rec[s + T_CC] === cc;
      else same = prev.ip === f.ip && prev.cc === geo.country;
      if (same) {
        // Inline arithmetic: passing the ms (not a small integer) to a call that is not inlined would box it.
        const sec = Math.floor(ctx.timeMs / 1000) - EPOCH_2020_SECS;
        if (sec >= (rec[s + T_SEC] as number)) {
          rec[s + T_SEC] = sec;
          rec[s + T_ID] = f.id;
        }
        const day = Math.floor(ctx.timeMs / DAY_MS);
        const last = rec[s + T_BUMP] as number;
        if (last >= 0 && day <= last) return NO_ALERTS;
        const lookbackDays = ctx.lookbackMs / 86_400_000;
        if (last >= 0 && day - last <= lookbackDays) {
          rec[s + T_BUMP] = day;
          rec[s + T_PEND] = (rec[s + T_PEND] as number) + 1;
          return NO_ALERTS;
        }
        syncBumps(rec, s, prev.loc);
        setBumpDay(rec, s, prev.loc, bumpCountry(prev.loc, countryCode(prev.cc), day, lookbackDays));
        return NO_ALERTS;
      }
    }
    const p = usablePoint(f);
    if (p === null || isNonPhysical(f)) return NO_ALERTS;
    const t = ctx.timeMs;
    const day = dayNumber(t);
    const lookbackDays = ctx.lookbackMs / 86_400_000;
    if (prev) syncBumps(rec, s, prev.loc);
    const commonDays = prev ? countryDays(prev.loc, countryCode(p.country), day, lookbackDays) : 0;
    let out: AlertDraft[] = NO_ALERTS;
    if (prev && prev.ip !== a.ip) {
      const draft = this.#compare(prev, rec[s + T_SEC] as number, rec[s + T_ID] as string, a, p, t, commonDays, ctx);
      if (draft) out = [draft];
    }
    this.#remember(rec, s, prev, a, p, t, day, lookbackDays);
    return out;
  }

  #compare(prev: TravelState, prevSec: number, prevId: string, a: Activity, p: { lat: number; lon: number; country: string }, t: number, commonDays: number, ctx: DetectionContext): AlertDraft | null {
    const cfg = this.#cfg;
    // System suppressions: always on, whatever the sensitivity.
    if (sameOrBordering(prev.cc, p.country)) return null;
    if (prev.asn !== null && prev.asn === a.asn) return null; // one carrier's gateways in two countries
    const prevLat = prev.lat4 / 1e4;
    const prevLon = prev.lon4 / 1e4;
    const prevMs = toMs(prevSec);
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
    // Recorded only for an alert the engine raises: not while learning, not for a user out of scope (an excluded
    // user's travel, never shown, must not silence a later real one).
    if (!ctx.learning && ispKey !== null && ctx.user !== null && ctx.inScope(this, a, ctx.user)) {
      const m = tenantIsps ?? new Map<string, number>();
      if (!tenantIsps) this.#alertedIsps.set(a.tenant, m);
      if (m.size < MAX_TENANT_ISPS || m.has(ispKey)) m.set(ispKey, dayNumber(t));
    }

    const from = { activityId: prevId, time: new Date(prevMs).toISOString(), ip: prev.ip, country: prev.cc, city: prev.city, lat: prevLat, lon: prevLon, asn: prev.asn, safe: prev.safe };
    const to = { activityId: a.id, time: a.time, ip: a.ip, country: p.country, city: a.geo?.city ?? null, lat: p.lat, lon: p.lon, asn: a.asn, isp: a.isp, safe: safeNow };
    const fromPlace = placeOf({ geo: { country: prev.cc, city: prev.city, lat: prevLat, lon: prevLon } });
    const toPlace = placeOf(a);
    return {
      title: `Impossible travel: ${fromPlace} to ${toPlace}`,
      description: `Two sign-ins ${Math.round(distanceKm)} km apart within ${formatDuration(elapsedSecs)} would need ${Math.round(speedKmh)} km/h (threshold ${cfg.maxSpeedKmh} km/h).`,
      key: `${prev.cc}>${p.country}`,
      activityIds: [prevId, a.id],
      evidence: [
        `Sign-in from ${fromPlace} (${prev.ip}) at ${from.time}`,
        `Sign-in from ${toPlace} (${a.ip}) at ${a.time}, ${formatDuration(elapsedSecs)} later`,
        `${Math.round(distanceKm)} km apart: ${Math.round(speedKmh)} km/h needed (threshold ${cfg.maxSpeedKmh} km/h, minimum distance ${cfg.minDistanceKm} km)`,
        ...(prev.safe && safeNow
          ? ['Both sides are organisation-trusted ranges: trusted travel, alerted because sensitivity is high']
          : prev.safe || safeNow
            ? [`One side is an organisation-trusted range (${prev.safe ? 'first' : 'second'} sign-in); evaluated as normal`]
            : []),
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

  /** `s`: this detection's first slot for the user in `rec`. */
  #remember(rec: unknown[], s: number, prev: TravelState | undefined, a: Activity, p: { lat: number; lon: number; country: string }, t: number, day: number, lookbackDays: number): void {
    const code = countryCode(p.country);
    if (prev && toSec(t) < (rec[s + T_SEC] as number)) {
      bumpCountry(prev.loc, code, day, lookbackDays);
      rec[s + T_BUMP] = -1; // another country's count may have evicted the current one's
      return; // out of order: keep the newer location as "previous"
    }
    let at = 0;
    if (!prev) {
      // One literal object with its fields in a fixed order and an exact-size array: the smallest per-user state.
      rec[s + T_STATE] = { ip: a.ip ?? '', lat4: Math.round(p.lat * 1e4), lon4: Math.round(p.lon * 1e4), cc: p.country, city: a.geo?.city ?? null, asn: a.asn, safe: isOrgTrusted(a), loc: [code, day, 1] } satisfies TravelState;
    } else {
      const st = prev;
      st.ip = a.ip ?? '';
      st.lat4 = Math.round(p.lat * 1e4);
      st.lon4 = Math.round(p.lon * 1e4);
      st.cc = p.country;
      st.city = a.geo?.city ?? null;
      st.asn = a.asn;
      st.safe = isOrgTrusted(a);
      at = bumpCountry(st.loc, code, day, lookbackDays);
    }
    setRecordKeys(rec, s, a.ip ?? '', p.country, toSec(t), a.id);
    setBumpDay(rec, s, (rec[s + T_STATE] as TravelState).loc, at);
  }

  serializeUser(state: unknown, rec: readonly unknown[]): TravelStateData {
    const st = state as TravelState;
    const s = this.slot;
    let loc = st.loc;
    if ((rec[s + T_PEND] as number) > 0) applyBumps((loc = [...loc]), rec[s + T_CC] as number, rec[s + T_BUMP] as number, rec[s + T_PEND] as number);
    return { sec: rec[s + T_SEC] as number, id: rec[s + T_ID] as string, ip: st.ip, lat4: st.lat4, lon4: st.lon4, cc: st.cc, city: st.city, asn: st.asn, safe: st.safe, loc };
  }

  deserializeUser(data: unknown, rec: unknown[]): TravelState {
    if (data === null || typeof data !== 'object') throw new Error('expected an impossible_travel user object');
    const d = data as TravelStateData;
    setRecordKeys(rec, this.slot, d.ip, d.cc, d.sec, d.id);
    rec[this.slot + T_BUMP] = -1;
    rec[this.slot + T_PEND] = 0;
    return { ip: d.ip, lat4: d.lat4, lon4: d.lon4, cc: d.cc, city: d.city, asn: d.asn, safe: d.safe, loc: d.loc };
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

/** Writes the record's copies of the location's address, country, time and activity id. */
function setRecordKeys(rec: unknown[], s: number, ip: string, cc: string, sec: number, id: string): void {
  const lo = canonicalIpv4Lo(ip);
  rec[s + T_IP_HI] = lo < 0 ? -1 : lastIpv4Hi();
  rec[s + T_IP_LO] = lo;
  rec[s + T_CC] = strictCountryCode(cc);
  rec[s + T_SEC] = sec;
  rec[s + T_ID] = id;
}

/** Distinct days a country was used within the lookback, from the [code, lastDay, days] triples. */
function countryDays(loc: number[], code: number, day: number, lookbackDays: number): number {
  for (let i = 0; i < loc.length; i += 3) if (loc[i] === code) return day - loc[i + 1] > lookbackDays ? 0 : loc[i + 2];
  return 0;
}

/** Counts `day` for the country in `loc`; returns the index of its triple. */
function bumpCountry(loc: number[], code: number, day: number, lookbackDays: number): number {
  for (let i = 0; i < loc.length; i += 3) {
    if (loc[i] !== code) continue;
    if (day - loc[i + 1] > lookbackDays) loc[i + 2] = 0; // not seen within the lookback: start counting again
    if (day > loc[i + 1] || loc[i + 2] === 0) {
      loc[i + 1] = Math.max(day, loc[i + 1]);
      loc[i + 2] += 1;
    }
    return i;
  }
  if (loc.length >= MAX_COUNTRIES * 3) {
    let oldest = 0;
    for (let i = 3; i < loc.length; i += 3) if (loc[i + 1] < loc[oldest + 1]) oldest = i;
    loc.splice(oldest, 3);
  }
  loc.push(code, day, 1);
  return loc.length - 3;
}

/** After bumpCountry counted the triple at `at`: T_BUMP is its last-seen day when it is the state's country. */
function setBumpDay(rec: unknown[], s: number, loc: number[], at: number): void {
  rec[s + T_BUMP] = loc[at] >= 0 && loc[at] === rec[s + T_CC] && loc[at + 2] > 0 ? loc[at + 1] : -1;
  rec[s + T_PEND] = 0;
}

/** Writes the distinct days counted in the record (T_PEND) into the state's country's triple in `loc`. */
function syncBumps(rec: unknown[], s: number, loc: number[]): void {
  const pend = rec[s + T_PEND] as number;
  if (!(pend > 0)) return;
  applyBumps(loc, rec[s + T_CC] as number, rec[s + T_BUMP] as number, pend);
  rec[s + T_PEND] = 0;
}

function applyBumps(loc: number[], code: number, day: number, pend: number): void {
  for (let i = 0; i < loc.length; i += 3) {
    if (loc[i] !== code) continue;
    loc[i + 1] = day;
    loc[i + 2] += pend;
    return;
  }
}
