import { describe, expect, it } from 'vitest';
import { SlidingWindowLimiter, clientKey } from './rate-limit.ts';

describe('sign-in rate limit keys', () => {
  it('count IPv4 per address and IPv6 per /64 (one host holds a whole /64)', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('2001:db8:1:2::1')).toBe(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
  });

  it('a host rotating addresses within its /64 shares one budget', () => {
    const limiter = new SlidingWindowLimiter({ limit: 3, windowMs: 60_000, now: () => 1_000 });
    const waits = Array.from({ length: 5 }, (_, i) => limiter.take(clientKey(`2001:db8:1:2::${i + 1}`)));
    expect(waits.map((w) => w > 0)).toEqual([false, false, false, true, true]);
    expect(limiter.take(clientKey('2001:db8:9:9::1'))).toBe(0);
  });
});
