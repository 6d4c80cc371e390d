/**
 * The enricher over the real bundled databases (DB-IP Lite city mmdb, ip-location-db ASN CSVs) and the
 * committed built-in lists. Expected values were checked by hand against those files (2026-06 builds).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import maxmind from 'maxmind';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema, IpRangeConfigSchema, type ConfigInput } from '../config/schema.ts';
import { mulberry32 } from '../core/random.ts';
import { RampartError } from '../core/errors.ts';
import { Metrics } from '../core/metrics.ts';
import { ActivitySchema, type Activity, type ActivityInput } from '../schema/activity.ts';
import { AsnDb } from './asn.ts';
import { defaultGeoPaths, GeoDb, toGeo } from './geo.ts';
import { createEnricher, type RampartEnricher } from './index.ts';
import { parseIp } from './ip.ts';
import { loadBuiltinIntel } from './intel.ts';

const config = (c: ConfigInput = {}) => ConfigSchema.parse(c);
let seq = 0;
const activity = (over: Partial<ActivityInput> = {}): Activity =>
  ActivitySchema.parse({
    id: `a${++seq}`,
    time: '2026-11-01T10:00:00Z',
    receivedAt: '2026-11-01T10:00:01Z',
    app: 'workplace',
    action: 'USER_LOGIN',
    actor: { email: 'ann@example.com' },
    ...over,
  });

let enricher: RampartEnricher;
const metrics = new Metrics();
beforeAll(async () => {
  enricher = await createEnricher(config(), { metrics });
});

describe('geo by IP family', () => {
  it('IPv4: 8.8.8.8 is in the US, with coordinates', () => {
    const a = activity({ ip: '8.8.8.8' });
    enricher.enrich(a);
    expect(a.geo?.country).toBe('US');
    expect(a.geo?.lat).toBeTypeOf('number');
    expect(a.geo?.lon).toBeTypeOf('number');
    expect(a.asn).toBe(15169);
    expect(a.isp).toBe('Google LLC');
  });

  it('IPv6: a Google Frankfurt address gets a sane country from the v6 file', () => {
    const a = activity({ ip: '2a00:1450:4001:80b::200e' });
    enricher.enrich(a);
    expect(a.geo?.country).toBe('DE');
    expect(a.asn).toBe(15169);
  });

  it('an IPv6 address is never looked up in the IPv4 file (which would answer with a wrong record)', async () => {
    const paths = defaultGeoPaths();
    const rawV4 = await maxmind.open<Record<string, unknown>>(paths.ipv4);
    const v6 = '2a00:1450:4001:80b::200e';
    // The hazard: the v4 tree answers for a v6 address with some unrelated record.
    const wrong = toGeo(rawV4.get(v6));
    expect(wrong).not.toBeNull();
    expect(wrong!.country).not.toBe('DE');
    // A GeoDb with only the v4 file gives no geo for the v6 address instead of the wrong record ...
    const onlyV4 = await GeoDb.open({ ipv4: paths.ipv4 });
    expect(onlyV4.lookup(parseIp(v6)!)).toBeNull();
    expect(onlyV4.lookup(parseIp('8.8.8.8')!)?.country).toBe('US');
    // ... and the enricher's answer is the v6 file's record.
    const onlyV6 = await GeoDb.open({ ipv6: paths.ipv6 });
    expect(enricher.lookupIp(v6).geo).toEqual(onlyV6.lookup(parseIp(v6)!));
  });

  it("GeoDb's own IPv4 tree walk gives the reader's record for every address, in an IPv4 and an IPv6 tree", async () => {
    const paths = defaultGeoPaths();
    const rnd = mulberry32(11);
    const addrs = ['0.0.0.0', '255.255.255.255', '10.1.2.3', '127.0.0.1', '8.8.8.8', '1.1.1.1', '224.0.0.1'];
    for (let i = 0; i < 20_000; i++) addrs.push([0, 0, 0, 0].map(() => Math.floor(rnd() * 256)).join('.'));
    // Read as an IPv4 file, the v6 file exercises the walk to the IPv4 start node (::/96; empty in DB-IP's file).
    for (const file of [paths.ipv4, paths.ipv6]) {
      const raw = await maxmind.open<Record<string, unknown>>(file);
      const db = await GeoDb.open({ ipv4: file });
      let found = 0;
      for (const ip of addrs) {
        const want = toGeo(raw.get(ip));
        // twice: the second answer comes from the per-record cache
        expect(db.lookup(parseIp(ip)!), ip).toEqual(want);
        expect(db.lookup(parseIp(ip)!), ip).toEqual(want);
        if (want) found++;
      }
      if (file === paths.ipv4) expect(found).toBeGreaterThan(10_000);
    }
  });

  it('IPv4-mapped IPv6 is enriched as the IPv4 address', () => {
    const mapped = enricher.lookupIp('::ffff:8.8.4.4');
    const plain = enricher.lookupIp('8.8.4.4');
    expect(mapped.family).toBe(4);
    expect(mapped.ip).toBe('8.8.4.4');
    expect(mapped.geo).toEqual(plain.geo);
    expect(mapped.asn).toBe(15169);
    expect(enricher.lookupIp('::ffff:10.0.0.1').ipCategory).toBe('private');
  });

  it('reads MaxMind nested records as well as the flat DB-IP ones', () => {
    expect(toGeo({ country: { iso_code: 'FR' }, city: { names: { en: 'Paris' } }, location: { latitude: 48.85661, longitude: 2.35222 } })).toEqual({
      country: 'FR',
      city: 'Paris',
      lat: 48.8566,
      lon: 2.3522,
    });
    expect(toGeo({ country_code: 'jp', city: 'Tokyo', latitude: 35.6895, longitude: 139.6917 })).toEqual({ country: 'JP', city: 'Tokyo', lat: 35.6895, lon: 139.6917 });
    expect(toGeo({ registered_country: { iso_code: 'NL' } })?.country).toBe('NL');
    expect(toGeo({})).toBeNull();
  });
});

describe('private and reserved addresses', () => {
  it.each(['10.2.3.4', '192.168.1.10', '172.20.0.5', '127.0.0.1', '169.254.10.1', '100.64.0.9', '192.0.2.44', '198.51.100.1', '203.0.113.9', '::1', 'fe80::1', 'fd12:3456::1', '2001:db8::42'])(
    '%s gets no geo, category private, tag private',
    (ip) => {
      const a = activity({ ip });
      enricher.enrich(a);
      expect(a.geo).toBeNull();
      expect(a.asn).toBeNull();
      expect(a.ipCategory).toBe('private');
      expect(a.ipTags).toEqual(['private']);
    },
  );

  it('a public address is not marked private', () => {
    const a = activity({ ip: '1.1.1.1' });
    enricher.enrich(a);
    expect(a.ipCategory).not.toBe('private');
    expect(a.ipTags).not.toContain('private');
  });
});

describe('built-in classification', () => {
  it('the committed lists parse without a malformed line', () => {
    const sources = loadBuiltinIntel();
    expect(sources.map((s) => s.name).sort()).toEqual(['builtin:anonymizer', 'builtin:hosting', 'builtin:satellite', 'builtin:tor']);
    for (const s of sources) {
      expect(s.malformed, s.name).toEqual([]);
      expect(s.entries, s.name).toBeGreaterThan(0);
    }
  });

  it('a Tor exit operator network (AS60729) is category tor, tag "Tor exit node"', () => {
    const info = enricher.lookupIp('185.220.101.1');
    expect(info.asn).toBe(60729);
    expect(info.ipCategory).toBe('tor');
    expect(info.ipTags).toEqual(['Tor exit node']);
    expect(info.matched).toContain('builtin:tor');
  });

  it('an anonymizing VPN network (Mullvad / 31173 Services) is category anonymizer, tag "Anonymous proxy"', () => {
    const info = enricher.lookupIp('45.83.220.10');
    expect(info.asn).toBe(39351);
    expect(info.ipCategory).toBe('anonymizer');
    expect(info.ipTags).toEqual(['Anonymous proxy']);
  });

  it('a cloud address (DigitalOcean) is category hosting, tag cloud_provider', () => {
    const info = enricher.lookupIp('159.89.1.1');
    expect(info.asn).toBe(14061);
    expect(info.ipCategory).toBe('hosting');
    expect(info.ipTags).toEqual(['cloud_provider']);
  });

  it('a Starlink address is tagged satellite without a category', () => {
    const info = enricher.lookupIp('98.97.1.1');
    expect(info.asn).toBe(14593);
    expect(info.ipTags).toEqual(['satellite']);
    expect(info.ipCategory).toBeNull();
  });

  it('a residential address gets no category', () => {
    const info = enricher.lookupIp('1.1.1.1'); // Cloudflare is deliberately not in the hosting list
    expect(info.ipCategory).toBeNull();
    expect(info.ipTags).toEqual([]);
  });

  it('builtinIntel: false turns the lists off', async () => {
    const plain = await createEnricher(config({ enrich: { builtinIntel: false } }));
    const info = plain.lookupIp('185.220.101.1');
    expect(info.asn).toBe(60729);
    expect(info.ipCategory).toBeNull();
  });
});

describe('organisation ranges take precedence over built-in classification', () => {
  it('a corporate range over a Tor network: category corporate, Tor tag dropped, org tags added, overrides applied', async () => {
    const e = await createEnricher(
      config({
        ipRanges: [
          { name: 'HQ egress', category: 'corporate', subnets: ['185.220.101.0/24'], tags: ['hq'], location: { country: 'NL', city: 'Amsterdam' }, isp: 'Our ISP' },
          { name: 'Cloud VPN', category: 'vpn', subnets: ['2a00:1450:4001::/48'] },
        ],
      }),
    );
    const a = activity({ ip: '185.220.101.1' });
    e.enrich(a);
    expect(a.ipCategory).toBe('corporate');
    expect(a.ipTags).toEqual(['hq']);
    expect(a.geo?.country).toBe('NL');
    expect(a.geo?.city).toBe('Amsterdam');
    expect(a.geo?.lat).toBeTypeOf('number'); // coordinates not overridden stay from the database
    expect(a.isp).toBe('Our ISP');
    expect(a.asn).toBe(60729);
    expect(e.lookupIp('185.220.101.1').orgRange).toEqual({ name: 'HQ egress', category: 'corporate' });
    // the neighbouring Tor address outside the range keeps its built-in classification
    expect(e.lookupIp('185.220.100.1').ipCategory).toBe('tor');
    // IPv6 range: vpn overrides hosting; the informational cloud_provider tag stays
    const v6 = e.lookupIp('2a00:1450:4001:80b::200e');
    expect(v6.ipCategory).toBe('vpn');
    expect(v6.ipTags).toEqual(['cloud_provider']);
  });

  it('a range that does not vouch for the address (other, cloud_provider, risky) sets the category but keeps the built-in risk tags', async () => {
    const e = await createEnricher(
      config({
        ipRanges: [
          { name: 'Partner labelled', category: 'other', subnets: ['185.220.101.0/24'], tags: ['Partner'] },
          { name: 'Our cloud', category: 'cloud_provider', subnets: ['185.220.100.0/24'] },
          { name: 'Blocklist', category: 'risky', subnets: ['45.83.220.0/22'] },
          { name: 'Office', category: 'administrative', subnets: ['185.220.102.0/24'] },
        ],
      }),
    );
    const other = e.lookupIp('185.220.101.1');
    expect(other.ipCategory).toBe('other'); // custom beats built-in for the category
    expect(other.ipTags).toEqual(['Tor exit node', 'Partner']);
    expect(other.orgRange).toEqual({ name: 'Partner labelled', category: 'other' });
    expect(e.lookupIp('185.220.100.1')).toMatchObject({ ipCategory: 'cloud_provider', ipTags: ['Tor exit node'] });
    expect(e.lookupIp('45.83.220.10')).toMatchObject({ ipCategory: 'risky', ipTags: ['Anonymous proxy'] });
    // a trusted category (corporate, administrative, vpn) still drops them
    expect(e.lookupIp('185.220.102.1')).toMatchObject({ ipCategory: 'administrative', ipTags: [] });
  });

  it('an organisation range over private space sets its category and keeps the private tag, still without geo', () => {
    const e = enricher;
    e.setIpRanges([{ name: 'Office LAN', category: 'corporate', subnets: ['10.0.0.0/8'], tags: ['lan'] }]);
    try {
      const info = e.lookupIp('10.1.2.3');
      expect(info.ipCategory).toBe('corporate');
      expect(info.ipTags).toEqual(['private', 'lan']);
      expect(info.geo).toBeNull();
      expect(info.isPrivate).toBe(true);
    } finally {
      e.setIpRanges([]);
    }
    expect(e.lookupIp('10.1.2.3').ipCategory).toBe('private');
  });

  it('setIpRanges swaps ranges, clears the cache, and rejects overlaps keeping the old ranges', async () => {
    const e = await createEnricher(config());
    expect(e.lookupIp('45.83.220.10').ipCategory).toBe('anonymizer');
    e.setIpRanges([{ name: 'Branch', category: 'corporate', subnets: ['45.83.220.0/22'], tags: [] }]);
    expect(e.lookupIp('45.83.220.10').ipCategory).toBe('corporate');
    expect(e.lookupIp('45.83.220.10').ipTags).toEqual([]);
    expect(() =>
      e.setIpRanges([
        { name: 'A', category: 'corporate', subnets: ['45.83.220.0/22'], tags: [] },
        { name: 'B', category: 'risky', subnets: ['45.83.221.0/24'], tags: [] },
      ]),
    ).toThrow(RampartError);
    expect(e.ipRanges.map((r) => r.name)).toEqual(['Branch']);
    expect(e.lookupIp('45.83.220.10').ipCategory).toBe('corporate');
  });

  it('overlapping ranges are refused by the config schema and, if handed over anyway, by createEnricher (RAMPART_ERR_ENRICH_RANGE_OVERLAP)', async () => {
    const ipRanges = [
      { name: 'A', category: 'corporate' as const, subnets: ['203.0.113.0/24'] },
      { name: 'B', category: 'vpn' as const, subnets: ['203.0.113.128/25'] },
    ];
    const parsed = ConfigSchema.safeParse({ ipRanges });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path.join('.'), i.message.split(':')[0]])).toEqual([['ipRanges.1.subnets', 'RAMPART_ERR_ENRICH_RANGE_OVERLAP']]);
    const unchecked = { ...config(), ipRanges: IpRangeConfigSchema.array().parse(ipRanges) };
    await expect(createEnricher(unchecked)).rejects.toMatchObject({ code: 'RAMPART_ERR_ENRICH_RANGE_OVERLAP' });
  });
});

describe('activity fields', () => {
  it('fills device and user agent tags, keeping device tags given in the input', () => {
    const a = activity({
      ip: '8.8.8.8',
      userAgent: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36',
      device: { tags: ['Valid client certificate'] },
    });
    enricher.enrich(a);
    expect(a.device).toEqual({ type: 'desktop', os: 'Windows 7', browser: 'Chrome 109', tags: ['Valid client certificate'] });
    expect(a.userAgentTags).toEqual(['Outdated browser', 'Outdated operating system']);
  });

  it('keeps a device given in the input when the user agent says nothing', () => {
    const a = activity({ userAgent: 'Mozilla/5.0', device: { type: 'mobile', os: 'iOS 18', browser: null } });
    enricher.enrich(a);
    expect(a.device).toEqual({ type: 'mobile', os: 'iOS 18', browser: null, tags: [] });
  });

  it('keeps values given in the input when enrichment finds nothing', () => {
    const given = { country: 'FR', city: 'Lyon', lat: 45.76, lon: 4.84 };
    const noIp = activity({ geo: given, isp: 'Given ISP', asn: 3215 });
    enricher.enrich(noIp);
    expect(noIp.geo).toEqual(given);
    expect(noIp.isp).toBe('Given ISP');
    expect(noIp.asn).toBe(3215);
    const unknownIp = activity({ ip: 'not-an-ip', geo: given, ipTags: ['from-source'] });
    enricher.enrich(unknownIp);
    expect(unknownIp.geo).toEqual(given);
    expect(unknownIp.ipTags).toEqual(['from-source']);
    expect(metrics.total('rampart_enrich_invalid_ip_total')).toBeGreaterThan(0);
    // found values replace given ones; tags are merged
    const found = activity({ ip: '185.220.101.1', geo: given, ipTags: ['from-source'] });
    enricher.enrich(found);
    expect(found.geo?.country).toBe('DE');
    expect(found.ipTags).toEqual(['from-source', 'Tor exit node']);
  });

  it('never throws, even on a broken activity, and counts the failure', () => {
    const broken = { id: 'x', ip: '8.8.8.8', get userAgent(): string {
      throw new Error('boom');
    } } as unknown as Activity;
    expect(() => enricher.enrich(broken)).not.toThrow();
    expect(metrics.get('rampart_errors_total', { component: 'enrich', stage: 'enrich', error_type: 'exception' })).toBe(1);
  });

  it('cached results are not shared mutable state', () => {
    const a = activity({ ip: '8.8.8.8' });
    const b = activity({ ip: '8.8.8.8' });
    enricher.enrich(a);
    a.geo!.country = 'XX';
    a.ipTags.push('mutated');
    enricher.enrich(b);
    expect(b.geo?.country).toBe('US');
    expect(b.ipTags).toEqual(['cloud_provider']);
    expect(enricher.stats().hits).toBeGreaterThan(0);
  });
});

describe('ASN database', () => {
  it('loads both families and answers IPv4 and IPv6', () => {
    const db = AsnDb.load();
    expect(db.rangesV4).toBeGreaterThan(100_000);
    expect(db.rangesV6).toBeGreaterThan(10_000);
    expect(db.skipped).toBe(0);
    expect(db.lookup(parseIp('159.89.1.1')!)).toEqual({ asn: 14061, org: 'DigitalOcean, LLC' });
    expect(db.lookup(parseIp('2001:4860:4860::8888')!)?.asn).toBe(15169);
    expect(db.lookup(parseIp('10.0.0.1')!)).toBeNull();
  });

  it('reads user-supplied files: text addresses, quoted orgs, unsorted rows, bad rows skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-asn-'));
    try {
      writeFileSync(join(dir, 'v4.csv'), '203.0.113.0,203.0.113.255,64500,"Example, ""Docs"" Net"\r\n1.0.0.0,1.0.0.255,13335,Cloudflare\nbroken line\n5,4,1,backwards\n');
      writeFileSync(join(dir, 'v6.csv'), '2001:db8::,2001:db8:ffff:ffff:ffff:ffff:ffff:ffff,64501,Doc6\n');
      const db = AsnDb.load({ ipv4: join(dir, 'v4.csv'), ipv6: join(dir, 'v6.csv') });
      expect(db.skipped).toBe(2);
      expect(db.lookup(parseIp('203.0.113.9')!)).toEqual({ asn: 64500, org: 'Example, "Docs" Net' });
      expect(db.lookup(parseIp('1.0.0.1')!)).toEqual({ asn: 13335, org: 'Cloudflare' });
      expect(db.lookup(parseIp('2001:db8:1::1')!)).toEqual({ asn: 64501, org: 'Doc6' });
      expect(db.lookup(parseIp('1.0.1.0')!)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing file is RAMPART_ERR_ENRICH_DB_UNAVAILABLE', async () => {
    expect(() => AsnDb.load({ ipv4: '/nonexistent/asn.csv' })).toThrow(expect.objectContaining({ code: 'RAMPART_ERR_ENRICH_DB_UNAVAILABLE' }));
    await expect(GeoDb.open({ ipv4: '/nonexistent/city.mmdb' })).rejects.toMatchObject({ code: 'RAMPART_ERR_ENRICH_DB_UNAVAILABLE' });
  });
});
