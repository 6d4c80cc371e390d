/**
 * @module scan/ndjson-reader
 * Reads NDJSON (plain or gzip, detected by magic bytes) line by line at the byte level, so that an oversized
 * line is skipped without being buffered, and invalid UTF-8 is reported instead of being silently replaced.
 * Every line yields either a parsed object or a reject with its line number; nothing is dropped silently, and a
 * read error (a cut or corrupt gzip file) is the last result of its input, after every complete line before it.
 */
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { createInflateRaw, crc32, type InflateRaw } from 'node:zlib';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../core/json-depth.ts';
import { formatMessage, type ErrorCode } from '../core/errors.ts';

export type LineResult =
  /** `raw` views the line's bytes (without the newline): valid until the next line is taken. */
  | { ok: true; line: number; record: Record<string, unknown>; bytes: number; raw: Buffer }
  | { ok: false; line: number; code: ErrorCode; reason: string; sample: string; bytes: number };

const SAMPLE_BYTES = 512;

export function sampleOf(buf: Buffer): string {
  const head = buf.subarray(0, SAMPLE_BYTES);
  // Keep the sample printable and valid UTF-8 whatever the input was.
  return isUtf8(head) ? head.toString('utf8') : `base64:${head.toString('base64')}`;
}

/** The input name that means standard input (`zcat export.gz | rampart scan -`). */
export const STDIN_PATH = '-';

/**
 * Opens a file, or standard input for STDIN_PATH, for line reading. Gzip is recognised by its magic bytes, read
 * from the stream itself (not at a file position), so named pipes and `<(zcat ...)` work too. A file that cannot
 * be opened fails the first read (readNdjson reports it); callers check their inputs up front.
 */
export function openInput(path: string, stdin: AsyncIterable<Buffer> = process.stdin): AsyncIterable<Buffer> {
  return ungzipIfGzip(path === STDIN_PATH ? stdin : createReadStream(path, { highWaterMark: 1 << 20 }));
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
    try {
      if (first.length) yield first;
      for (let r = await it.next(); !r.done; r = await it.next()) yield Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    } finally {
      await it.return?.(); // a reader that stops early closes the file
    }
  }
  if (first.length < 2 || first[0] !== 0x1f || first[1] !== 0x8b) return yield* all();
  yield* gunzip(all());
}

/** Inflated bytes per read: zlib's default 16 KiB costs a wake-up and a read per 16 KiB of lines. */
const INFLATE_CHUNK_BYTES = 64 * 1024;

/**
 * Gzip (RFC 1952: one or more members, each a header, raw deflate data and a CRC-32/size trailer) inflated as a
 * stream. Not zlib's Gunzip: when bytes that are not another member follow a member in the same read, Gunzip
 * fails and drops the output of that whole read (up to the last 16 KiB of the file's lines), so a download with
 * a stray byte appended lost its last complete lines. Here every byte inflated is handed on before an error is
 * thrown. Zero bytes after the last member are padding, ignored as gzip(1) and zlib do.
 */
async function* gunzip(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0); // input not yet consumed
  let eof = false;
  const more = async (): Promise<boolean> => {
    if (eof) return false;
    const r = await it.next();
    if (r.done) {
      eof = true;
      return false;
    }
    buf = buf.length ? Buffer.concat([buf, r.value]) : r.value;
    return true;
  };
  const need = async (n: number): Promise<void> => {
    while (buf.length < n) if (!(await more())) throw new Error('unexpected end of file');
  };
  try {
    for (let member = 0; ; member++) {
      if (member > 0) {
        // Between members: the end, zero padding, the next member, or bytes that are none of these.
        for (;;) {
          let i = 0;
          while (i < buf.length && buf[i] === 0) i++;
          buf = buf.subarray(i);
          if (buf.length || !(await more())) break;
        }
        if (!buf.length) return;
        if (buf.length < 2 && !eof) await more();
        if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) throw new Error('unexpected bytes after the end of the gzip data');
      }
      await readGzipHeader();
      const inflater = createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES });
      let crc = 0;
      let size = 0;
      try {
        for await (const chunk of inflateMember(inflater)) {
          crc = crc32(chunk, crc);
          size += chunk.length;
          yield chunk;
        }
      } finally {
        inflater.destroy();
      }
      await need(8);
      if (buf.readUInt32LE(0) !== crc >>> 0 || buf.readUInt32LE(4) !== size % 2 ** 32) throw new Error('gzip data is corrupt (CRC-32 or size mismatch)');
      buf = buf.subarray(8);
    }
  } finally {
    await it.return?.(); // a reader that stops early closes the file
  }

  /** Consumes a member's header (magic, method, flags and the optional fields they announce). */
  async function readGzipHeader(): Promise<void> {
    await need(10);
    if (buf[2] !== 8) throw new Error(`unknown gzip compression method ${buf[2]}`);
    const flags = buf[3];
    let at = 10;
    if (flags & 0x04) {
      await need(at + 2); // FEXTRA: length, then that many bytes
      at += 2 + buf.readUInt16LE(at);
      await need(at);
    }
    for (const flag of [0x08, 0x10]) {
      if (!(flags & flag)) continue; // FNAME, FCOMMENT: zero-terminated
      let end: number;
      while ((end = buf.indexOf(0, at)) < 0) await need(buf.length + 1);
      at = end + 1;
    }
    if (flags & 0x02) await need((at += 2)); // FHCRC
    buf = buf.subarray(at);
  }

  /**
   * One member's deflate data inflated, with the inflater's own backpressure. Raw inflate stops at the end of
   * the deflate data and leaves what follows untaken (bytesWritten counts what it took): that rest, the trailer
   * and whatever follows it, goes back to `buf`.
   */
  async function* inflateMember(inflater: InflateRaw): AsyncGenerator<Buffer> {
    const fed: Buffer[] = []; // written chunks the inflater may not have taken in full
    let fedStart = 0; // input offset of fed[0]
    let fedEnd = 0;
    let writing = false;
    let failure: Error | null = null;
    let wake: (() => void) | null = null;
    const signal = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    inflater.on('readable', signal);
    inflater.on('end', signal);
    inflater.on('error', (e) => {
      failure ??= e;
      signal();
    });
    const write = (chunk: Buffer) => {
      writing = true;
      fed.push(chunk);
      fedEnd += chunk.length;
      inflater.write(chunk, () => {
        writing = false;
        while (fed.length > 1 && fedStart + fed[0].length <= inflater.bytesWritten) fedStart += fed.shift()!.length;
        signal();
      });
    };
    if (buf.length) write(buf);
    buf = Buffer.alloc(0);
    for (;;) {
      for (let c: Buffer | null; (c = inflater.read() as Buffer | null) !== null; ) yield c;
      if (failure) throw failure;
      if (!writing) {
        // The end of the deflate data: the inflater stopped taking input, or it ended after end().
        if (inflater.readableEnded || inflater.bytesWritten < fedEnd) break;
        if (!inflater.writableEnded) {
          if (await more()) {
            const chunk = buf;
            buf = Buffer.alloc(0);
            write(chunk);
          } else {
            inflater.end(); // no more input: inflate what is left, or fail with "unexpected end of file"
          }
          continue;
        }
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
    let skip = inflater.bytesWritten - fedStart;
    const rest: Buffer[] = [];
    for (const chunk of fed) {
      if (skip >= chunk.length) skip -= chunk.length;
      else {
        rest.push(chunk.subarray(skip));
        skip = 0;
      }
    }
    buf = Buffer.concat(rest);
  }
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
  // JSON.parse reads any depth, but the recursive walks after it (JSON.stringify of a sample or into the store)
  // overflow the stack on a few thousand levels: refused here, one line, before anything walks it.
  if (jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
    return { ok: false, line, code: 'RAMPART_ERR_INPUT_TOO_DEEP', reason: formatMessage('RAMPART_ERR_INPUT_TOO_DEEP', [MAX_JSON_DEPTH]), sample: sampleOf(buf), bytes };
  }
  return { ok: true, line, record: value as Record<string, unknown>, bytes, raw: buf };
}

/** Whether a line holds only JSON whitespace (space, tab, CR; LF ends it): such a line is blank, not a record. */
function isBlank(buf: Buffer): boolean {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b !== 0x20 && b !== 0x09 && b !== 0x0d) return false;
  }
  return true;
}

/**
 * Yields one result per non-blank line. Lines longer than `maxLineBytes` are skipped (their bytes are not
 * kept) and reported with RAMPART_ERR_INPUT_LINE_TOO_LONG. A trailing `\r` is tolerated. When the stream fails
 * (a cut or corrupt gzip file, a disk error), the last result is RAMPART_ERR_INPUT_UNREADABLE at the line being
 * read, naming the input as `name`; every complete line before it has been yielded.
 */
export async function* readNdjson(stream: AsyncIterable<Buffer>, maxLineBytes: number, name = 'input'): AsyncGenerator<LineResult> {
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
    // Blank lines are not records; count them for line numbers only. Any other line is parsed or rejected.
    if (isBlank(buf)) return null;
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

  const chunks = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await chunks.next();
      } catch (cause) {
        const reason = formatMessage('RAMPART_ERR_INPUT_UNREADABLE', [name, (cause as Error).message]);
        yield { ok: false, line: lineNo + 1, code: 'RAMPART_ERR_INPUT_UNREADABLE', reason, sample: '', bytes: overflow + partLen };
        return;
      }
      if (next.done) break;
      const chunk = next.value;
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
  } finally {
    await chunks.return?.();
  }
  if (overflow > 0 || partLen > 0) {
    const r = finish(Buffer.alloc(0));
    if (r) yield r;
  }
}
