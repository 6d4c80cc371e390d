/**
 * @module enrich/ip
 * Parsing of IP addresses and CIDR blocks into numeric keys that the range tables search:
 * IPv4 as one unsigned 32-bit number, IPv6 as two unsigned 64-bit halves (hi, lo) so that tables can live in
 * typed arrays. IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is unwrapped to IPv4, because every data source keys
 * such an address by its IPv4 form.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type IpFamily = 4 | 6;

export interface ParsedIp {
  family: IpFamily;
  /** Canonical text: dotted quad for IPv4 (also for unwrapped mapped IPv6), RFC 5952 short form for IPv6. */
  text: string;
  /** IPv4 value (0..2^32-1); 0 for IPv6. */
  v4: number;
  /** IPv6 halves; 0n for IPv4. */
  hi: bigint;
  lo: bigint;
  /** ipaddr.js range name: `unicast` for public addresses, else `private`, `loopback`, `linkLocal`, ... */
  range: string;
}

export interface ParsedCidr {
  family: IpFamily;
  /** Canonical `network/prefix`. */
  text: string;
  /** First and last address of the block (inclusive). */
  startV4: number;
  endV4: number;
  startHi: bigint;
  startLo: bigint;
  endHi: bigint;
  endLo: bigint;
}

const MASK64 = (1n << 64n) - 1n;

/** Ranges that are not globally routable (no geo, category `private`). `unicast`, 6to4 and Teredo are public. */
const PUBLIC_RANGES = new Set(['unicast', '6to4', 'teredo']);
export const isPublicRange = (range: string): boolean => PUBLIC_RANGES.has(range);

/**
 * IPv4 special ranges as in ipaddr.js `range()` (checked against it in ip.test.ts), as numbers so that the
 * cache-miss path does not build ipaddr.js objects. Most specific first where blocks nest.
 */
const V4_SPECIAL: readonly (readonly [number, number, string])[] = (
  [
    ['0.0.0.0', 8, 'unspecified'],
    ['10.0.0.0', 8, 'private'],
    ['100.64.0.0', 10, 'carrierGradeNat'],
    ['127.0.0.0', 8, 'loopback'],
    ['169.254.0.0', 16, 'linkLocal'],
    ['172.16.0.0', 12, 'private'],
    ['192.0.0.0', 24, 'reserved'],
    ['192.0.2.0', 24, 'reserved'],
    ['192.31.196.0', 24, 'as112'],
    ['192.52.193.0', 24, 'amt'],
    ['192.88.99.0', 24, 'reserved'],
    ['192.168.0.0', 16, 'private'],
    ['192.175.48.0', 24, 'as112'],
    ['198.18.0.0', 15, 'reserved'],
    ['198.51.100.0', 24, 'reserved'],
    ['203.0.113.0', 24, 'reserved'],
    ['224.0.0.0', 4, 'multicast'],
    ['255.255.255.255', 32, 'broadcast'],
    ['240.0.0.0', 4, 'reserved'],
  ] as const
).map(([a, p, name]) => {
  const start = ipv4ToNumber(a);
  return [start, start + 2 ** (32 - p) - 1, name] as const;
});

export function ipv4Range(n: number): string {
  for (const [start, end, name] of V4_SPECIAL) if (n >= start && n <= end) return name;
  return 'unicast';
}

/** Fast dotted-quad parse; NaN when `s` is not exactly four decimal octets. */
export function ipv4ToNumber(s: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return NaN;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return NaN; // leading zero: ambiguous (octal in some parsers)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return NaN;
    } else return NaN;
  }
  if (dots !== 3 || digits === 0) return NaN;
  return value * 256 + octet;
}

export const numberToIpv4 = (n: number): string => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function v6Halves(parts: number[]): [bigint, bigint] {
  const hi = (BigInt(parts[0]) << 48n) | (BigInt(parts[1]) << 32n) | (BigInt(parts[2]) << 16n) | BigInt(parts[3]);
  const lo = (BigInt(parts[4]) << 48n) | (BigInt(parts[5]) << 32n) | (BigInt(parts[6]) << 16n) | BigInt(parts[7]);
  return [hi, lo];
}

/** Parses an IP address (IPv4, IPv6, IPv4-mapped IPv6, optional `%zone`); null when it is not one. */
export function parseIp(input: string): ParsedIp | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > 64) return null;
  let s = input.trim();
  const zone = s.indexOf('%');
  if (zone > 0) s = s.slice(0, zone);
  const fam = isIP(s);
  if (fam === 4) {
    const v4 = ipv4ToNumber(s);
    if (Number.isNaN(v4)) return null;
    return { family: 4, text: numberToIpv4(v4), v4, hi: 0n, lo: 0n, range: ipv4Range(v4) };
  }
  if (fam !== 6) return null;
  let addr: ipaddr.IPv6;
  try {
    addr = ipaddr.IPv6.parse(s);
  } catch {
    return null;
  }
  if (addr.isIPv4MappedAddress()) {
    const v4addr = addr.toIPv4Address();
    const text = v4addr.toString();
    return { family: 4, text, v4: ipv4ToNumber(text), hi: 0n, lo: 0n, range: v4addr.range() };
  }
  const [hi, lo] = v6Halves(addr.parts);
  return { family: 6, text: addr.toRFC5952String(), v4: 0, hi, lo, range: addr.range() };
}

/** Parses `a.b.c.d/n`, `x::/n` or a single address (as /32 or /128). Host bits are cleared. Null when invalid. */
export function parseCidr(input: string): ParsedCidr | null {
  if (typeof input !== 'string') return null;
  const s = input.trim();
  if (s.length === 0 || s.length > 64) return null;
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (s.includes('/')) {
      const [a, p] = s.split('/');
      if (!/^\d{1,3}$/.test(p)) return null;
      if (!isIP(a)) return null;
      [addr, prefix] = ipaddr.parseCIDR(s);
    } else {
      if (!isIP(s)) return null;
      addr = ipaddr.parse(s);
      prefix = addr.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    return null;
  }
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  if (addr.kind() === 'ipv4') {
    const base = ipv4ToNumber(addr.toString());
    const size = 2 ** (32 - prefix);
    const start = base - (base % size);
    return {
      family: 4,
      text: `${numberToIpv4(start)}/${prefix}`,
      startV4: start,
      endV4: start + size - 1,
      startHi: 0n,
      startLo: 0n,
      endHi: 0n,
      endLo: 0n,
    };
  }
  const [hi, lo] = v6Halves((addr as ipaddr.IPv6).parts);
  const full = (hi << 64n) | lo;
  const hostMask = prefix === 128 ? 0n : (1n << BigInt(128 - prefix)) - 1n;
  const start = full & ~hostMask & ((1n << 128n) - 1n);
  const end = start | hostMask;
  const netParts: number[] = [];
  for (let i = 7; i >= 0; i--) netParts.push(Number((start >> BigInt(i * 16)) & 0xffffn));
  return {
    family: 6,
    text: `${new ipaddr.IPv6(netParts).toRFC5952String()}/${prefix}`,
    startV4: 0,
    endV4: 0,
    startHi: start >> 64n,
    startLo: start & MASK64,
    endHi: end >> 64n,
    endLo: end & MASK64,
  };
}
