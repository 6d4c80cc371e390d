/**
 * @module simulator/network
 * Where simulated people connect from: real public IPv4 blocks per country (data/network.json, checked against
 * the bundled DB-IP database by network.test.ts), corporate VPN egress, cloud hosting and Tor exits.
 */
import { loadDataFile } from './facts.ts';
import type { Rng } from './rng.ts';

export interface CountryNet {
  utcOffset: number;
  broadband: string[];
  mobile: string[];
  isp: string;
}

export interface UserAgentInfo {
  browser_name: string;
  browser_os: string;
  useragent: string;
}

export interface NetworkData {
  countries: Record<string, CountryNet>;
  homeCountries: Record<string, number>;
  commuterPairs: [string, string][];
  vpnEgress: Record<string, string[]>;
  hosting: Record<string, string[]>;
  tor: { exits: { cidr: string; country: string }[] };
  userAgents: Record<'desktop' | 'mobile' | 'attacker' | 'tor' | 'integration', UserAgentInfo[]>;
}

export const NETWORK: NetworkData = (() => {
  const d = loadDataFile<NetworkData & { homeCountries: Record<string, number | string> }>('network.json');
  delete (d.homeCountries as Record<string, unknown>).$comment;
  for (const k of ['vpnEgress', 'hosting'] as const) delete (d[k] as Record<string, unknown>).$comment;
  return d as NetworkData;
})();

export const COUNTRY_CODES: readonly string[] = Object.keys(NETWORK.countries);

const ipToInt = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** A host address inside `cidr` (never the .0 or .255 of a /24). */
export function addressIn(cidr: string, rng: Rng): string {
  const [base, bitsStr] = cidr.split('/');
  const bits = Number(bitsStr);
  const size = 2 ** (32 - bits);
  const start = ipToInt(base);
  for (;;) {
    const n = start + rng.int(size);
    const last = n % 256;
    if (last !== 0 && last !== 255) return intToIp(n);
  }
}

export type IpKind = 'broadband' | 'mobile';

export function countryIp(country: string, kind: IpKind, rng: Rng): string {
  const net = NETWORK.countries[country];
  if (!net) throw new Error(`no IP blocks for country ${country}`);
  return addressIn(rng.pick(net[kind]), rng);
}

/** Corporate VPN egress in `country`, or the nearest one we have (falls back to US). */
export function vpnIp(country: string, rng: Rng): { ip: string; country: string } {
  const c = NETWORK.vpnEgress[country] ? country : 'US';
  return { ip: addressIn(rng.pick(NETWORK.vpnEgress[c]), rng), country: c };
}

export function hostingIp(rng: Rng, country?: string): { ip: string; country: string } {
  const c = country && NETWORK.hosting[country] ? country : rng.pick(Object.keys(NETWORK.hosting));
  return { ip: addressIn(rng.pick(NETWORK.hosting[c]), rng), country: c };
}

export function torIp(rng: Rng): { ip: string; country: string } {
  const exit = rng.pick(NETWORK.tor.exits);
  return { ip: addressIn(exit.cidr, rng), country: exit.country };
}

export function utcOffsetHours(country: string): number {
  return NETWORK.countries[country]?.utcOffset ?? 0;
}
