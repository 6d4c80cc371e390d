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
import { RangeTableBuilder, type RangeTable } from './range-table.ts';

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

/** Splits one CSV line into at most 4 fields; the 4th (org) may be quoted with "" escapes. */
function splitRow(line: string): [string, string, string, string] | null {
  const c1 = line.indexOf(',');
  const c2 = line.indexOf(',', c1 + 1);
  const c3 = line.indexOf(',', c2 + 1);
  if (c1 < 0 || c2 < 0 || c3 < 0) return null;
  let org = line.slice(c3 + 1);
  if (org.charCodeAt(0) === 34 /* " */) org = org.slice(1, org.endsWith('"') ? -1 : undefined).replace(/""/g, '"');
  return [line.slice(0, c1), line.slice(c1 + 1, c2), line.slice(c2 + 1, c3), org];
}

export class AsnDb {
  readonly #asn: Uint32Array;
  readonly #org: Uint32Array;
  readonly #orgs: string[];
  readonly #table: RangeTable;
  /** Rows skipped because they could not be parsed. */
  readonly skipped: number;

  private constructor(table: RangeTable, asn: Uint32Array, org: Uint32Array, orgs: string[], skipped: number) {
    this.#table = table;
    this.#asn = asn;
    this.#org = org;
    this.#orgs = orgs;
    this.skipped = skipped;
  }

  static empty(): AsnDb {
    return new AsnDb(new RangeTableBuilder().build(), new Uint32Array(0), new Uint32Array(0), [], 0);
  }

  /** Loads both files; throws RAMPART_ERR_ENRICH_DB_UNAVAILABLE when a file cannot be read. */
  static load(paths: AsnDbPaths = defaultAsnPaths()): AsnDb {
    const builder = new RangeTableBuilder();
    const asns: number[] = [];
    const orgIdx: number[] = [];
    const orgs: string[] = [];
    const orgIds = new Map<string, number>();
    let skipped = 0;
    const addRow = (org: string, asn: number): number => {
      let id = orgIds.get(org);
      if (id === undefined) {
        id = orgs.length;
        orgs.push(org);
        orgIds.set(org, id);
      }
      asns.push(asn);
      orgIdx.push(id);
      return asns.length - 1;
    };
    for (const [family, path] of [
      [4, paths.ipv4],
      [6, paths.ipv6],
    ] as const) {
      if (!path) continue;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_ENRICH_DB_UNAVAILABLE', [path, (cause as Error).message], { cause });
      }
      let pos = 0;
      while (pos < text.length) {
        let nl = text.indexOf('\n', pos);
        if (nl < 0) nl = text.length;
        const line = text.charCodeAt(nl - 1) === 13 ? text.slice(pos, nl - 1) : text.slice(pos, nl);
        pos = nl + 1;
        if (line.length === 0) continue;
        const row = splitRow(line);
        const asn = row ? Number(row[2]) : NaN;
        if (!row || !Number.isInteger(asn) || asn < 0 || asn > 0xffffffff) {
          skipped++;
          continue;
        }
        if (family === 4) {
          const start = row[0].includes('.') ? parseIp(row[0])?.v4 : Number(row[0]);
          const end = row[1].includes('.') ? parseIp(row[1])?.v4 : Number(row[1]);
          if (start === undefined || end === undefined || !(start <= end) || end > 0xffffffff) {
            skipped++;
            continue;
          }
          builder.addV4(start, end, addRow(row[3], asn));
        } else {
          let start: bigint;
          let end: bigint;
          try {
            start = row[0].includes(':') ? toBig(parseIp(row[0])) : BigInt(row[0]);
            end = row[1].includes(':') ? toBig(parseIp(row[1])) : BigInt(row[1]);
          } catch {
            skipped++;
            continue;
          }
          if (start > end || start < 0n) {
            skipped++;
            continue;
          }
          builder.addV6(start >> 64n, start & MASK64, end >> 64n, end & MASK64, addRow(row[3], asn));
        }
      }
    }
    return new AsnDb(builder.build(), Uint32Array.from(asns), Uint32Array.from(orgIdx), orgs, skipped);
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
    return { asn: this.#asn[row], org: this.#orgs[this.#org[row]] || null };
  }
}

function toBig(ip: ReturnType<typeof parseIp>): bigint {
  if (!ip || ip.family !== 6) throw new Error('not an IPv6 address');
  return (ip.hi << 64n) | ip.lo;
}
