/**
 * @module detect/ip-intel
 * How the detections read the enrichment's IP verdict (`ipCategory`, `ipTags`, `asn`). The tag names are the
 * one contract with src/enrich (docs/enrichment.md): they are compared case-insensitively.
 */
import type { Activity } from '../schema/activity.ts';

/**
 * IP tags the detections react to. The first group are exactly the tags src/enrich sets (enrich/intel.ts
 * KIND_TAG, enrich/index.ts PRIVATE_TAG); the rest are MDCA's built-in tag names, accepted when an
 * organisation range or a feed carries them. Matching is case-insensitive.
 */
export const IP_TAGS = {
  // Set by src/enrich (built-in lists and feeds).
  torExit: 'Tor exit node',
  anonymousProxy: 'Anonymous proxy',
  suspicious: 'Suspicious',
  cloudProvider: 'cloud_provider',
  satellite: 'satellite',
  private: 'private',
  // MDCA built-in tag names, usable as custom tags on organisation ranges.
  anonymizingVpn: 'Anonymizing VPN',
  privateRelay: 'Private relay',
  satelliteProviders: 'Satellite providers',
  inFlightWifi: 'In-flight Wi-Fi',
  botnet: 'Botnet',
  malwareCnc: 'Malware C&C server',
  darknetScanning: 'Darknet scanning IP',
  bruteForce: 'Brute force',
  passwordSpray: 'Password spray',
  threatIntel: 'Threat intelligence',
} as const;

const lower = (xs: readonly string[]) => new Set(xs.map((x) => x.toLowerCase()));

/** Tags that make an address anonymous (anonymous_ip). */
export const ANONYMOUS_TAGS = lower([IP_TAGS.torExit, IP_TAGS.anonymousProxy, IP_TAGS.anonymizingVpn, 'Tor', 'Anonymizer']);
/** Tags that name a Tor exit in particular (anonymous_ip's wording; whole names, case-insensitive). */
export const TOR_TAGS = lower([IP_TAGS.torExit, 'Tor']);
/** Tags from threat intelligence (suspicious_ip). */
export const THREAT_TAGS = lower([
  IP_TAGS.suspicious,
  IP_TAGS.botnet,
  IP_TAGS.malwareCnc,
  IP_TAGS.darknetScanning,
  IP_TAGS.bruteForce,
  IP_TAGS.passwordSpray,
  IP_TAGS.threatIntel,
  'Malicious',
]);
/** Tags of networks whose geolocation says nothing about where the person is. */
export const NON_PHYSICAL_TAGS = lower([
  IP_TAGS.satellite,
  IP_TAGS.satelliteProviders,
  'Satellite provider',
  IP_TAGS.inFlightWifi,
  IP_TAGS.privateRelay,
  IP_TAGS.cloudProvider,
  'Cloud provider',
  'Hosting',
  IP_TAGS.anonymizingVpn,
  IP_TAGS.anonymousProxy,
  IP_TAGS.torExit,
]);

/**
 * ASNs of satellite and in-flight Wi-Fi networks, which geolocate to a ground station far from the user
 * (Panther PR #1358: Intelsat AS22351 put LAX flyers in Virginia).
 */
export const SATELLITE_ASNS: ReadonlySet<number> = new Set([
  22351, // Intelsat (in-flight Wi-Fi: Gogo/Intelsat commercial aviation)
  18747, // Gogo / Aircell
  64294, // Panasonic Avionics
  31515, // Inmarsat
  7155, // Viasat
  40306, // Viasat (in-flight)
  6621, // Hughes Network Systems
  29286, // SkyLogic (Eutelsat)
  206045, // SITA OnAir
  14593, // SpaceX Starlink (gateway geolocation)
]);

/** Org categories that mean "ours, trusted" (MDCA safe: corporate, administrative, VPN). */
export const SAFE_CATEGORIES: ReadonlySet<string> = new Set(['corporate', 'administrative', 'vpn']);
/** Categories without a physical location: never used for travel (system suppression). */
export const NON_PHYSICAL_CATEGORIES: ReadonlySet<string> = new Set(['vpn', 'cloud_provider', 'hosting', 'tor', 'anonymizer']);

/** What these functions read: an Activity, or the engine's ActivityFields for it (detection.ts). */
type IpVerdict = Pick<Activity, 'ipCategory' | 'ipTags' | 'asn'>;

function hasTag(a: Pick<Activity, 'ipTags'>, set: ReadonlySet<string>): string | null {
  const tags = a.ipTags;
  for (let i = 0; i < tags.length; i++) if (set.has(tags[i].toLowerCase())) return tags[i];
  return null;
}

/** Org corporate/administrative/vpn ranges override built-in anonymizer and threat tags (custom beats built-in). */
export const isOrgTrusted = (a: Pick<Activity, 'ipCategory'>): boolean => a.ipCategory !== null && SAFE_CATEGORIES.has(a.ipCategory);

/** Why the address counts as anonymous, or null. */
export function anonymousReason(a: IpVerdict): string | null {
  if (isOrgTrusted(a)) return null;
  if (a.ipCategory === 'tor') return 'category tor';
  if (a.ipCategory === 'anonymizer') return 'category anonymizer';
  const t = hasTag(a, ANONYMOUS_TAGS);
  return t ? `tag "${t}"` : null;
}

/** Why the address counts as suspicious (threat intelligence or an org `risky` range), or null. */
export function suspiciousReason(a: IpVerdict): string | null {
  if (isOrgTrusted(a)) return null;
  if (a.ipCategory === 'risky') return 'category risky';
  const t = hasTag(a, THREAT_TAGS);
  return t ? `tag "${t}"` : null;
}

/** Hot-path check: true when the address has no physical location (see nonPhysicalReason for the why). */
export function isNonPhysical(a: IpVerdict): boolean {
  if (a.ipCategory !== null && NON_PHYSICAL_CATEGORIES.has(a.ipCategory)) return true;
  if (a.asn !== null && SATELLITE_ASNS.has(a.asn)) return true;
  return a.ipTags.length > 0 && hasTag(a, NON_PHYSICAL_TAGS) !== null;
}

/** Why the address has no physical location (VPN, cloud, hosting, satellite, relay), or null. */
export function nonPhysicalReason(a: IpVerdict): string | null {
  if (a.ipCategory !== null && NON_PHYSICAL_CATEGORIES.has(a.ipCategory)) return `category ${a.ipCategory}`;
  if (a.asn !== null && SATELLITE_ASNS.has(a.asn)) return `satellite network AS${a.asn}`;
  const t = hasTag(a, NON_PHYSICAL_TAGS);
  return t ? `tag "${t}"` : null;
}

/** A country to reason about: a geo country, and not a private/unroutable address. */
export function usableCountry(a: Pick<Activity, 'ipCategory' | 'ipTags' | 'geo'>): string | null {
  if (a.ipCategory === 'private' || !a.geo || (a.ipTags.length > 0 && a.ipTags.includes(IP_TAGS.private))) return null;
  const c = a.geo.country;
  if (!c || c.length !== 2) return null;
  const x = c.charCodeAt(0);
  const y = c.charCodeAt(1);
  return x >= 65 && x <= 90 && y >= 65 && y <= 90 ? c : c.toUpperCase(); // enrichment gives upper case already
}

/** Coordinates to measure travel with, or null (no geo, private IP, unknown). */
export function usablePoint(a: Pick<Activity, 'ipCategory' | 'ipTags' | 'geo'>): { lat: number; lon: number; country: string } | null {
  const country = usableCountry(a);
  if (!country || a.geo!.lat === null || a.geo!.lon === null) return null;
  return { lat: a.geo!.lat, lon: a.geo!.lon, country };
}
