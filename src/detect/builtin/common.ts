/** @module detect/builtin/common  Small helpers shared by the built-in detections (filters, wording). */
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

/** Same IPv4 /24 or IPv6 /48: "the same network" for brute force followed by success. */
export function networkOf(ip: string | null): string | null {
  if (!ip) return null;
  if (ip.includes(':')) return ip.toLowerCase().split(':').slice(0, 3).join(':');
  const i = ip.lastIndexOf('.');
  return i > 0 ? ip.slice(0, i) : ip;
}
