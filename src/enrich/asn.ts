/**
 * @module enrich/asn
 * IP -> ASN and organisation from the @ip-location-db/asn CSVs (CC BY 4.0; RouteViews, DB-IP, RIRs).
 * Each file (`start,end,asn,org`, addresses as integers or as text) is read once into typed arrays and
 * searched by binary search: about 0.4 M IPv4 and 0.1 M IPv6 ranges.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RampartError } from '../core/errors.ts';
import { parseIp, type ParsedIp } from './ip.ts';
import { RangeTable, RangeTableBuilder } from './range-table.ts';

export interface AsnRecord {
  asn: number;
  org: string | null;
}

export interface AsnDbPaths {
  ipv4?: string;
  ipv6?: string;
}

const require = createRequire(import.meta.url);
export const defaultAsnPaths = (): Required<AsnDbPaths> => ({
  ipv4: require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'),
  ipv6: require.resolve('@ip-location-db/asn/asn-ipv6-num.csv'),
});
const MASK64 = (1n << 64n) - 1n;
const COMMA = 44;
const QUOTE = 34;

/** Decimal digits of buf[from, to) as a number; NaN when a byte is not a digit. */
function digits(buf: Buffer, from: number, to: number): number {
  if (to <= from) return NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return NaN;
    n = n * 10 + d;
  }
  return n;
}

/** The org column: plain, or quoted with "" escapes. */
function orgText(buf: Buffer, from: number, to: number): string {
  if (buf[from] === QUOTE) {
    const end = to - 1 > from && buf[to - 1] === QUOTE ? to - 1 : to;
    return buf.toString('utf8', from + 1, end).replace(/""/g, '"');
  }
  return buf.toString('utf8', from, to);
}

function grow<T extends Uint32Array | Int32Array | BigUint64Array>(a: T): T {
  const next = new (a.constructor as new (n: number) => T)(a.length * 2);
  next.set(a as never);
  return next;
}

/** Growable typed-array columns filled by the loader. */
class Columns {
  s4 = new Uint32Array(1 << 16);
  e4 = new Uint32Array(1 << 16);
  r4 = new Int32Array(1 << 16);
  n4 = 0;
  s6Hi = new BigUint64Array(1 << 14);
  s6Lo = new BigUint64Array(1 << 14);
  e6Hi = new BigUint64Array(1 << 14);
  e6Lo = new BigUint64Array(1 << 14);
  r6 = new Int32Array(1 << 14);
  n6 = 0;
  asn = new Uint32Array(1 << 16);
  rows = 0;

  row(asn: number): number {
    if (this.rows === this.asn.length) this.asn = grow(this.asn);
    this.asn[this.rows] = asn;
    return this.rows++;
  }

  addV4(start: number, end: number, asn: number): void {
    if (this.n4 === this.s4.length) {
      this.s4 = grow(this.s4);
      this.e4 = grow(this.e4);
      this.r4 = grow(this.r4);
    }
    this.s4[this.n4] = start;
    this.e4[this.n4] = end;
    this.r4[this.n4++] = this.row(asn);
  }

  addV6(start: bigint, end: bigint, asn: number): void {
    if (this.n6 === this.s6Hi.length) {
      this.s6Hi = grow(this.s6Hi);
      this.s6Lo = grow(this.s6Lo);
      this.e6Hi = grow(this.e6Hi);
      this.e6Lo = grow(this.e6Lo);
      this.r6 = grow(this.r6);
    }
    this.s6Hi[this.n6] = start >> 64n;
    this.s6Lo[this.n6] = start & MASK64;
    this.e6Hi[this.n6] = end >> 64n;
    this.e6Lo[this.n6] = end & MASK64;
    this.r6[this.n6++] = this.row(asn);
  }

  table(): RangeTable {
    const t = new RangeTable(
      this.s4.slice(0, this.n4),
      this.e4.slice(0, this.n4),
      this.r4.slice(0, this.n4),
      this.s6Hi.slice(0, this.n6),
      this.s6Lo.slice(0, this.n6),
      this.e6Hi.slice(0, this.n6),
      this.e6Lo.slice(0, this.n6),
      this.r6.slice(0, this.n6),
    );
    if (t.isSorted()) return t;
    // A user-supplied file out of order: sort through the builder.
    const b = new RangeTableBuilder();
    for (let i = 0; i < this.n4; i++) b.addV4(this.s4[i], this.e4[i], this.r4[i]);
    for (let i = 0; i < this.n6; i++) b.addV6(this.s6Hi[i], this.s6Lo[i], this.e6Hi[i], this.e6Lo[i], this.r6[i]);
    return b.build();
  }
}

export class AsnDb {
  readonly #asn: Uint32Array;
  /** One organisation name per ASN (true of the whole ip-location-db data set). */
  readonly #orgs: Map<number, string>;
  readonly #table: RangeTable;
  /** Rows skipped because they could not be parsed. */
  readonly skipped: number;

  private constructor(table: RangeTable, asn: Uint32Array, orgs: Map<number, string>, skipped: number) {
    this.#table = table;
    this.#asn = asn;
    this.#orgs = orgs;
    this.skipped = skipped;
  }

  static empty(): AsnDb {
    return new AsnDb(new RangeTableBuilder().build(), new Uint32Array(0), new Map(), 0);
  }

  /**
   * Loads both files, parsing bytes straight into typed arrays (about 0.5 M rows).
   * Throws RAMPART_ERR_ENRICH_DB_UNAVAILABLE when a file cannot be read.
   */
  static load(paths: AsnDbPaths = defaultAsnPaths()): AsnDb {
    const cols = new Columns();
    const orgs = new Map<number, string>();
    let skipped = 0;
    for (const [family, path] of [
      [4, paths.ipv4],
      [6, paths.ipv6],
    ] as const) {
      if (!path) continue;
      let buf: Buffer;
      try {
        buf = readFileSync(path);
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_ENRICH_DB_UNAVAILABLE', [path, (cause as Error).message], { cause });
      }
      const len = buf.length;
      let pos = 0;
      while (pos < len) {
        let nl = buf.indexOf(10, pos);
        if (nl < 0) nl = len;
        const end = nl > pos && buf[nl - 1] === 13 ? nl - 1 : nl;
        const from = pos;
        pos = nl + 1;
        if (end === from) continue;
        const c1 = buf.indexOf(COMMA, from);
        const c2 = c1 < 0 ? -1 : buf.indexOf(COMMA, c1 + 1);
        const c3 = c2 < 0 ? -1 : buf.indexOf(COMMA, c2 + 1);
        const asn = c3 < 0 || c3 >= end ? NaN : digits(buf, c2 + 1, c3);
        if (!(asn >= 0 && asn <= 0xffffffff)) {
          skipped++;
          continue;
        }
        if (family === 4) {
          let start = digits(buf, from, c1);
          let stop = digits(buf, c1 + 1, c2);
          if (Number.isNaN(start)) start = parseIp(buf.toString('latin1', from, c1))?.v4 ?? NaN; // dotted form
          if (Number.isNaN(stop)) stop = parseIp(buf.toString('latin1', c1 + 1, c2))?.v4 ?? NaN;
          if (!(start <= stop && stop <= 0xffffffff)) {
            skipped++;
            continue;
          }
          cols.addV4(start, stop, asn);
        } else {
          const a = buf.toString('latin1', from, c1);
          const b = buf.toString('latin1', c1 + 1, c2);
          let start: bigint;
          let stop: bigint;
          try {
            start = a.includes(':') ? toBig(parseIp(a)) : BigInt(a);
            stop = b.includes(':') ? toBig(parseIp(b)) : BigInt(b);
          } catch {
            skipped++;
            continue;
          }
          if (start > stop || start < 0n || stop > (1n << 128n) - 1n) {
            skipped++;
            continue;
          }
          cols.addV6(start, stop, asn);
        }
        if (!orgs.has(asn)) orgs.set(asn, orgText(buf, c3 + 1, end));
      }
    }
    return new AsnDb(cols.table(), cols.asn.slice(0, cols.rows), orgs, skipped);
  }

  get rangesV4(): number {
    return this.#table.sizeV4;
  }

  get rangesV6(): number {
    return this.#table.sizeV6;
  }

  lookup(ip: ParsedIp): AsnRecord | null {
    const row = this.#table.find(ip);
    if (row < 0) return null;
    const asn = this.#asn[row];
    return { asn, org: this.#orgs.get(asn) || null };
  }
}

function toBig(ip: ReturnType<typeof parseIp>): bigint {
  if (!ip || ip.family !== 6) throw new Error('not an IPv6 address');
  return (ip.hi << 64n) | ip.lo;
}
