/**
 * What the block-store prototype's producing threads and its writer share (bench/block-ingest.bench.ts): the key
 * columns of a block, the 53-bit string hash and the Bloom filters. Plain functions, no state: the worker module
 * builds an enricher when loaded, so the writer imports these from here.
 */

/** Key columns per activity in a block's `keys` array: time (epoch ms), id hash, user hash, IP hash, action hash. */
export const KEY_COLUMNS = 5;
export const KEY = { time: 0, id: 1, user: 2, ip: 3, action: 4 } as const;
export const BLOOM_BITS_PER_KEY = 16;
/** Activities per stored piece of a block's body: a read fetches one piece (~60 KB), not the block (~1 MB). */
export const CHUNK_ACTIVITIES = 64;
export const BLOOM_PROBES = 4;

export type BlockBody = 'json' | 'source' | 'record';

export interface SliceMessage {
  seq: number;
  lines: Uint8Array;
  body: BlockBody;
  bloom: boolean;
}
export interface BlockMessage {
  seq: number;
  count: number;
  keys: Float64Array;
  /** Where each activity's record starts in `body`, and the body's length (count + 1 offsets). */
  starts: Uint32Array;
  body: Uint8Array;
  /** The users' filter, then the IPs' (each count * BLOOM_BITS_PER_KEY bits); empty without `bloom`. */
  blooms: Uint8Array;
}

/** A 53-bit string hash (two 32-bit multiply-xor lanes): collisions are rare, and a real store verifies a hit. */
export function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** The probes of a 53-bit hash in a filter of `bits` bits (double hashing on its two halves). */
function probe(h: number, p: number, bits: number): number {
  const lo = h >>> 0;
  const hi = Math.floor(h / 4294967296) | 1;
  return ((lo + Math.imul(p, hi)) >>> 0) % bits;
}

/** Adds a hash to the filter of `bits` bits starting at byte `offset`. */
export function bloomAdd(filter: Uint8Array, offset: number, bits: number, h: number): void {
  for (let p = 0; p < BLOOM_PROBES; p++) {
    const bit = probe(h, p, bits);
    filter[offset + (bit >>> 3)] |= 1 << (bit & 7);
  }
}

/** Whether the filter may hold the hash (false: certainly not). */
export function bloomHas(filter: Uint8Array, offset: number, bits: number, h: number): boolean {
  for (let p = 0; p < BLOOM_PROBES; p++) {
    const bit = probe(h, p, bits);
    if ((filter[offset + (bit >>> 3)] & (1 << (bit & 7))) === 0) return false;
  }
  return true;
}
