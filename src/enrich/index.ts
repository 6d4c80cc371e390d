/**
 * @module enrich
 * The enricher: geo (geo.ts), ASN/ISP (asn.ts), built-in lists and feeds (intel.ts, feeds.ts), organisation
 * IP ranges (ip-ranges.ts) and user agents (user-agent.ts), behind one per-IP cache so that the hot path is
 * a Map lookup and a few field copies. Precedence, categories and tags: docs/enrichment.md.
 */
import type { Config, FeedConfig } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Activity, Geo, IpCategory } from '../schema/activity.ts';
import { AsnDb, defaultAsnPaths, type AsnDbPaths } from './asn.ts';
import type { Enricher } from './enricher.ts';
import { loadFeeds, updateFeeds, type FeedStatus, type UpdateOptions } from './feeds.ts';
import { defaultGeoPaths, GeoDb, type GeoDbPaths } from './geo.ts';
import { ipv4ToNumber, isPublicRange, parseIp, type ParsedIp } from './ip.ts';
import { KIND_CATEGORY, KIND_TAG, loadBuiltinIntel, matchIntel, RISK_KINDS, type IntelSource } from './intel.ts';
import { compileIpRanges, IpRangeIndex, type IpRange } from './ip-ranges.ts';
import { Ipv4Cache, LruCache } from './lru.ts';
import { UserAgentParser, type UserAgentInfo } from './user-agent.ts';

export { validateIpRanges, compileIpRanges, type IpRange } from './ip-ranges.ts';
export { parseUserAgent, UA_TAG } from './user-agent.ts';
export { KIND_TAG, KIND_CATEGORY } from './intel.ts';

/** Tag given to private, loopback, link-local, CGNAT, documentation and other non-public addresses. */
export const PRIVATE_TAG = 'private';
/** The activity schema's limit on ipTags. */
const MAX_IP_TAGS = 64;
const RISK_TAGS: ReadonlySet<string> = new Set([...RISK_KINDS].map((k) => KIND_TAG[k]));
/**
 * Organisation range categories that vouch for an address, so its built-in risk tags are dropped: the same
 * "trusted" categories the detections read (src/detect/ip-intel.ts SAFE_CATEGORIES).
 */
const TRUSTED_RANGE_CATEGORIES: ReadonlySet<string> = new Set(['corporate', 'administrative', 'vpn']);

/** Everything Rampart knows about one IP address: for the API, the console and explanations. */
export interface IpInfo {
  /** The address as given. */
  input: string;
  valid: boolean;
  /** Canonical form (IPv4-mapped IPv6 unwrapped to IPv4); null when invalid. */
  ip: string | null;
  family: 4 | 6 | null;
  /** ipaddr.js range name: `unicast` for public addresses, else `private`, `loopback`, `linkLocal`, `carrierGradeNat`, `reserved`, ... */
  range: string | null;
  isPrivate: boolean;
  geo: Geo | null;
  asn: number | null;
  isp: string | null;
  ipCategory: IpCategory | null;
  ipTags: string[];
  /** The organisation IP range that matched, if any. */
  orgRange: { name: string; category: IpRange['category'] } | null;
  /** Which sources matched: `builtin:tor`, `feed:<name>`, `range:<name>`, `asn`, `geo`. */
  matched: string[];
}

export interface EnricherOptions {
  logger?: Logger;
  metrics?: Metrics;
  /** Folder of URL feed caches (default ./data); `<dataDir>/feeds/<name>.txt`. */
  dataDir?: string;
  /** Reuse the process-wide geo/ASN databases opened for the same paths (default true: they are large). */
  shareDatabases?: boolean;
}

/** One IP cache entry: the IP-derived result, plus the last user agent seen with the address. */
interface CacheSlot {
  info: IpInfo;
  ua: string | null;
  uaInfo: UserAgentInfo | null;
}

const invalidInfo = (input: string): IpInfo => ({
  input,
  valid: false,
  ip: null,
  family: null,
  range: null,
  isPrivate: false,
  geo: null,
  asn: null,
  isp: null,
  ipCategory: null,
  ipTags: [],
  orgRange: null,
  matched: [],
});

export class RampartEnricher implements Enricher {
  readonly #geo: GeoDb;
  readonly #asn: AsnDb;
  readonly #builtin: IntelSource[];
  readonly #feedsConfig: readonly FeedConfig[];
  readonly #opts: EnricherOptions;
  /** Per-IP caches: dotted-quad IPv4 by number, everything else (IPv6, mapped, invalid) by string. */
  readonly #v4Cache: Ipv4Cache<CacheSlot>;
  readonly #ipCache: LruCache<string, CacheSlot>;
  readonly #ua = new UserAgentParser(10_000);
  #sources: IntelSource[];
  #ranges: IpRangeIndex;
  #feedStatuses: FeedStatus[] = [];
  #errors = 0;
  #hits = 0;
  #misses = 0;

  constructor(parts: { geo: GeoDb; asn: AsnDb; builtin: IntelSource[]; feeds: readonly FeedConfig[]; ranges: IpRangeIndex; cacheEntries: number }, opts: EnricherOptions = {}) {
    this.#geo = parts.geo;
    this.#asn = parts.asn;
    this.#builtin = parts.builtin;
    this.#feedsConfig = parts.feeds;
    this.#ranges = parts.ranges;
    this.#opts = opts;
    this.#v4Cache = new Ipv4Cache(parts.cacheEntries);
    this.#ipCache = new LruCache(parts.cacheEntries);
    this.#sources = [...this.#builtin];
    if (parts.feeds.length) this.reloadFeeds();
  }

  /** Mutates `a` in place. Never throws: a failure is logged and counted, and the fields stay as they were. */
  enrich(a: Activity): void {
    try {
      let ipSlot: CacheSlot | null = null;
      if (a.ip) {
        ipSlot = this.#slot(a.ip);
        const info = ipSlot.info;
        if (info.valid) applyIp(a, info);
        else this.#opts.metrics?.inc('rampart_enrich_invalid_ip_total');
      }
      const ua = a.userAgent;
      if (ua) {
        // Most addresses are used with one user agent: remember the last one per address, so the common case
        // is one string comparison instead of hashing a ~120-character string for the UA cache.
        let u: UserAgentInfo;
        if (ipSlot !== null && ipSlot.ua === ua) u = ipSlot.uaInfo!;
        else {
          u = this.#ua.parse(ua);
          if (ipSlot !== null) {
            ipSlot.ua = ua;
            ipSlot.uaInfo = u;
          }
        }
        const given = a.device;
        a.device = {
          type: u.device.type === 'other' && given?.type ? given.type : u.device.type, // 'other' = nothing found
          os: u.device.os ?? given?.os ?? null,
          browser: u.device.browser ?? given?.browser ?? null,
          tags: given?.tags ?? [],
        };
        if (u.tags.length) a.userAgentTags = a.userAgentTags.length ? union(a.userAgentTags, u.tags).slice(0, 16) : u.tags.slice();
      }
    } catch (err) {
      this.#errors++;
      this.#opts.metrics?.inc('rampart_errors_total', { component: 'enrich', stage: 'enrich', error_type: 'exception' });
      if (this.#errors <= 10 || this.#errors % 10_000 === 0) this.#opts.logger?.error({ err, activityId: a.id, count: this.#errors }, 'enrichment failed');
    }
  }

  /** What Rampart knows about an address (a copy: safe to modify). Never throws. */
  lookupIp(ip: string): IpInfo {
    try {
      const info = this.#ipInfo(ip);
      return { ...info, geo: info.geo && { ...info.geo }, ipTags: [...info.ipTags], matched: [...info.matched], orgRange: info.orgRange && { ...info.orgRange } };
    } catch {
      return invalidInfo(ip);
    }
  }

  /** Validates and swaps in new organisation ranges atomically; throws RAMPART_ERR_ENRICH_RANGE_* when invalid. */
  setIpRanges(ranges: readonly IpRange[]): void {
    this.#ranges = compileIpRanges(ranges);
    this.#clearCache();
  }

  get ipRanges(): readonly IpRange[] {
    return this.#ranges.ranges;
  }

  /** Re-reads the feed files (paths and URL caches) without network access. */
  reloadFeeds(): FeedStatus[] {
    const { sources, statuses } = loadFeeds(this.#feedsConfig, this.#ctx());
    this.#sources = [...this.#builtin, ...sources];
    this.#feedStatuses = statuses;
    this.#clearCache();
    const perKind = new Map<string, number>(this.#feedsConfig.map((f) => [f.kind, 0]));
    for (const s of statuses) perKind.set(s.kind, (perKind.get(s.kind) ?? 0) + s.entries);
    for (const [kind, n] of perKind) this.#opts.metrics?.set('rampart_enrich_feed_entries', { kind }, n);
    return statuses;
  }

  /** Downloads URL feeds into their caches, then reloads. Failed downloads keep the last good copy. */
  async updateFeeds(opts: UpdateOptions = {}): Promise<FeedStatus[]> {
    const results = await updateFeeds(this.#feedsConfig, this.#ctx(), opts);
    if (results.some((r) => r.ok)) this.reloadFeeds();
    return results;
  }

  /**
   * For `rampart serve`: checks every minute for URL feeds older than their refreshSecs and refreshes them.
   * Returns the function that stops the timer.
   */
  startFeedRefresh(checkEveryMs = 60_000): () => void {
    if (!this.#feedsConfig.some((f) => f.url)) return () => undefined;
    let running = false;
    const failures = new Map<string, number>();
    const tick = () => {
      if (running) return;
      running = true;
      this.updateFeeds({ onlyDue: true, failures })
        .catch((err) => this.#opts.logger?.error({ err }, 'feed refresh failed'))
        .finally(() => (running = false));
    };
    tick();
    const timer = setInterval(tick, checkEveryMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  get feedStatuses(): readonly FeedStatus[] {
    return this.#feedStatuses;
  }

  stats(): { cacheEntries: number; hits: number; misses: number; errors: number; sources: { name: string; kind: string; entries: number }[] } {
    return {
      cacheEntries: this.#v4Cache.size + this.#ipCache.size,
      hits: this.#hits,
      misses: this.#misses,
      errors: this.#errors,
      sources: this.#sources.map((s) => ({ name: s.name, kind: s.kind, entries: s.entries })),
    };
  }

  #clearCache(): void {
    this.#v4Cache.clear();
    this.#ipCache.clear();
  }

  #ctx() {
    return { dataDir: this.#opts.dataDir ?? 'data', logger: this.#opts.logger, metrics: this.#opts.metrics };
  }

  #slot(input: string): CacheSlot {
    // Dotted-quad IPv4 (most traffic) is keyed by its number: no string hashing on the hot path.
    const v4 = ipv4ToNumber(input);
    const v4key = v4 === v4; // not NaN
    let slot = v4key ? this.#v4Cache.get(v4) : this.#ipCache.get(input);
    if (slot) {
      this.#hits++;
      return slot;
    }
    this.#misses++;
    const parsed = parseIp(input);
    slot = { info: parsed ? this.#compute(input, parsed) : invalidInfo(input), ua: null, uaInfo: null };
    if (v4key) this.#v4Cache.set(v4, slot);
    else this.#ipCache.set(input, slot);
    return slot;
  }

  #ipInfo(input: string): IpInfo {
    return this.#slot(input).info;
  }

  #compute(input: string, p: ParsedIp): IpInfo {
    const isPrivate = !isPublicRange(p.range);
    const matched: string[] = [];
    let geo: Geo | null = null;
    let asn: number | null = null;
    let isp: string | null = null;
    let category: IpCategory | null = null;
    let tags: string[] = [];
    if (isPrivate) {
      category = 'private';
      tags.push(PRIVATE_TAG);
    } else {
      geo = this.#geo.lookup(p);
      if (geo) matched.push('geo');
      const rec = this.#asn.lookup(p);
      if (rec) {
        asn = rec.asn;
        isp = rec.org;
        matched.push('asn');
      }
      for (const m of matchIntel(this.#sources, p, asn)) {
        matched.push(m.source);
        const tag = KIND_TAG[m.kind];
        if (!tags.includes(tag)) tags.push(tag);
        category ??= KIND_CATEGORY[m.kind];
      }
    }
    let orgRange: IpInfo['orgRange'] = null;
    const org = this.#ranges.lookup(p);
    if (org) {
      // Custom ranges take precedence (MDCA): the org category replaces the built-in one. Built-in risk tags
      // (Tor, anonymous proxy, suspicious) are dropped only when the range vouches for the address (corporate,
      // administrative, vpn): labelling a range `other` or `cloud_provider` must not hide a Tor exit inside it
      // (MDCA: range tags are added "without overriding data"). Informational tags (cloud, satellite) stay.
      orgRange = { name: org.name, category: org.category };
      matched.push(`range:${org.name}`);
      category = org.category;
      if (TRUSTED_RANGE_CATEGORIES.has(org.category)) tags = tags.filter((t) => !RISK_TAGS.has(t));
      for (const t of org.tags ?? []) if (!tags.includes(t) && tags.length < MAX_IP_TAGS) tags.push(t);
      if (org.location) {
        const base: Geo = geo ?? { country: null, city: null, lat: null, lon: null };
        geo = {
          country: org.location.country?.toUpperCase() ?? base.country,
          city: org.location.city ?? base.city,
          lat: org.location.lat ?? base.lat,
          lon: org.location.lon ?? base.lon,
        };
      }
      if (org.isp) isp = org.isp;
    }
    return { input, valid: true, ip: p.text, family: p.family, range: p.range, isPrivate, geo, asn, isp, ipCategory: category, ipTags: tags, orgRange, matched };
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  const out = [...a];
  for (const t of b) if (!out.includes(t)) out.push(t);
  return out;
}

/** Copies the IP-derived fields; values already in the activity are kept where enrichment found nothing. */
function applyIp(a: Activity, info: IpInfo): void {
  if (info.geo) a.geo = { country: info.geo.country, city: info.geo.city, lat: info.geo.lat, lon: info.geo.lon };
  if (info.asn !== null) a.asn = info.asn;
  if (info.isp !== null) a.isp = info.isp;
  if (info.ipCategory !== null) a.ipCategory = info.ipCategory;
  if (info.ipTags.length) a.ipTags = a.ipTags.length ? union(a.ipTags, info.ipTags).slice(0, MAX_IP_TAGS) : info.ipTags.slice();
}

const geoByPaths = new Map<string, Promise<GeoDb>>();
const asnByPaths = new Map<string, AsnDb>();

/**
 * Opens the databases and lists named by the config and returns the enricher. Throws RampartError when a
 * database cannot be opened (RAMPART_ERR_ENRICH_DB_UNAVAILABLE) or the configured ipRanges are invalid
 * (RAMPART_ERR_ENRICH_RANGE_*). Feeds never make it throw: a missing or broken feed is logged and skipped.
 */
export async function createEnricher(config: Config, opts: EnricherOptions = {}): Promise<RampartEnricher> {
  const e = config.enrich;
  const share = opts.shareDatabases ?? true;
  const geoDefaults: GeoDbPaths = e.geoDbIpv4Path || e.geoDbIpv6Path ? {} : defaultGeoPaths();
  const geoPaths = { ipv4: e.geoDbIpv4Path ?? geoDefaults.ipv4, ipv6: e.geoDbIpv6Path ?? geoDefaults.ipv6 };
  const asnDefaults: AsnDbPaths = e.asnCsvIpv4Path || e.asnCsvIpv6Path ? {} : defaultAsnPaths();
  const asnPaths = { ipv4: e.asnCsvIpv4Path ?? asnDefaults.ipv4, ipv6: e.asnCsvIpv6Path ?? asnDefaults.ipv6 };

  const t0 = performance.now();
  const ranges = compileIpRanges(config.ipRanges); // fail fast, before the slow loads
  const geoKey = JSON.stringify(geoPaths);
  let geoP = share ? geoByPaths.get(geoKey) : undefined;
  if (!geoP) {
    geoP = GeoDb.open(geoPaths);
    if (share) {
      geoByPaths.set(geoKey, geoP);
      geoP.catch(() => geoByPaths.delete(geoKey));
    }
  }
  const asnKey = JSON.stringify(asnPaths);
  let asn = share ? asnByPaths.get(asnKey) : undefined;
  if (!asn) {
    asn = AsnDb.load(asnPaths);
    if (share) asnByPaths.set(asnKey, asn);
  }
  const geo = await geoP;
  const builtin = e.builtinIntel ? loadBuiltinIntel() : [];
  const enricher = new RampartEnricher({ geo, asn, builtin, feeds: config.feeds, ranges, cacheEntries: e.cacheEntries }, opts);
  opts.metrics?.set('rampart_enrich_load_seconds', {}, (performance.now() - t0) / 1000);
  opts.logger?.info(
    { ms: Math.round(performance.now() - t0), asnRangesV4: asn.rangesV4, asnRangesV6: asn.rangesV6, geoBuilt: geo.builtV4?.toISOString() ?? null, feeds: config.feeds.length },
    'enrichment ready',
  );
  return enricher;
}
