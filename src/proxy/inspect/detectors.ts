/**
 * @module proxy/inspect/detectors
 * Built-in sensitive-information detectors for content inspection (MDCA's retired built-in engine, section 6 of
 * mdca-semantics.md): credit card numbers (Visa, Mastercard, Amex, Discover, JCB, Diners; separators space,
 * dot or dash; Luhn validated), IBAN (ISO 13616 mod-97), US SSN (SSA invalid-range rules), email addresses,
 * and custom regexes. A detector is a candidate regex plus a validator, so look-alikes that fail the checksum
 * never count. Each detector is one entry in DETECTORS.
 */
import { RE2JS } from 're2js';

export interface Detector {
  readonly id: string;
  /** Global regex finding candidates; must not match more than MAX_TOKEN_CHARS characters. */
  readonly pattern: RegExp;
  /**
   * Optional faster search used instead of `pattern`: the next candidate at or after `from`, or null.
   * For detectors with a rare anchor character (the @ of an email) it avoids trying the regex at every offset.
   */
  findNext?(text: string, from: number): { index: number; match: string } | null;
  /** Checks a candidate (the whole match); false = a look-alike. */
  validate(match: string): boolean;
  /** The match as evidence may show it. */
  mask(match: string): string;
}

/** Longest token a detector may match: the streaming inspector keeps this much overlap between chunks. */
export const MAX_TOKEN_CHARS = 640;

// ---------- credit cards ----------

/** Luhn (mod 10) over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

export type CardBrand = 'visa' | 'mastercard' | 'amex' | 'discover' | 'jcb' | 'diners';

/** The brand whose issuer prefix and length the number has (ISO/IEC 7812 IIN ranges), or null. */
export function cardBrand(d: string): CardBrand | null {
  const n = d.length;
  const p2 = Number(d.slice(0, 2));
  const p3 = Number(d.slice(0, 3));
  const p4 = Number(d.slice(0, 4));
  const p6 = Number(d.slice(0, 6));
  if (d[0] === '4' && (n === 13 || n === 16 || n === 19)) return 'visa';
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n === 16) return 'mastercard';
  if ((p2 === 34 || p2 === 37) && n === 15) return 'amex';
  if ((p4 === 6011 || (p3 >= 644 && p3 <= 649) || p2 === 65 || (p6 >= 622126 && p6 <= 622925)) && n >= 16 && n <= 19) return 'discover';
  if (p4 >= 3528 && p4 <= 3589 && n >= 16 && n <= 19) return 'jcb';
  if (((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) && (n === 14 || n === 16)) return 'diners';
  return null;
}

const CARD_RE = /(?<![\d.-])\d(?:[ .-]?\d){12,18}(?![\d])/g;

const creditCard: Detector = {
  id: 'credit_card',
  pattern: CARD_RE,
  validate(m) {
    // One kind of separator at most: "4111 1111.1111-1111" is not written by anyone. One pass, no allocations
    // but the digit string (this runs for every candidate of a dense file).
    let sep = '';
    let digits = '';
    for (let i = 0; i < m.length; i++) {
      const c = m[i];
      if (c >= '0' && c <= '9') digits += c;
      else if (sep === '') sep = c;
      else if (c !== sep) return false;
    }
    return cardBrand(digits) !== null && luhnValid(digits);
  },
  mask: (m) => maskDigitsKeepLast(m, 4),
};

// ---------- IBAN ----------

/** IBAN lengths by country (SWIFT IBAN registry); other countries are accepted between 15 and 34 characters. */
const IBAN_LENGTH: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22, CY: 28, CZ: 24,
  DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18, GR: 27,
  GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LI: 21, LT: 20, LU: 20,
  LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25,
  QA: 29, RO: 24, RS: 22, SA: 24, SE: 24, SI: 19, SK: 24, SM: 27, TN: 24, TR: 26, UA: 29, VG: 24, XK: 20,
};

/** ISO 7064 mod 97-10 over the rearranged IBAN, computed piecewise (no bigint). */
export function ibanValid(raw: string): boolean {
  const s = raw.replace(/ /g, '').toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(s)) return false;
  const expected = IBAN_LENGTH[s.slice(0, 2)];
  if (expected !== undefined && s.length !== expected) return false;
  const moved = s.slice(4) + s.slice(0, 4);
  let rem = 0;
  for (const ch of moved) {
    const code = ch.charCodeAt(0);
    const v = code >= 65 ? String(code - 55) : ch;
    for (const c of v) rem = (rem * 10 + (c.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const iban: Detector = {
  id: 'iban',
  pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g,
  validate: ibanValid,
  mask: (m) => m.slice(0, 4) + m.slice(4, -4).replace(/[A-Z0-9]/g, '*') + m.slice(-4),
};

// ---------- US SSN ----------

/** SSA rules: area not 000, 666 or 900-999; group not 00; serial not 0000; plus the famous advertising numbers. */
export function ssnValid(m: string): boolean {
  const d = m.replace(/\D/g, '');
  if (d.length !== 9) return false;
  const area = Number(d.slice(0, 3));
  const group = Number(d.slice(3, 5));
  const serial = Number(d.slice(5));
  if (area === 0 || area === 666 || area >= 900 || group === 0 || serial === 0) return false;
  return d !== '078051120' && d !== '219099999' && d !== '123456789';
}

const usSsn: Detector = {
  id: 'us_ssn',
  // A separator is required (dash or space, the same twice): bare 9-digit runs are mostly other numbers.
  pattern: /(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])/g,
  validate: ssnValid,
  mask: (m) => maskDigitsKeepLast(m, 4),
};

// ---------- email ----------

const EMAIL_RE = /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g;
/** The same pattern, tried only from the start of the local part before each "@". */
const EMAIL_AT_RE = /[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/y;
const isLocalChar = (c: number): boolean =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 37 || c === 43 || c === 45;

const email: Detector = {
  id: 'email',
  pattern: EMAIL_RE,
  findNext(text, from) {
    for (let at = text.indexOf('@', from); at !== -1; at = text.indexOf('@', at + 1)) {
      let start = at;
      while (start > 0 && at - start < 65 && isLocalChar(text.charCodeAt(start - 1))) start--;
      if (start === at || start < from) continue;
      if (start > 0 && isLocalChar(text.charCodeAt(start - 1))) continue; // local part longer than 64
      EMAIL_AT_RE.lastIndex = start;
      const m = EMAIL_AT_RE.exec(text);
      if (m) return { index: start, match: m[0] };
    }
    return null;
  },
  validate: (m) => !m.startsWith('.') && !m.includes('..'),
  mask: (m) => {
    const at = m.indexOf('@');
    return `${m[0]}${'*'.repeat(Math.max(1, at - 1))}${m.slice(at)}`;
  },
};

export const BUILTIN_DETECTORS = { credit_card: creditCard, iban, us_ssn: usSsn, email } as const;
export type BuiltinDetectorId = keyof typeof BUILTIN_DETECTORS;
export const BUILTIN_DETECTOR_IDS = Object.keys(BUILTIN_DETECTORS) as [BuiltinDetectorId, ...BuiltinDetectorId[]];

/** Longest custom regex source accepted (same bound as activity-policy regexes). */
export const MAX_CUSTOM_REGEX = 256;

/**
 * A custom regex detector; every match counts, masked but for its last 2 characters. It runs on RE2JS (linear
 * time, the same engine as policy regexes): the pattern is an admin's, but the text is whatever a user uploads or
 * downloads, and V8's backtracking engine on an ambiguous pattern (`(\\d+\\s?)+x`) and a crafted file would hold the
 * proxy for minutes. Flags: i (case-insensitive), m (multi-line), s (dot matches newlines); u is implied.
 */
export function customRegexDetector(id: string, source: string, flags = ''): Detector {
  if (source.length > MAX_CUSTOM_REGEX) throw new Error(`regex longer than ${MAX_CUSTOM_REGEX} characters`);
  const re2 = RE2JS.compile(source, (flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0) | (flags.includes('m') ? RE2JS.MULTILINE : 0) | (flags.includes('s') ? RE2JS.DOTALL : 0));
  if (re2.matcher('').find()) throw new Error('regex matches the empty string');
  let text: string | null = null;
  let matcher: ReturnType<typeof re2.matcher> | null = null;
  return {
    id,
    pattern: NEVER, // findNext is the search
    findNext(t, from) {
      if (t !== text || matcher === null) {
        text = t;
        matcher = re2.matcher(t);
      }
      // Zero-length matches (`\\b` alone) are stepped over: they are no token and would not advance the search.
      for (let at = from; at <= t.length && matcher.find(at); at = matcher.start() + 1) {
        const match = matcher.group() ?? '';
        if (match.length > 0) return { index: matcher.start(), match };
      }
      return null;
    },
    validate: (m) => m.length <= MAX_TOKEN_CHARS,
    mask: (m) => (m.length <= 2 ? '*'.repeat(m.length) : '*'.repeat(m.length - 2) + m.slice(-2)),
  };
}

/** A regex that never matches: the `pattern` of detectors that search with findNext. */
const NEVER = /(?!)/g;

function maskDigitsKeepLast(m: string, keep: number): string {
  let seen = 0;
  const total = m.replace(/\D/g, '').length;
  let out = '';
  for (const ch of m) {
    if (ch >= '0' && ch <= '9') {
      seen++;
      out += seen > total - keep ? ch : '*';
    } else out += ch;
  }
  return out;
}
