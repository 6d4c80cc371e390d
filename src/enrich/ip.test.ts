import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import { ipv4Range, ipv4ToNumber, isPublicRange, numberToIpv4, parseCidr, parseIp } from './ip.ts';
import { RangeTableBuilder } from './range-table.ts';
import { LruCache } from './lru.ts';

describe('parseIp', () => {
  it('parses IPv4 to a 32-bit number', () => {
    const p = parseIp('203.0.113.7')!;
    expect(p.family).toBe(4);
    expect(p.v4).toBe(203 * 2 ** 24 + 113 * 256 + 7);
    expect(p.text).toBe('203.0.113.7');
  });

  it('parses IPv6 into two 64-bit halves and canonical text', () => {
    const p = parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001')!;
    expect(p.family).toBe(6);
    expect(p.text).toBe('2001:db8::1');
    expect(p.hi).toBe(0x20010db800000000n);
    expect(p.lo).toBe(1n);
  });

  it('unwraps IPv4-mapped IPv6 to IPv4', () => {
    const p = parseIp('::ffff:8.8.8.8')!;
    expect(p.family).toBe(4);
    expect(p.text).toBe('8.8.8.8');
    expect(p.v4).toBe(ipv4ToNumber('8.8.8.8'));
    expect(parseIp('::ffff:c0a8:0101')!.text).toBe('192.168.1.1');
  });

  it('drops an IPv6 zone id', () => {
    expect(parseIp('fe80::1%eth0')!.text).toBe('fe80::1');
  });

  it('rejects what is not an address', () => {
    for (const bad of ['', 'nonsense', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4/24', ':::1', 'x'.repeat(100)]) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it('the numeric IPv4 range check agrees with ipaddr.js range()', () => {
    const edges = ['0.0.0.0', '0.255.255.255', '1.0.0.0', '9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0', '100.63.255.255', '100.64.0.0', '100.127.255.255', '100.128.0.0', '126.255.255.255', '127.0.0.0', '169.254.0.0', '172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0', '192.0.0.0', '192.0.2.255', '192.0.3.0', '192.31.196.1', '192.52.193.1', '192.88.99.1', '192.168.255.255', '192.175.48.1', '198.17.255.255', '198.18.0.0', '198.19.255.255', '198.20.0.0', '198.51.100.1', '203.0.113.255', '223.255.255.255', '224.0.0.0', '239.255.255.255', '240.0.0.0', '255.255.255.254', '255.255.255.255'];
    let x = 7;
    const random = Array.from({ length: 5000 }, () => numberToIpv4((x = (Math.imul(x, 1103515245) + 12345) >>> 0)));
    for (const ip of [...edges, ...random]) expect(ipv4Range(ipv4ToNumber(ip)), ip).toBe(ipaddr.IPv4.parse(ip).range());
  });

  it('names non-public ranges', () => {
    const cases: [string, boolean][] = [
      ['10.1.2.3', false], ['172.16.0.1', false], ['192.168.0.1', false], ['127.0.0.1', false], ['169.254.1.1', false],
      ['100.64.0.1', false], ['192.0.2.1', false], ['198.51.100.1', false], ['0.0.0.0', false], ['255.255.255.255', false],
      ['224.0.0.1', false], ['::1', false], ['fe80::1', false], ['fc00::1', false], ['2001:db8::1', false], ['::', false],
      ['8.8.8.8', true], ['2a00:1450:4001:80b::200e', true], ['2002:c000:0204::1', true],
    ];
    for (const [ip, pub] of cases) expect(isPublicRange(parseIp(ip)!.range), ip).toBe(pub);
  });
});

describe('parseCidr', () => {
  it('parses v4 and v6 blocks and single addresses, clearing host bits', () => {
    const a = parseCidr('10.1.2.3/8')!;
    expect(a.text).toBe('10.0.0.0/8');
    expect(a.endV4 - a.startV4).toBe(2 ** 24 - 1);
    expect(parseCidr('1.2.3.4')!.text).toBe('1.2.3.4/32');
    const b = parseCidr('2001:db8:1::/48')!;
    expect(b.text).toBe('2001:db8:1::/48');
    expect(b.startHi).toBe(0x20010db800010000n);
    expect(b.endHi).toBe(0x20010db80001ffffn);
    expect(b.endLo).toBe((1n << 64n) - 1n);
    expect(parseCidr('::ffff:10.0.0.0/104')!.text).toBe('10.0.0.0/8');
  });

  it('rejects invalid blocks', () => {
    for (const bad of ['1.2.3.0/33', '1.2.3.0/', '1.2.3.0/x', '2001:db8::/129', 'hello/24', '']) expect(parseCidr(bad), bad).toBeNull();
  });
});

describe('RangeTable', () => {
  it('finds ranges by binary search in both families and merges membership sets', () => {
    const b = new RangeTableBuilder();
    for (const [c, v] of [['10.0.0.0/8', 1], ['10.1.0.0/16', 1], ['192.168.1.0/24', 1], ['192.168.2.0/24', 1], ['2001:db8::/32', 1]] as const) {
      b.addCidr(parseCidr(c)!, v);
    }
    const t = b.build({ merge: true });
    expect(t.sizeV4).toBe(2); // 10/8 swallowed 10.1/16; the two /24s are adjacent
    expect(t.has(parseIp('10.1.2.3')!)).toBe(true);
    expect(t.has(parseIp('192.168.2.255')!)).toBe(true);
    expect(t.has(parseIp('192.168.3.0')!)).toBe(false);
    expect(t.has(parseIp('11.0.0.0')!)).toBe(false);
    expect(t.has(parseIp('2001:db8:ffff::1')!)).toBe(true);
    expect(t.has(parseIp('2001:db9::1')!)).toBe(false);
  });
});

describe('LruCache', () => {
  it('keeps recently used entries and bounds its size', () => {
    const c = new LruCache<string, number>(4);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3); // rotates: {a,b} become old
    expect(c.get('a')).toBe(1); // promoted to young
    c.set('d', 4); // rotates: old={c,a}, young={d}; b dropped
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.size).toBeLessThanOrEqual(4);
    const none = new LruCache<string, number>(0);
    none.set('x', 1);
    expect(none.get('x')).toBeUndefined();
  });
});

describe('Ipv4Cache', () => {
  it('stores by number, keeps recent entries across generations and bounds its size', async () => {
    const { Ipv4Cache } = await import('./lru.ts');
    const c = new Ipv4Cache<string>(8); // generations of 4
    for (let i = 0; i < 4; i++) c.set(i, `v${i}`); // 0 is a valid key (0.0.0.0)
    expect(c.get(0)).toBe('v0');
    for (let i = 4; i < 8; i++) c.set(i, `v${i}`); // rotates: 0..3 become old, 0 was promoted before
    expect(c.get(1)).toBe('v1'); // found in the old generation, promoted
    for (let i = 100; i < 120; i++) c.set(i, `v${i}`);
    expect(c.size).toBeLessThanOrEqual(8);
    expect(c.get(2)).toBeUndefined();
    expect(c.get(119)).toBe('v119');
    c.set(119, 'again');
    expect(c.get(119)).toBe('again');
    c.set(0xffffffff, 'max');
    expect(c.get(0xffffffff)).toBe('max');
    c.clear();
    expect(c.get(119)).toBeUndefined();
    const off = new Ipv4Cache<string>(0);
    off.set(1, 'x');
    expect(off.get(1)).toBeUndefined();
  });
});
