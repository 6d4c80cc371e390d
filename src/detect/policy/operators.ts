/**
 * @module detect/policy/operators
 * The registry of filter operators. Each operator is compiled once per filter (values lower-cased, CIDRs parsed,
 * regexes built) into a test over one attribute value. Missing attributes never reach an operator: filters.ts
 * decides them (that is where the documented "does not equal matches a missing attribute" quirk lives).
 */
import ipaddr from 'ipaddr.js';
import { RE2JS } from 're2js';

/** Kinds of attributes; each operator lists the kinds it accepts. */
export type FieldKind = 'string' | 'boolean' | 'number' | 'ip' | 'time';

/**
 * An attribute value as fields.ts extracts it: a string, a list of strings (multi-valued attributes such as
 * tags or groups), or null when missing. Booleans and numbers arrive as their string form.
 */
export type FieldValue = string | readonly string[] | null;

/** A compiled operator: tests one present (non-missing) value. */
export type ValueTest = (value: string | readonly string[]) => boolean;

export class OperatorValueError extends Error {
  /** Index of the offending value in the filter's value list, when one value is at fault. */
  readonly valueIndex: number | undefined;
  constructor(message: string, valueIndex?: number) {
    super(message);
    this.valueIndex = valueIndex;
  }
}

export interface OperatorSpec {
  readonly name: string;
  /** Words for explanations ("equals", "is in CIDR"). */
  readonly label: string;
  readonly kinds: readonly FieldKind[];
  /** How many values it takes: none (is_set), one or more (OR-ed), or exactly two (range). */
  readonly arity: 'none' | 'some' | 'pair';
  /** What the filter yields when the attribute is missing (before NOT). */
  readonly matchesMissing: boolean;
  compile(values: readonly string[], kind: FieldKind): ValueTest;
}

/** Longest regex source accepted; longer patterns are refused rather than risk slow matching. */
export const MAX_REGEX_LENGTH = 256;
/** Most values one filter may list. */
export const MAX_FILTER_VALUES = 1000;

/** Multi-valued attributes match when any element matches. */
const any = (test: (s: string) => boolean): ValueTest => (v) => {
  if (typeof v === 'string') return test(v);
  for (const s of v) if (test(s)) return true;
  return false;
};

// ---------- IP parsing, cached (the same addresses recur across many events and filters) ----------

type Addr = ipaddr.IPv4 | ipaddr.IPv6;
const IP_CACHE_MAX = 20_000;
const ipCache = new Map<string, Addr | null>();

/** Parses an address (IPv4-mapped IPv6 becomes IPv4); null when not an address. Cached, bounded. */
export function parseIp(s: string): Addr | null {
  let hit = ipCache.get(s);
  if (hit !== undefined) return hit;
  try {
    hit = ipaddr.process(s);
  } catch {
    hit = null;
  }
  if (ipCache.size >= IP_CACHE_MAX) ipCache.clear();
  ipCache.set(s, hit);
  return hit;
}

/** Canonical text of an address so `::1` equals `0:0:0:0:0:0:0:1`; other strings are lower-cased. */
const ipKey = (s: string): string => parseIp(s)?.toString() ?? s.toLowerCase();

type Range = [Addr, number];

/** Parses a CIDR (or a bare address as a one-address range); IPv4-mapped IPv6 ranges become IPv4 ranges. */
export function parseRange(text: string): Range {
  const s = text.trim();
  let range: Range;
  if (s.includes('/')) range = ipaddr.parseCIDR(s) as Range;
  else {
    const a = ipaddr.parse(s);
    range = [a, a.kind() === 'ipv4' ? 32 : 128];
  }
  const [addr, bits] = range;
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(addr as ipaddr.IPv6).toIPv4Address(), bits - 96];
  }
  return range;
}

// ---------- whole-word contains ----------

/** "Contains searches only for full words – separated by commas, dots, spaces, or underscores" (MDCA). */
const WORD_SEPARATORS = /[\s,._]+/;
const isSeparator = (c: string | undefined): boolean => c === undefined || /[\s,._]/.test(c);
/** Lower-cased words of a text, split the way `contains` splits. */
export const wordsOf = (s: string): string[] => s.toLowerCase().split(WORD_SEPARATORS).filter(Boolean);
/**
 * " w1 w2 w3 " so a word sequence is a plain substring search. Cached: many policies test the same attribute
 * of the same activity, and tokenizing is the expensive part of contains.
 */
const WORD_CACHE_MAX = 256;
const wordCache = new Map<string, string>();
function wordLine(s: string): string {
  let line = wordCache.get(s);
  if (line === undefined) {
    line = ` ${wordsOf(s).join(' ')} `;
    if (wordCache.size >= WORD_CACHE_MAX) wordCache.clear();
    wordCache.set(s, line);
  }
  return line;
}

function compileContains(value: string, index: number): (s: string) => boolean {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    // A quoted value is an exact, case-sensitive phrase, separators included, that must stand at word boundaries.
    const phrase = value.slice(1, -1);
    if (!phrase) throw new OperatorValueError('a quoted contains value must not be empty', index);
    return (s) => {
      for (let at = s.indexOf(phrase); at !== -1; at = s.indexOf(phrase, at + 1)) {
        if (isSeparator(s[at - 1]) && isSeparator(s[at + phrase.length])) return true;
      }
      return false;
    };
  }
  const words = wordsOf(value);
  if (!words.length) throw new OperatorValueError(`contains value ${JSON.stringify(value)} has no words`, index);
  const needle = ` ${words.join(' ')} `;
  return (s) => wordLine(s).includes(needle);
}

// ---------- regexes in linear time ----------

/**
 * Refusals with a message clearer than the engine's. Everything else a pattern may hold runs in linear time
 * (compileSafeRegex), so nested and repeated quantifiers (`(a+)+`, `.*.*.*!`) are allowed: they cannot stall.
 */
export function unsafeRegexReason(source: string): string | null {
  if (source.length > MAX_REGEX_LENGTH) return `regex is ${source.length} characters; the limit is ${MAX_REGEX_LENGTH}`;
  if (/\\[1-9]|\\k</.test(source)) return 'back-references are not allowed (matching runs in linear time)';
  if (/\(\?<?[=!]/.test(source.replace(/\\./g, ''))) return 'lookaround assertions are not allowed (matching runs in linear time)';
  return null;
}

/** Whether the pattern has a quantifier outside character classes (escapes skipped). */
function hasQuantifier(source: string): boolean {
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
    } else if (c === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
    } else if (c === '*' || c === '+' || c === '?' || c === '{') {
      return true;
    }
  }
  return false;
}

/**
 * A case-insensitive, unanchored test for a user-supplied pattern (policies, activity-log filters) that cannot
 * stall the process: V8's backtracking engine takes polynomial or exponential time on ambiguous patterns
 * (`.*.*.*.*.*!` on a 125-character user agent: 60 s), so patterns run on RE2JS (RE2's linear-time automaton,
 * ported to JavaScript). A pattern with no quantifier at all cannot backtrack more than its own length per
 * position, so it keeps V8's engine (20-50x faster on short patterns). Every pattern is checked by RE2, so the
 * accepted syntax does not depend on the path. Throws Error with the engine's reason when invalid.
 */
export function compileSafeRegex(source: string): (s: string) => boolean {
  const re2 = RE2JS.compile(source, RE2JS.CASE_INSENSITIVE);
  // Escapes whose meaning differs between the engines (`\pL` is a letter class to RE2, "pL" to V8) go to RE2.
  if (!hasQuantifier(source) && !/\\[^dDwWsSbBtnr\W]/.test(source)) {
    let v8: RegExp | null = null;
    try {
      v8 = new RegExp(source, 'i');
    } catch {
      // syntax V8 does not read: RE2 runs it
    }
    if (v8 !== null) return (s) => v8.test(s);
  }
  return (s) => re2.matcher(s).find();
}

// ---------- the registry ----------

const STRINGISH: readonly FieldKind[] = ['string', 'ip', 'number', 'boolean'];
const TEXT: readonly FieldKind[] = ['string', 'ip'];

const op = (spec: OperatorSpec): OperatorSpec => spec;

function compileEquals(values: readonly string[], kind: FieldKind): (s: string) => boolean {
  if (kind === 'ip') {
    const set = new Set(values.map(ipKey));
    return (s) => set.has(ipKey(s));
  }
  if (kind === 'boolean') {
    values.forEach((v, i) => {
      if (v !== 'true' && v !== 'false') throw new OperatorValueError(`expected true or false, got ${JSON.stringify(v)}`, i);
    });
  }
  if (kind === 'number') {
    values.forEach((v, i) => {
      if (!/^-?\d+(\.\d+)?$/.test(v)) throw new OperatorValueError(`expected a number, got ${JSON.stringify(v)}`, i);
    });
    const set = new Set(values.map((v) => String(Number(v))));
    return (s) => set.has(s);
  }
  if (values.length === 1) {
    const only = values[0].toLowerCase();
    return (s) => s.length === only.length && s.toLowerCase() === only;
  }
  const set = new Set(values.map((v) => v.toLowerCase()));
  return (s) => set.has(s.toLowerCase());
}

function toIsoTime(v: string, i: number): string {
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new OperatorValueError(`${JSON.stringify(v)} is not an ISO-8601 date or date-time`, i);
  return new Date(ms).toISOString();
}

export const OPERATORS = {
  eq: op({
    name: 'eq',
    label: 'equals',
    kinds: STRINGISH,
    arity: 'some',
    matchesMissing: false,
    compile: (values, kind) => any(compileEquals(values, kind)),
  }),
  in: op({
    name: 'in',
    label: 'is in',
    kinds: STRINGISH,
    arity: 'some',
    matchesMissing: false,
    compile: (values, kind) => any(compileEquals(values, kind)),
  }),
  neq: op({
    name: 'neq',
    label: 'does not equal',
    kinds: STRINGISH,
    arity: 'some',
    // The documented quirk: "When a filter is set to does not equal and the attribute does not exist on the
    // event, the event will not be filtered out."
    matchesMissing: true,
    compile: (values, kind) => {
      const eq = any(compileEquals(values, kind));
      return (v) => !eq(v);
    },
  }),
  contains: op({
    name: 'contains',
    label: 'contains the words',
    kinds: TEXT,
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      const tests = values.map(compileContains);
      return any((s) => tests.some((t) => t(s)));
    },
  }),
  starts_with: op({
    name: 'starts_with',
    label: 'starts with',
    kinds: TEXT,
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      const prefixes = values.map((v) => v.toLowerCase());
      return any((s) => {
        const low = s.toLowerCase();
        return prefixes.some((p) => low.startsWith(p));
      });
    },
  }),
  ends_with: op({
    name: 'ends_with',
    label: 'ends with',
    kinds: TEXT,
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      const suffixes = values.map((v) => v.toLowerCase());
      return any((s) => {
        const low = s.toLowerCase();
        return suffixes.some((p) => low.endsWith(p));
      });
    },
  }),
  is_set: op({
    name: 'is_set',
    label: 'is set',
    kinds: ['string', 'ip', 'number', 'boolean', 'time'],
    arity: 'none',
    matchesMissing: false,
    compile: () => () => true,
  }),
  is_not_set: op({
    name: 'is_not_set',
    label: 'is not set',
    kinds: ['string', 'ip', 'number', 'boolean', 'time'],
    arity: 'none',
    matchesMissing: true,
    compile: () => () => false,
  }),
  cidr: op({
    name: 'cidr',
    label: 'is in CIDR',
    kinds: ['ip'],
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      const v4: Range[] = [];
      const v6: Range[] = [];
      values.forEach((v, i) => {
        let r: Range;
        try {
          r = parseRange(v);
        } catch {
          throw new OperatorValueError(`${JSON.stringify(v)} is not an IPv4 or IPv6 CIDR`, i);
        }
        (r[0].kind() === 'ipv4' ? v4 : v6).push(r);
      });
      return any((s) => {
        const a = parseIp(s);
        if (!a) return false;
        const ranges = a.kind() === 'ipv4' ? v4 : v6;
        for (const r of ranges) if (a.match(r as [never, number])) return true;
        return false;
      });
    },
  }),
  regex: op({
    name: 'regex',
    label: 'matches the regex',
    kinds: TEXT,
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      const res = values.map((v, i) => {
        const unsafe = unsafeRegexReason(v);
        if (unsafe) throw new OperatorValueError(unsafe, i);
        try {
          return compileSafeRegex(v);
        } catch (e) {
          throw new OperatorValueError(`invalid regex: ${(e as Error).message}`, i);
        }
      });
      return any((s) => res.some((test) => test(s)));
    },
  }),
  before: op({
    name: 'before',
    label: 'is before',
    kinds: ['time'],
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      if (values.length !== 1) throw new OperatorValueError('before takes one date');
      const t = toIsoTime(values[0], 0);
      return any((s) => s < t);
    },
  }),
  after: op({
    name: 'after',
    label: 'is at or after',
    kinds: ['time'],
    arity: 'some',
    matchesMissing: false,
    compile: (values) => {
      if (values.length !== 1) throw new OperatorValueError('after takes one date');
      const t = toIsoTime(values[0], 0);
      return any((s) => s >= t);
    },
  }),
  between: op({
    name: 'between',
    label: 'is within',
    kinds: ['time'],
    arity: 'pair',
    matchesMissing: false,
    compile: (values) => {
      const from = toIsoTime(values[0], 0);
      const to = toIsoTime(values[1], 1);
      if (from >= to) throw new OperatorValueError('the range start must be before its end', 1);
      return any((s) => s >= from && s < to);
    },
  }),
} as const satisfies Record<string, OperatorSpec>;

export type OperatorName = keyof typeof OPERATORS;
export const OPERATOR_NAMES = Object.keys(OPERATORS) as [OperatorName, ...OperatorName[]];
