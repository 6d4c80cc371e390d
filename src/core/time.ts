/**
 * @module core/time
 * Strict ISO-8601 instants. `Date.parse` reads almost anything ("1" is 2001, "Mar 1" is 2001-03-01, Feb 30
 * rolls over to March, and a date-time without an offset is read in the host's time zone, so one file gave
 * different times on different machines). Event times are evidence: they are read only when unambiguous.
 */

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Epoch milliseconds of an ISO-8601 date-time with an explicit offset (`Z`, `+00:00`, `+0000`, `+02`), or NaN:
 * no offset, an impossible calendar date (Feb 30, hour 24) or any other shape is refused.
 */
export function parseIsoInstant(s: string): number {
  if (typeof s !== 'string' || s.length > 40) return Number.NaN;
  const m = ISO_INSTANT.exec(s);
  if (!m) return Number.NaN;
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
  const hour = Number(m[4]), minute = Number(m[5]), second = m[6] === undefined ? 0 : Number(m[6]);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (month < 1 || month > 12 || day < 1 || day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return Number.NaN;
  if (hour > 23 || minute > 59 || second > 59) return Number.NaN;
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  let offsetMin = 0;
  const z = m[8];
  if (z !== 'Z' && z !== 'z') {
    const digits = z.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2)), om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return Number.NaN;
    offsetMin = (z[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offsetMin * 60_000;
}

/** parseIsoInstant, and a bare calendar date (`2026-04-30`) as midnight UTC, as ISO 8601 and JavaScript read it. */
export function parseIsoDateOrInstant(s: string): number {
  return parseIsoInstant(typeof s === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
}

/**
 * The earliest event time taken as real: 2000-01-01. Earlier ones are a zero or a unit mistake (`entry.time: 0`
 * is 1970), and one such event made the tenant's learning period start in 1970, so it was over for everyone.
 */
export const EARLIEST_EVENT_MS = Date.UTC(2000, 0, 1);
