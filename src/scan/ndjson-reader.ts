/**
 * @module scan/ndjson-reader
 * Reads NDJSON (plain or gzip, detected by magic bytes) line by line at the byte level, so that an oversized
 * line is skipped without being buffered, and invalid UTF-8 is reported instead of being silently replaced.
 * Every line yields either a parsed object or a reject with its line number; nothing is dropped silently.
 */
import { createReadStream, openSync, readSync, closeSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { RampartError, type ErrorCode } from '../core/errors.ts';

export type LineResult =
  /** `raw` views the line's bytes (without the newline): valid until the next line is taken. */
  | { ok: true; line: number; record: Record<string, unknown>; bytes: number; raw: Buffer }
  | { ok: false; line: number; code: ErrorCode; reason: string; sample: string; bytes: number };

const SAMPLE_BYTES = 512;

function sampleOf(buf: Buffer): string {
  const head = buf.subarray(0, SAMPLE_BYTES);
  // Keep the sample printable and valid UTF-8 whatever the input was.
  return isUtf8(head) ? head.toString('utf8') : `base64:${head.toString('base64')}`;
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    return readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    closeSync(fd);
  }
}

/** The input name that means standard input (`zcat export.gz | rampart scan -`). */
export const STDIN_PATH = '-';

/**
 * Opens a file, or standard input for STDIN_PATH, for line reading; throws RAMPART_ERR_INPUT_UNREADABLE when a file
 * cannot be opened. Gzip is recognised by its magic bytes on either.
 */
export function openInput(path: string, stdin: AsyncIterable<Buffer> = process.stdin): Readable {
  if (path === STDIN_PATH) return Readable.from(ungzipIfGzip(stdin), { objectMode: false });
  let gz: boolean;
  try {
    gz = isGzip(path);
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_INPUT_UNREADABLE', [path, (cause as Error).message], { cause });
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (!gz) return raw;
  const gunzip = createGunzip();
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** The stream's bytes, gunzipped when its first two bytes are gzip's magic number (a stream cannot be peeked). */
async function* ungzipIfGzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  while (headBytes < 2) {
    const r = await it.next();
    if (r.done) break;
    const chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    head.push(chunk);
    headBytes += chunk.length;
  }
  const first = Buffer.concat(head);
  async function* all(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
  }
  if (first.length < 2 || first[0] !== 0x1f || first[1] !== 0x8b) return yield* all();
  const gunzip = createGunzip();
  const raw = Readable.from(all());
  raw.on('error', (e) => gunzip.destroy(e));
  yield* raw.pipe(gunzip);
}

export function parseLine(buf: Buffer, line: number): LineResult {
  const bytes = buf.length;
  if (!isUtf8(buf)) return { ok: false, line, code: 'RAMPART_ERR_INPUT_INVALID_UTF8', reason: 'line is not valid UTF-8', sample: sampleOf(buf), bytes };
  const text = buf.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, line, code: 'RAMPART_ERR_INPUT_MALFORMED_JSON', reason: `line is not valid JSON: ${(e as Error).message}`, sample: sampleOf(buf), bytes };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    return { ok: false, line, code: 'RAMPART_ERR_INPUT_NOT_OBJECT', reason: `line is JSON but not an object (got ${kind})`, sample: sampleOf(buf), bytes };
  }
  return { ok: true, line, record: value as Record<string, unknown>, bytes, raw: buf };
}

/**
 * Yields one result per non-blank line. Lines longer than `maxLineBytes` are skipped (their bytes are not
 * kept) and reported with RAMPART_ERR_INPUT_LINE_TOO_LONG. A trailing `\r` is tolerated.
 */
export async function* readNdjson(stream: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<LineResult> {
  let parts: Buffer[] = [];
  let partLen = 0;
  let overflow = 0; // bytes of the current line beyond the limit (line is being skipped)
  let lineNo = 0;

  const finish = (tail: Buffer): LineResult | null => {
    lineNo++;
    if (overflow > 0) {
      const total = overflow + partLen + tail.length;
      const head = parts.length ? Buffer.concat(parts) : tail;
      parts = [];
      partLen = 0;
      overflow = 0;
      return {
        ok: false,
        line: lineNo,
        code: 'RAMPART_ERR_INPUT_LINE_TOO_LONG',
        reason: `line is ${total} bytes, above the limit of ${maxLineBytes} bytes`,
        sample: sampleOf(head),
        bytes: total,
      };
    }
    let buf = parts.length ? Buffer.concat([...parts, tail]) : tail;
    parts = [];
    partLen = 0;
    if (buf.length && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    // A byte order mark opens files saved by some Windows tools: it is not part of the first record.
    if (lineNo === 1 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    // Blank lines are not records; count them for line numbers only.
    if (buf.length === 0 || (buf.length < 64 && buf.toString('latin1').trim() === '')) return null;
    return parseLine(buf, lineNo);
  };

  const append = (piece: Buffer) => {
    if (overflow > 0) {
      overflow += piece.length;
      return;
    }
    if (partLen + piece.length > maxLineBytes) {
      // Keep only a sample of the head; the rest is counted, not buffered.
      const head = Buffer.concat([...parts, piece]).subarray(0, SAMPLE_BYTES);
      overflow = partLen + piece.length - head.length;
      parts = [Buffer.from(head)];
      partLen = head.length;
      return;
    }
    parts.push(piece);
    partLen += piece.length;
  };

  for await (const chunk of stream) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const piece = chunk.subarray(start, nl);
      if (overflow > 0 || partLen + piece.length > maxLineBytes) {
        append(piece);
        const r = finish(Buffer.alloc(0));
        if (r) yield r;
      } else {
        const r = finish(piece);
        if (r) yield r;
      }
      start = nl + 1;
    }
    if (start < chunk.length) append(Buffer.from(chunk.subarray(start)));
  }
  if (overflow > 0 || partLen > 0) {
    const r = finish(Buffer.alloc(0));
    if (r) yield r;
  }
}
