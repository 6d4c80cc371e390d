/** @module detect/builtin/common  Small helpers shared by the built-in detections (filters, wording). */
import { parseIp } from '../../enrich/ip.ts';
import type { Activity } from '../../schema/activity.ts';

/** MDCA: the location/IP detections look only at successful, interactive activities (both switchable). */
export function isCountedSignIn(a: Pick<Activity, 'outcome' | 'interactive'>, cfg: { successOnly: boolean; interactiveOnly: boolean }): boolean {
  if (cfg.successOnly && a.outcome !== 'success') return false;
  if (cfg.interactiveOnly && !a.interactive) return false;
  return true;
}

let regionNames: Intl.DisplayNames | null = null;
/** Answers by code: Intl.DisplayNames.of is slow enough to show in alert-heavy streams. */
const countryNames = new Map<string, string>();
/** "RU" -> "Russia" (falls back to the code). */
export function countryName(code: string): string {
  let name = countryNames.get(code);
  if (name !== undefined) return name;
  try {
    regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' });
    name = regionNames.of(code) ?? code;
  } catch {
    name = code;
  }
  // Bounded: geo countries are ~250 codes; anything odd beyond that is answered uncached.
  if (countryNames.size < 1024) countryNames.set(code, name);
  return name;
}

/** "Auckland, New Zealand (NZ)". */
export function placeOf(a: Pick<Activity, 'geo'>): string {
  const c = a.geo?.country ?? '??';
  return a.geo?.city ? `${a.geo.city}, ${countryName(c)} (${c})` : `${countryName(c)} (${c})`;
}

/** 7260 s -> "2 h 1 min". */
export function formatDuration(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} days ${h % 24} h`;
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

/**
 * Same IPv4 /24 or IPv6 /48: "the same network" for brute force followed by success. Parsed, not cut from the
 * text: an IPv4-mapped address is its IPv4 /24 (its text starts `::ffff` whatever the address), and compressed
 * IPv6 spellings (`2a02:c7f::1`, `2a02:c7f:0:5::1`) share a /48 that their first three text groups do not show.
 */
export function networkOf(ip: string | null): string | null {
  if (!ip) return null;
  const p = parseIp(ip);
  if (p === null) return null;
  return p.family === 4 ? `4/${p.v4 >>> 8}` : `6/${(p.hi >> 16n).toString(16)}`;
}
