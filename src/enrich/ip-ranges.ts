/**
 * @module enrich/ip-ranges
 * The organisation's own IP ranges with MDCA semantics (mdca-semantics.md section 5): a name, a category
 * (corporate | administrative | risky | vpn | cloud_provider | other), IPv4/IPv6 subnets, tags, and optional
 * location and ISP overrides. Ranges may not overlap (MDCA: "You cannot add IP ranges with overlapping IP
 * addresses"). A matching range takes precedence over the built-in classification (see index.ts).
 */
import { RampartError } from '../core/errors.ts';
import type { IpRangeConfig } from '../config/schema.ts';
import { parseCidr, type ParsedCidr, type ParsedIp } from './ip.ts';
import { RangeTableBuilder, type RangeTable } from './range-table.ts';

export type IpRange = Omit<IpRangeConfig, 'tags'> & { tags?: string[] };

interface Span {
  range: number;
  subnet: string;
  cidr: ParsedCidr;
}

const cmpStart = (a: ParsedCidr, b: ParsedCidr): number =>
  a.family !== b.family
    ? a.family - b.family
    : a.family === 4
      ? a.startV4 - b.startV4
      : a.startHi < b.startHi ? -1 : a.startHi > b.startHi ? 1 : a.startLo < b.startLo ? -1 : a.startLo > b.startLo ? 1 : 0;

/** True when `b` (which starts at or after `a`) starts inside `a`. */
const startsInside = (a: ParsedCidr, b: ParsedCidr): boolean =>
  a.family === b.family &&
  (a.family === 4 ? b.startV4 <= a.endV4 : b.startHi < a.endHi || (b.startHi === a.endHi && b.startLo <= a.endLo));

function parseSpans(ranges: readonly IpRange[]): { spans: Span[]; issues: RampartError[] } {
  const spans: Span[] = [];
  const issues: RampartError[] = [];
  ranges.forEach((r, i) => {
    for (const subnet of r.subnets) {
      const cidr = parseCidr(subnet);
      if (!cidr) issues.push(new RampartError('RAMPART_ERR_ENRICH_RANGE_INVALID', [r.name, JSON.stringify(subnet)]));
      else spans.push({ range: i, subnet, cidr });
    }
  });
  return { spans, issues };
}

/**
 * Every problem with a set of ranges: invalid subnets (RAMPART_ERR_ENRICH_RANGE_INVALID) and overlapping
 * subnets (RAMPART_ERR_ENRICH_RANGE_OVERLAP, naming both ranges and both subnets). Empty when valid.
 * The API and config checks reuse it.
 */
export function validateIpRanges(ranges: readonly IpRange[]): RampartError[] {
  const { spans, issues } = parseSpans(ranges);
  spans.sort((a, b) => cmpStart(a.cidr, b.cidr));
  // Sweep in start order, remembering the span that reaches furthest: any span starting inside it overlaps.
  let widest: Span | null = null;
  for (const s of spans) {
    if (widest && startsInside(widest.cidr, s.cidr)) {
      issues.push(
        new RampartError('RAMPART_ERR_ENRICH_RANGE_OVERLAP', [ranges[s.range].name, s.subnet, ranges[widest.range].name, widest.subnet]),
      );
    }
    if (!widest || widest.cidr.family !== s.cidr.family || endsAfter(s.cidr, widest.cidr)) widest = s;
  }
  return issues;
}

const endsAfter = (a: ParsedCidr, b: ParsedCidr): boolean =>
  a.family === 4 ? a.endV4 > b.endV4 : a.endHi > b.endHi || (a.endHi === b.endHi && a.endLo > b.endLo);

/** Compiled, validated ranges with a binary-searchable table. Construct with `compileIpRanges`. */
export class IpRangeIndex {
  constructor(
    readonly ranges: readonly IpRange[],
    private readonly table: RangeTable,
  ) {}

  static empty(): IpRangeIndex {
    return new IpRangeIndex([], new RangeTableBuilder().build());
  }

  lookup(ip: ParsedIp): IpRange | null {
    const i = this.table.find(ip);
    return i >= 0 ? this.ranges[i] : null;
  }
}

/** Validates and compiles; throws the first issue (all of them are in `validateIpRanges`). */
export function compileIpRanges(ranges: readonly IpRange[]): IpRangeIndex {
  const issues = validateIpRanges(ranges);
  if (issues.length) throw issues[0];
  const b = new RangeTableBuilder();
  const { spans } = parseSpans(ranges);
  for (const s of spans) b.addCidr(s.cidr, s.range);
  return new IpRangeIndex(
    ranges.map((r) => ({ ...r, tags: [...(r.tags ?? [])] })),
    b.build(),
  );
}

/** A stored range (Store.listIpRanges allows nulls where the config omits keys) as the enricher takes it. */
export function fromStoredRange(r: {
  name: string;
  category: IpRange['category'];
  subnets: string[];
  tags?: string[];
  isp?: string | null;
  location?: Record<string, string | number | null | undefined> | null;
}): IpRange {
  return {
    name: r.name,
    category: r.category,
    subnets: r.subnets,
    tags: r.tags,
    ...(r.isp ? { isp: r.isp } : {}),
    ...(r.location
      ? { location: Object.fromEntries(Object.entries(r.location).filter(([, v]) => v !== null && v !== undefined)) as IpRange['location'] }
      : {}),
  };
}
