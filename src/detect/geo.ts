/** @module detect/geo  Distances, day numbers and compact country codes for the detections' per-user state. */

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** Great-circle distance (haversine), kilometres. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD;
  const dLon = (lon2 - lon1) * RAD;
  const s = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

export const DAY_MS = 86_400_000;
/** Whole days since the epoch (UTC), the unit of the compact last-seen stamps. */
export const dayNumber = (ms: number): number => Math.floor(ms / DAY_MS);
export const dayToDate = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10);

/** "US" -> a small integer, so per-user country lists are arrays of numbers, not strings. -1 if not a 2-letter code. */
export function countryCode(cc: string | null | undefined): number {
  if (!cc || cc.length !== 2) return -1;
  const a = cc.charCodeAt(0) & 0xdf;
  const b = cc.charCodeAt(1) & 0xdf;
  if (a < 65 || a > 90 || b < 65 || b > 90) return -1;
  return (a - 65) * 26 + (b - 65);
}
export const countryFromCode = (code: number): string => String.fromCharCode(65 + Math.floor(code / 26), 65 + (code % 26));

/** 32-bit FNV-1a, for compact sets of action names. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
