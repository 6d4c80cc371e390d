import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../core/random.ts';
import { RangeTableBuilder } from './range-table.ts';

describe('RangeTable IPv4 lookup', () => {
  it('answers like a linear scan, with and without the /16 index', () => {
    const rnd = mulberry32(5);
    for (const n of [50, 20_000]) {
      // Non-overlapping ranges of mixed sizes (some spanning several /16s), with gaps, as the ASN table has.
      const ranges: [number, number, number][] = [];
      let at = Math.floor(rnd() * 1000);
      const step = Math.floor(2 ** 32 / (n + 1));
      for (let i = 0; i < n && at < 2 ** 32; i++) {
        const len = rnd() < 0.05 ? Math.floor(rnd() * step * 3) : Math.floor(rnd() * step * 0.8);
        const end = Math.min(at + len, 2 ** 32 - 1);
        ranges.push([at, end, i]);
        at = end + 1 + Math.floor(rnd() * step * 0.5);
      }
      if (at <= 2 ** 32 - 1) ranges.push([2 ** 32 - 1, 2 ** 32 - 1, 99_999]);
      const b = new RangeTableBuilder();
      for (const [s, e, v] of ranges) b.addV4(s, e, v);
      const t = b.build();
      const linear = (ip: number) => ranges.find(([s, e]) => s <= ip && ip <= e)?.[2] ?? -1;
      const probes = [0, 1, 65535, 65536, 2 ** 32 - 2, 2 ** 32 - 1];
      for (const [s, e] of ranges.filter((_, i) => i % 25 === 0)) probes.push(s, e, Math.max(0, s - 1), Math.min(2 ** 32 - 1, e + 1));
      for (let i = 0; i < 2_000; i++) probes.push(Math.floor(rnd() * 2 ** 32));
      for (const ip of probes) expect(t.findV4(ip), String(ip)).toBe(linear(ip));
    }
  });
});
