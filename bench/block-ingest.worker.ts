/**
 * A producing thread of the block-store prototype (bench/block-ingest.bench.ts): takes a slice of input lines
 * (bytes), parses, detects the format, normalises and enriches every line with the product's own code (the same
 * calls as pipeline phase (b)), and returns the slice as ONE block, ready for a single SQLite INSERT. The slice
 * message says what the block holds:
 *   - body `json`: every activity's JSON text (what the SQLite store keeps today), written straight into one
 *     byte buffer;
 *   - body `source`: per activity, its input line as received (bytes) and only what cannot be derived from it
 *     again (receive time and the enrichment: geo, ASN, ISP, IP category and tags, device). Reading an activity
 *     back means running its format's normaliser on its line again (schema on read). (The bench lines hold one
 *     activity each; a line with several would be kept once, with each activity's index in it.);
 *   - body `record`: per activity, its input line and its normalised, enriched record without `raw` (which is a
 *     part of the line: the webhook change it came from), so reads take the record as stored and only cut `raw`
 *     out of the line again;
 *   - `bloom`: also a Bloom filter of the block's users and one of its IPs (BLOOM_BITS_PER_KEY bits per activity,
 *     BLOOM_PROBES probes), so a lookup can skip blocks without a separate index.
 * Every block carries the per-activity key columns a block store needs for dedup and lookups (time, and 53-bit
 * hashes of the id, the user (email, else actor id), the IP and the action) and where each activity's record
 * starts in the body, so a read can fetch the part of the body it needs.
 */
import { parentPort } from 'node:worker_threads';
import { INPUT_FORMATS } from '../src/connectors/registry.ts';
import { ConfigSchema } from '../src/config/schema.ts';
import { createEnricher } from '../src/enrich/index.ts';
import { BLOOM_BITS_PER_KEY, KEY, KEY_COLUMNS, bloomAdd, hash53, type BlockMessage, type SliceMessage } from './block-format.ts';

const enricher = await createEnricher(ConfigSchema.parse({}));
const ctx = { receivedAt: new Date().toISOString(), source: 'bench' };
let out = Buffer.allocUnsafe(4 << 20);

function makeBlock(m: SliceMessage): { block: BlockMessage; transfer: ArrayBuffer[] } {
  const lines = Buffer.from(m.lines.buffer, m.lines.byteOffset, m.lines.byteLength);
  const keys: number[] = [];
  const starts: number[] = [];
  let off = 0;
  const room = (bytes: number) => {
    if (off + bytes > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, off + bytes));
      out.copy(bigger, 0, 0, off);
      out = bigger;
    }
  };
  // Written into one buffer as made: no per-activity Buffer and no join of a block-sized string.
  const put = (s: string) => {
    room(s.length * 3 + 1);
    off += out.write(s, off, 'utf8');
    out[off++] = 10;
  };
  let start = 0;
  while (start < lines.length) {
    let end = lines.indexOf(10, start);
    if (end < 0) end = lines.length;
    if (end > start) {
      const rec = JSON.parse(lines.toString('utf8', start, end)) as Record<string, unknown>;
      const format = INPUT_FORMATS.find((f) => f.detect(rec));
      if (!format) throw new Error('no input format for a bench line');
      for (const a of format.parse(rec, ctx)) {
        enricher.enrich(a);
        starts.push(off);
        if (m.body === 'json') put(JSON.stringify(a));
        else {
          // The line as received (bytes, not re-encoded), then what cannot be made from it again: the enrichment
          // (source), or the whole normalised record but its raw payload, which is a part of the line (record).
          room(end - start + 1);
          off += lines.copy(out, off, start, end);
          out[off++] = 10;
          if (m.body === 'source') {
            put(JSON.stringify({ receivedAt: a.receivedAt, geo: a.geo, asn: a.asn, isp: a.isp, ipCategory: a.ipCategory, ipTags: a.ipTags, device: a.device }));
          } else {
            const raw = a.raw;
            a.raw = undefined; // JSON.stringify leaves out undefined members
            put(JSON.stringify(a));
            a.raw = raw;
          }
        }
        keys.push(Date.parse(a.time), hash53(a.id), hash53(a.actor.email ?? a.actor.id ?? ''), hash53(a.ip ?? ''), hash53(a.action));
      }
    }
    start = end + 1;
  }
  starts.push(off);
  const count = keys.length / KEY_COLUMNS;
  const body = new Uint8Array(off);
  body.set(out.subarray(0, off));
  const keyArray = Float64Array.from(keys);
  const startArray = Uint32Array.from(starts);
  const filterBits = count * BLOOM_BITS_PER_KEY;
  const blooms = new Uint8Array(m.bloom ? 2 * Math.ceil(filterBits / 8) : 0);
  if (m.bloom) {
    for (let i = 0; i < count; i++) {
      bloomAdd(blooms, 0, filterBits, keyArray[i * KEY_COLUMNS + KEY.user]);
      bloomAdd(blooms, blooms.length / 2, filterBits, keyArray[i * KEY_COLUMNS + KEY.ip]);
    }
  }
  return {
    block: { seq: m.seq, count, keys: keyArray, starts: startArray, body, blooms },
    transfer: [body.buffer as ArrayBuffer, keyArray.buffer as ArrayBuffer, startArray.buffer as ArrayBuffer, blooms.buffer as ArrayBuffer],
  };
}

parentPort!.on('message', (m: SliceMessage) => {
  const { block, transfer } = makeBlock(m);
  parentPort!.postMessage(block, transfer);
});
parentPort!.postMessage({ ready: true });
