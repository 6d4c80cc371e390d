import { describe, expect, it } from 'vitest';
import { RampartError } from '../core/errors.ts';
import { parseIp } from './ip.ts';
import { compileIpRanges, validateIpRanges, type IpRange } from './ip-ranges.ts';

const r = (name: string, subnets: string[], category: IpRange['category'] = 'corporate'): IpRange => ({ name, category, subnets, tags: [] });

describe('validateIpRanges', () => {
  it('accepts disjoint and adjacent ranges of both families', () => {
    expect(
      validateIpRanges([
        r('HQ', ['203.0.113.0/25', '2001:db8:1::/48']),
        r('Branch', ['203.0.113.128/25', '198.51.100.7']),
        r('VPN', ['2001:db8:2::/48'], 'vpn'),
      ]),
    ).toEqual([]);
  });

  it('rejects overlapping ranges naming both ranges and subnets', () => {
    const issues = validateIpRanges([r('HQ', ['203.0.113.0/24']), r('Lab', ['203.0.113.64/26'], 'risky')]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toBeInstanceOf(RampartError);
    expect(issues[0].code).toBe('RAMPART_ERR_ENRICH_RANGE_OVERLAP');
    expect(issues[0].message).toContain('HQ');
    expect(issues[0].message).toContain('Lab');
    expect(issues[0].message).toContain('203.0.113.64/26');
    expect(issues[0].message).toContain('203.0.113.0/24');
  });

  it('finds an overlap hidden behind a wide earlier range', () => {
    // A covers everything; B and C sit inside it but do not overlap each other
    const issues = validateIpRanges([r('A', ['10.0.0.0/8']), r('B', ['10.1.0.0/16']), r('C', ['10.200.0.0/16'])]);
    expect(issues.map((i) => i.code)).toEqual(['RAMPART_ERR_ENRICH_RANGE_OVERLAP', 'RAMPART_ERR_ENRICH_RANGE_OVERLAP']);
    expect(issues[1].message).toContain('C');
  });

  it('rejects IPv6 overlaps and duplicate single addresses', () => {
    expect(validateIpRanges([r('A', ['2001:db8::/32']), r('B', ['2001:db8:ff::/48'])])[0]?.code).toBe('RAMPART_ERR_ENRICH_RANGE_OVERLAP');
    expect(validateIpRanges([r('A', ['198.51.100.7']), r('B', ['198.51.100.7/32'])])[0]?.code).toBe('RAMPART_ERR_ENRICH_RANGE_OVERLAP');
  });

  it('does not confuse families: ::ffff-free IPv6 never overlaps IPv4', () => {
    expect(validateIpRanges([r('A', ['0.0.0.0/0']), r('B', ['::/0'])])).toEqual([]);
  });

  it('rejects invalid subnets with RAMPART_ERR_ENRICH_RANGE_INVALID', () => {
    const issues = validateIpRanges([r('Bad', ['203.0.113.0/33', 'not-a-subnet', '203.0.113.0/24'])]);
    expect(issues.map((i) => i.code)).toEqual(['RAMPART_ERR_ENRICH_RANGE_INVALID', 'RAMPART_ERR_ENRICH_RANGE_INVALID']);
    expect(issues[0].message).toContain('Bad');
    expect(issues[0].message).toContain('203.0.113.0/33');
  });
});

describe('compileIpRanges', () => {
  it('looks addresses up in both families', () => {
    const idx = compileIpRanges([r('HQ', ['203.0.113.0/24', '2001:db8:1::/48']), r('VPN', ['198.51.100.0/24'], 'vpn')]);
    expect(idx.lookup(parseIp('203.0.113.200')!)?.name).toBe('HQ');
    expect(idx.lookup(parseIp('2001:db8:1:ffff::1')!)?.name).toBe('HQ');
    expect(idx.lookup(parseIp('198.51.100.1')!)?.category).toBe('vpn');
    expect(idx.lookup(parseIp('::ffff:198.51.100.1')!)?.name).toBe('VPN');
    expect(idx.lookup(parseIp('203.0.114.0')!)).toBeNull();
    expect(idx.lookup(parseIp('2001:db8:2::1')!)).toBeNull();
  });

  it('throws the first issue', () => {
    expect(() => compileIpRanges([r('A', ['10.0.0.0/8']), r('B', ['10.0.0.0/24'])])).toThrow(/overlaps/);
  });
});
