/**
 * @module api/auth/rate-limit
 * Sign-in attempts per client address in a sliding minute. Memory is bounded: at most `maxKeys` addresses are
 * tracked, the least recently seen forgotten first.
 */
import { parseIp } from '../../enrich/ip.ts';

/**
 * The key a client's attempts count under: its IPv4 address, or its IPv6 /64. One IPv6 host usually holds a whole
 * /64 (SLAAC, privacy addresses), so keying on the address would give an attacker 2^64 budgets.
 */
export function clientKey(ip: string): string {
  const p = parseIp(ip);
  if (p === null) return ip;
  return p.family === 4 ? p.text : `${(p.hi).toString(16)}::/64`;
}

export class SlidingWindowLimiter {
  readonly #hits = new Map<string, number[]>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(o: { limit: number; windowMs: number; maxKeys?: number; now?: () => number }) {
    this.#limit = o.limit;
    this.#windowMs = o.windowMs;
    this.#maxKeys = o.maxKeys ?? 10_000;
    this.#now = o.now ?? Date.now;
  }

  /** Counts an attempt; returns 0 when allowed, else the seconds until the next one is. */
  take(key: string): number {
    const now = this.#now();
    const hits = (this.#hits.get(key) ?? []).filter((t) => t > now - this.#windowMs);
    this.#hits.delete(key);
    if (hits.length >= this.#limit) {
      this.#hits.set(key, hits);
      return Math.max(1, Math.ceil((hits[0] + this.#windowMs - now) / 1000));
    }
    hits.push(now);
    this.#hits.set(key, hits);
    if (this.#hits.size > this.#maxKeys) this.#hits.delete(this.#hits.keys().next().value!);
    return 0;
  }
}
