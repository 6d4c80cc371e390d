/**
 * @module enrich/range-table
 * A sorted table of IP ranges in typed arrays with binary search: the one lookup structure behind the ASN
 * data, the built-in lists, the feeds and the organisation IP ranges. IPv4 keys are 32-bit numbers, IPv6 keys
 * two 64-bit halves. Each range carries an integer value (an ASN row, a range index, or 1 for membership).
 */
import type { ParsedCidr, ParsedIp } from './ip.ts';

export interface RangeTableOptions {
  /** Merge overlapping and adjacent ranges (membership sets). Values of merged ranges must be equal. */
  merge?: boolean;
}

const cmp128 = (aHi: bigint, aLo: bigint, bHi: bigint, bLo: bigint): number =>
  aHi < bHi ? -1 : aHi > bHi ? 1 : aLo < bLo ? -1 : aLo > bLo ? 1 : 0;

export class RangeTableBuilder {
  readonly #v4: number[] = []; // start, end, value triples
  readonly #v6: { sHi: bigint; sLo: bigint; eHi: bigint; eLo: bigint; value: number }[] = [];

  addV4(start: number, end: number, value: number): void {
    this.#v4.push(start, end, value);
  }

  addV6(sHi: bigint, sLo: bigint, eHi: bigint, eLo: bigint, value: number): void {
    this.#v6.push({ sHi, sLo, eHi, eLo, value });
  }

  addCidr(c: ParsedCidr, value: number): void {
    if (c.family === 4) this.addV4(c.startV4, c.endV4, value);
    else this.addV6(c.startHi, c.startLo, c.endHi, c.endLo, value);
  }

  get size(): number {
    return this.#v4.length / 3 + this.#v6.length;
  }

  build(opts: RangeTableOptions = {}): RangeTable {
    // IPv4: sort triples by start (skip the sort when already sorted, as the ASN CSV is).
    const n4 = this.#v4.length / 3;
    let order: number[] | null = null;
    for (let i = 1; i < n4; i++) {
      if (this.#v4[i * 3] < this.#v4[(i - 1) * 3]) {
        order = Array.from({ length: n4 }, (_, k) => k).sort((a, b) => this.#v4[a * 3] - this.#v4[b * 3]);
        break;
      }
    }
    const s4: number[] = [];
    const e4: number[] = [];
    const v4: number[] = [];
    for (let k = 0; k < n4; k++) {
      const i = order ? order[k] : k;
      const start = this.#v4[i * 3];
      const end = this.#v4[i * 3 + 1];
      const value = this.#v4[i * 3 + 2];
      const last = e4.length - 1;
      if (opts.merge && last >= 0 && start <= e4[last] + 1 && v4[last] === value) {
        if (end > e4[last]) e4[last] = end;
        continue;
      }
      s4.push(start);
      e4.push(end);
      v4.push(value);
    }
    const six = [...this.#v6].sort((a, b) => cmp128(a.sHi, a.sLo, b.sHi, b.sLo));
    const merged6: typeof six = [];
    for (const r of six) {
      const last = merged6[merged6.length - 1];
      if (opts.merge && last && last.value === r.value) {
        // adjacent when r.start <= last.end + 1
        const nextLo = (last.eLo + 1n) & ((1n << 64n) - 1n);
        const nextHi = last.eLo === (1n << 64n) - 1n ? last.eHi + 1n : last.eHi;
        if (cmp128(r.sHi, r.sLo, nextHi, nextLo) <= 0) {
          if (cmp128(r.eHi, r.eLo, last.eHi, last.eLo) > 0) {
            last.eHi = r.eHi;
            last.eLo = r.eLo;
          }
          continue;
        }
      }
      merged6.push({ ...r });
    }
    return new RangeTable(
      Uint32Array.from(s4),
      Uint32Array.from(e4),
      Int32Array.from(v4),
      BigUint64Array.from(merged6.map((r) => r.sHi)),
      BigUint64Array.from(merged6.map((r) => r.sLo)),
      BigUint64Array.from(merged6.map((r) => r.eHi)),
      BigUint64Array.from(merged6.map((r) => r.eLo)),
      Int32Array.from(merged6.map((r) => r.value)),
    );
  }
}

/** Tables at least this long get a /16 index (256 KB): the ASN table's binary search touched ~19 cold cache lines. */
const INDEX_MIN_V4 = 4096;

export class RangeTable {
  /** For a /16 prefix p, the first range starting at or after p.0.0 (p = 0..65536); null for small tables. */
  readonly #index16: Uint32Array | null;

  /** Takes ownership of the arrays, which must be sorted by start (use RangeTableBuilder otherwise). */
  constructor(
    private readonly s4: Uint32Array,
    private readonly e4: Uint32Array,
    private readonly v4: Int32Array,
    private readonly s6Hi: BigUint64Array,
    private readonly s6Lo: BigUint64Array,
    private readonly e6Hi: BigUint64Array,
    private readonly e6Lo: BigUint64Array,
    private readonly v6: Int32Array,
  ) {
    this.#index16 = null;
    if (s4.length >= INDEX_MIN_V4 && this.isSorted()) {
      const idx = new Uint32Array(65537);
      let i = 0;
      for (let p = 0; p <= 65536; p++) {
        while (i < s4.length && s4[i] < p * 65536) i++;
        idx[p] = i;
      }
      this.#index16 = idx;
    }
  }

  static empty(): RangeTable {
    return new RangeTableBuilder().build();
  }

  /** True when starts are non-decreasing in both families (what binary search needs). */
  isSorted(): boolean {
    for (let i = 1; i < this.s4.length; i++) if (this.s4[i] < this.s4[i - 1]) return false;
    for (let i = 1; i < this.s6Hi.length; i++) {
      if (this.s6Hi[i] < this.s6Hi[i - 1] || (this.s6Hi[i] === this.s6Hi[i - 1] && this.s6Lo[i] < this.s6Lo[i - 1])) return false;
    }
    return true;
  }

  get sizeV4(): number {
    return this.s4.length;
  }

  get sizeV6(): number {
    return this.s6Hi.length;
  }

  /** Value of the range holding `ip`, or -1. */
  findV4(ip: number): number {
    const s = this.s4;
    let lo = 0;
    let hi = s.length - 1;
    const idx = this.#index16;
    if (idx !== null) {
      // The answer (the last range starting at or before ip) lies between the last range starting before ip's
      // /16 and the last one starting within it.
      const p = ip >>> 16;
      lo = idx[p] > 0 ? idx[p] - 1 : 0;
      hi = idx[p + 1] - 1;
    }
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid] <= ip) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return at >= 0 && ip <= this.e4[at] ? this.v4[at] : -1;
  }

  findV6(ipHi: bigint, ipLo: bigint): number {
    const sh = this.s6Hi;
    const sl = this.s6Lo;
    let lo = 0;
    let hi = sh.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const h = sh[mid];
      if (h < ipHi || (h === ipHi && sl[mid] <= ipLo)) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at < 0) return -1;
    const eh = this.e6Hi[at];
    return ipHi < eh || (ipHi === eh && ipLo <= this.e6Lo[at]) ? this.v6[at] : -1;
  }

  find(ip: ParsedIp): number {
    return ip.family === 4 ? this.findV4(ip.v4) : this.findV6(ip.hi, ip.lo);
  }

  has(ip: ParsedIp): boolean {
    return this.find(ip) >= 0;
  }
}
