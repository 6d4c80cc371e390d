/**
 * A producing thread of the block-store prototype (bench/block-ingest.bench.ts): takes a slice of input lines
 * (bytes), parses, detects the format, normalises and enriches every line with the product's own code (the same
 * calls as pipeline phase (b)), and returns the slice as ONE block, ready for a single SQLite INSERT. The slice
 * message says what the block holds:
 *   - body `json`: every activity's JSON text (what the SQLite store keeps today), written straight into one
 *     byte buffer;
 *   - body `source`: the input lines as received plus, per activity, only what cannot be derived from them again
 *     (receive time and the enrichment: geo, ASN, ISP, IP category and tags, device). Reading an activity back
 *     would mean running its format's normaliser on its line again (schema on read);
 *   - `bloom`: also a Bloom filter of the block's users and one of its IPs (BLOOM_BITS_PER_KEY bits per activity,
 *     BLOOM_PROBES probes), so a lookup can skip blocks without a separate index.
 * Every block carries the per-activity key columns a block store needs for dedup and lookups: time, and 53-bit
 * hashes of the id, the user (email, else actor id), the IP and the action.
 */
import { parentPort } from 'node:worker_threads';
import { INPUT_FORMATS } from '../src/connectors/registry.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { createEnricher } from '../src/enrich/index.ts';

export type BlockBody = 'json' | 'source';
/** Key columns per activity in a block's `keys` array: time (epoch ms), id hash, user hash, IP hash, action hash. */
export const KEY_COLUMNS = 5;
export const BLOOM_BITS_PER_KEY = 16;
export const BLOOM_PROBES = 4;

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

/** Sets a 53-bit hash's probes in a filter of `bits` bits at `offset` (double hashing on its two halves). */
function bloomAdd(filter: Uint8Array, offsetBytes: number, bits: number, h: number): void {
  const lo = h >>> 0;
  const hi = Math.floor(h / 4294967296) | 1;
  for (let p = 0; p < BLOOM_PROBES; p++) {
    const bit = ((lo + Math.imul(p, hi)) >>> 0) % bits;
    filter[offsetBytes + (bit >>> 3)] |= 1 << (bit & 7);
  }
}

const enricher = await createEnricher(ConfigSchema.parse({}));
const ctx = { receivedAt: new Date().toISOString(), source: 'bench' };
let out = Buffer.allocUnsafe(4 << 20);

function makeBlock(m: SliceMessage): { block: BlockMessage; transfer: ArrayBuffer[] } {
  const text = Buffer.from(m.lines.buffer, m.lines.byteOffset, m.lines.byteLength).toString('utf8');
  const keys: number[] = [];
  let off = 0;
  const put = (s: string) => {
    // Written into one buffer as made: no per-activity Buffer and no join of a block-sized string.
    if (off + s.length * 3 + 1 > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, off + s.length * 3 + 1));
      out.copy(bigger, 0, 0, off);
      out = bigger;
    }
    off += out.write(s, off, 'utf8');
    out[off++] = 10;
  };
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      const rec = JSON.parse(text.slice(start, end)) as Record<string, unknown>;
      const format = INPUT_FORMATS.find((f) => f.detect(rec));
      if (!format) throw new Error('no input format for a bench line');
      for (const a of format.parse(rec, ctx)) {
        enricher.enrich(a);
        put(
          m.body === 'json'
            ? JSON.stringify(a)
            : JSON.stringify({ receivedAt: a.receivedAt, geo: a.geo, asn: a.asn, isp: a.isp, ipCategory: a.ipCategory, ipTags: a.ipTags, device: a.device }),
        );
        keys.push(Date.parse(a.time), hash53(a.id), hash53(a.actor.email ?? a.actor.id ?? ''), hash53(a.ip ?? ''), hash53(a.action));
      }
    }
    start = end + 1;
  }
  const count = keys.length / KEY_COLUMNS;
  const body = new Uint8Array(m.body === 'json' ? off : m.lines.byteLength + off);
  if (m.body === 'source') body.set(m.lines, 0);
  body.set(out.subarray(0, off), body.length - off);
  const keyArray = Float64Array.from(keys);
  const filterBits = count * BLOOM_BITS_PER_KEY;
  const blooms = new Uint8Array(m.bloom ? 2 * Math.ceil(filterBits / 8) : 0);
  if (m.bloom) {
    for (let i = 0; i < count; i++) {
      bloomAdd(blooms, 0, filterBits, keyArray[i * KEY_COLUMNS + 2]);
      bloomAdd(blooms, blooms.length / 2, filterBits, keyArray[i * KEY_COLUMNS + 3]);
    }
  }
  return {
    block: { seq: m.seq, count, keys: keyArray, body, blooms },
    transfer: [body.buffer as ArrayBuffer, keyArray.buffer as ArrayBuffer, blooms.buffer as ArrayBuffer],
  };
}

parentPort!.on('message', (m: SliceMessage) => {
  const { block, transfer } = makeBlock(m);
  parentPort!.postMessage(block, transfer);
});
parentPort!.postMessage({ ready: true });
