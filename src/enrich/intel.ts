/**
 * @module enrich/intel
 * IP reputation and network-type classification from lists: the built-in curated lists in ./data (by CIDR
 * or ASN) and the configured feeds (by CIDR). Every source is tagged with one kind; the kinds map to the
 * ipCategory and ipTags that detections key on (docs/enrichment.md lists them).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IpCategory } from '../schema/activity.ts';
import type { ParsedIp } from './ip.ts';
import { parseIpList, type MalformedLine } from './list-format.ts';
import { RangeTableBuilder, type RangeTable } from './range-table.ts';

/** Kinds in category precedence order: the first matching kind with a category sets ipCategory. */
export const INTEL_KINDS = ['tor', 'anonymizer', 'threat', 'hosting', 'satellite'] as const;
export type IntelKind = (typeof INTEL_KINDS)[number];

/** The ipCategory each kind sets (satellite only adds a tag). */
export const KIND_CATEGORY: Record<IntelKind, IpCategory | null> = {
  tor: 'tor',
  anonymizer: 'anonymizer',
  threat: 'risky',
  hosting: 'hosting',
  satellite: null,
};

/** The ipTag each kind adds. Detections key on these exact strings. */
export const KIND_TAG: Record<IntelKind, string> = {
  tor: 'Tor exit node',
  anonymizer: 'Anonymous proxy',
  threat: 'Suspicious',
  hosting: 'cloud_provider',
  satellite: 'satellite',
};

/** Kinds whose tags describe risk; an organisation range that vouches for the address (corporate, administrative, vpn) drops them. */
export const RISK_KINDS: ReadonlySet<IntelKind> = new Set(['tor', 'anonymizer', 'threat']);

export interface IntelSource {
  kind: IntelKind;
  /** `builtin:<file>` or `feed:<name>`: named in lookupIp's `matched` for explainability. */
  name: string;
  table: RangeTable;
  asns: ReadonlySet<number>;
  entries: number;
  malformed: MalformedLine[];
}

export interface IntelMatch {
  kind: IntelKind;
  source: string;
}

export function buildSource(kind: IntelKind, name: string, text: string, allowAsn: boolean): IntelSource {
  const parsed = parseIpList(text, { allowAsn });
  const b = new RangeTableBuilder();
  for (const c of parsed.cidrs) b.addCidr(c, 1);
  return {
    kind,
    name,
    table: b.build({ merge: true }),
    asns: new Set(parsed.asns),
    entries: parsed.cidrs.length + parsed.asns.length,
    malformed: parsed.malformed,
  };
}

export const BUILTIN_DATA_DIR = fileURLToPath(new URL('./data/', import.meta.url));
const BUILTIN_FILES: Record<string, IntelKind> = {
  'tor.txt': 'tor',
  'anonymizer.txt': 'anonymizer',
  'hosting.txt': 'hosting',
  'satellite.txt': 'satellite',
};

/** The curated lists committed under src/enrich/data (they ship with the code, so no I/O can fail here). */
export function loadBuiltinIntel(dir = BUILTIN_DATA_DIR): IntelSource[] {
  return Object.entries(BUILTIN_FILES).map(([file, kind]) =>
    buildSource(kind, `builtin:${file.replace(/\.txt$/, '')}`, readFileSync(`${dir}${file}`, 'utf8'), true),
  );
}

/** All sources an address matches, in INTEL_KINDS order. */
export function matchIntel(sources: readonly IntelSource[], ip: ParsedIp, asn: number | null): IntelMatch[] {
  const out: IntelMatch[] = [];
  for (const s of sources) {
    if ((asn !== null && s.asns.has(asn)) || s.table.has(ip)) out.push({ kind: s.kind, source: s.name });
  }
  return out.sort((a, b) => INTEL_KINDS.indexOf(a.kind) - INTEL_KINDS.indexOf(b.kind));
}
