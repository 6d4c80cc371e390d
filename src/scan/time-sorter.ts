/**
 * @module scan/time-sorter
 * Puts scanned events in event-time order with bounded memory. An event is held as bytes (the caller's
 * payload: an input line, or an activity's JSON) with its time and a one-byte tag, never as an object: a
 * million held activities used to be ~2 GB of heap that every major GC walked, and spilling them meant
 * JSON.stringify and JSON.parse of each one (together 3/4 of a 1M-event scan's time; docs/scan.md).
 *
 * Payloads are copied into arena chunks; up to `memoryEvents` events and `memoryBytes` payload bytes are sorted
 * in memory. Beyond either bound the sorted run is written to a temporary file (length-prefixed binary
 * records), and runs are merged with a k-way heap merge. Ties keep input order (stable), so a scan is
 * deterministic. Files are read and written with synchronous calls: the sorter serves the `rampart scan`
 * process, where nothing else waits on the event loop, and a blocking 1 MiB read is cheaper than a stream.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RampartError } from '../core/errors.ts';

export interface SortedEvent {
  /** Event time, epoch milliseconds. */
  time: number;
  tag: number;
  /** A view of the payload: valid until the next event is taken from the iterator. */
  payload: Buffer;
}

export interface TimeSorterOptions {
  /** Events held in memory before a sorted run is written to disk. */
  memoryEvents: number;
  /** Payload bytes held in memory before a sorted run is written to disk (default 256 MiB). */
  memoryBytes?: number;
  /** Folder for the temporary run files (default: the OS temporary folder). */
  tmpDir?: string;
}

const ARENA_CHUNK_BYTES = 8 << 20;
const READ_BYTES = 1 << 20;
/** A run record: u32 payload length, u8 tag, f64 time (epoch ms), f64 sequence number; then the payload. */
const HEADER_BYTES = 4 + 1 + 8 + 8;

/** What a merge source currently points at. */
interface Cursor {
  time: number;
  seq: number;
  tag: number;
  payload: Buffer;
}

const before = (a: Cursor, b: Cursor) => a.time < b.time || (a.time === b.time && a.seq < b.seq);

export class TimeSorter {
  readonly #memoryEvents: number;
  readonly #memoryBytes: number;
  readonly #tmpDir: string;
  // The events held in memory, column by column: plain arrays of numbers stay unboxed, so holding an event
  // leaves no object for the garbage collector to move or mark (a held time string did, ~4 objects each).
  #times: number[] = [];
  #tags: number[] = [];
  #chunkOf: number[] = [];
  #offsets: number[] = [];
  #lengths: number[] = [];
  #chunks: Buffer[] = [];
  /** Chunks of the last run written to disk, reused by the next run (no new allocation, no page faults). */
  #spareChunks: Buffer[] = [];
  #chunkUsed = 0;
  #heldBytes = 0;
  /** Sequence number of the first event held in memory. */
  #firstSeq = 0;
  #runs: string[] = [];
  #dir: string | null = null;

  constructor(opts: TimeSorterOptions) {
    this.#memoryEvents = Math.max(1, opts.memoryEvents);
    this.#memoryBytes = Math.max(1, opts.memoryBytes ?? 256 << 20);
    this.#tmpDir = opts.tmpDir ?? tmpdir();
  }

  get spilledRuns(): number {
    return this.#runs.length;
  }

  /**
   * Adds an event at `time` (epoch milliseconds: an ISO time from toISOString orders the same as its number,
   * and a number is no object to hold); writes a sorted run to disk when a memory bound is reached.
   * `tag` is 0..255.
   */
  add(time: number, tag: number, payload: Buffer | string): void {
    // A string is written without measuring it first: room for 3 bytes per UTF-16 unit always suffices.
    const room = typeof payload === 'string' ? payload.length * 3 : payload.length;
    let chunk = this.#chunks[this.#chunks.length - 1];
    if (chunk === undefined || this.#chunkUsed + room > chunk.length) {
      chunk = (room <= ARENA_CHUNK_BYTES && this.#spareChunks.pop()) || Buffer.allocUnsafe(Math.max(ARENA_CHUNK_BYTES, room));
      this.#chunks.push(chunk);
      this.#chunkUsed = 0;
    }
    let len: number;
    if (typeof payload === 'string') len = chunk.write(payload, this.#chunkUsed, room, 'utf8');
    else {
      chunk.set(payload, this.#chunkUsed); // TypedArray#set: no per-call argument checks, unlike Buffer#copy
      len = payload.length;
    }
    this.#times.push(time);
    this.#tags.push(tag);
    this.#chunkOf.push(this.#chunks.length - 1);
    this.#offsets.push(this.#chunkUsed);
    this.#lengths.push(len);
    this.#chunkUsed += len;
    this.#heldBytes += len;
    if (this.#times.length >= this.#memoryEvents || this.#heldBytes >= this.#memoryBytes) this.#spill();
  }

  /** Indexes of the held events in (time, input order). */
  #sortedIndexes(): Uint32Array {
    const times = this.#times;
    const order = new Uint32Array(times.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return order.sort((a, b) => times[a] - times[b] || a - b);
  }

  #payloadAt(i: number): Buffer {
    const off = this.#offsets[i];
    return this.#chunks[this.#chunkOf[i]].subarray(off, off + this.#lengths[i]);
  }

  #reset(keepChunks = false): void {
    this.#spareChunks = keepChunks ? this.#chunks.filter((c) => c.length === ARENA_CHUNK_BYTES) : [];
    this.#firstSeq += this.#times.length;
    this.#times = [];
    this.#tags = [];
    this.#chunkOf = [];
    this.#offsets = [];
    this.#lengths = [];
    this.#chunks = [];
    this.#chunkUsed = 0;
    this.#heldBytes = 0;
  }

  #spill(): void {
    try {
      this.#writeRun();
    } catch (cause) {
      throw sortFailed('write', this.#dir ?? this.#tmpDir, cause);
    }
    this.#reset(true);
  }

  #writeRun(): void {
    this.#dir ??= mkdtempSync(join(this.#tmpDir, 'rampart-sort-'));
    const path = join(this.#dir, `run-${this.#runs.length}.bin`);
    const fd = openSync(path, 'wx', 0o600);
    this.#runs.push(path);
    try {
      let out = Buffer.allocUnsafe(READ_BYTES);
      let used = 0;
      const flush = () => {
        let done = 0;
        while (done < used) done += writeSync(fd, out, done, used - done);
        used = 0;
      };
      for (const i of this.#sortedIndexes()) {
        const payload = this.#payloadAt(i);
        const size = HEADER_BYTES + payload.length;
        if (used + size > out.length) {
          flush();
          if (size > out.length) out = Buffer.allocUnsafe(size);
        }
        out.writeUInt32LE(payload.length, used);
        out[used + 4] = this.#tags[i];
        out.writeDoubleLE(this.#times[i], used + 5);
        out.writeDoubleLE(this.#firstSeq + i, used + 13);
        out.set(payload, used + HEADER_BYTES);
        used += size;
      }
      flush();
    } finally {
      closeSync(fd);
    }
  }

  /** Drops every held event and removes the temporary files (idempotent; drain does it when it ends). */
  dispose(): void {
    this.#reset();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = null;
    this.#runs = [];
  }

  /** Yields every event in (time, input order), then removes the temporary files. */
  async *drain(): AsyncGenerator<SortedEvent> {
    const readers: RunReader[] = [];
    try {
      const order = this.#sortedIndexes();
      if (this.#runs.length === 0) {
        for (const i of order) yield { time: this.#times[i], tag: this.#tags[i], payload: this.#payloadAt(i) };
        return;
      }
      for (const p of this.#runs) readers.push(new RunReader(p)); // one by one: those opened are closed below if one fails
      const sources: (() => Cursor | null)[] = readers.map((r) => () => r.next());
      let next = 0;
      sources.push(() => {
        if (next >= order.length) return null;
        const i = order[next++];
        return { time: this.#times[i], seq: this.#firstSeq + i, tag: this.#tags[i], payload: this.#payloadAt(i) };
      });
      // Min-heap of [cursor, source index].
      const heap: [Cursor, number][] = [];
      const push = (x: [Cursor, number]) => {
        heap.push(x);
        let i = heap.length - 1;
        while (i > 0) {
          const p = (i - 1) >> 1;
          if (!before(heap[i][0], heap[p][0])) break;
          [heap[i], heap[p]] = [heap[p], heap[i]];
          i = p;
        }
      };
      const pop = (): [Cursor, number] => {
        const top = heap[0];
        const last = heap.pop()!;
        if (heap.length) {
          heap[0] = last;
          let i = 0;
          for (;;) {
            const l = 2 * i + 1;
            const r = l + 1;
            let m = i;
            if (l < heap.length && before(heap[l][0], heap[m][0])) m = l;
            if (r < heap.length && before(heap[r][0], heap[m][0])) m = r;
            if (m === i) break;
            [heap[i], heap[m]] = [heap[m], heap[i]];
            i = m;
          }
        }
        return top;
      };
      for (let i = 0; i < sources.length; i++) {
        const c = sources[i]();
        if (c) push([c, i]);
      }
      while (heap.length) {
        const [c, i] = pop();
        yield { time: c.time, tag: c.tag, payload: c.payload };
        // The source's next record may reuse the buffer the yielded payload viewed: read it only now.
        const n = sources[i]();
        if (n) push([n, i]);
      }
    } finally {
      for (const r of readers) r.close();
      this.dispose();
    }
  }
}

/** Reads a run file record by record, 1 MiB at a time. */
class RunReader {
  readonly #path: string;
  readonly #fd: number;
  #buf = Buffer.allocUnsafe(READ_BYTES);
  #start = 0;
  #end = 0;
  #eof = false;
  #closed = false;

  constructor(path: string) {
    this.#path = path;
    try {
      this.#fd = openSync(path, 'r');
    } catch (cause) {
      throw sortFailed('read', dirname(path), cause);
    }
  }

  /** Makes `need` bytes available from the read position; false when the file ends first. */
  #fill(need: number): boolean {
    if (this.#end - this.#start >= need) return true;
    // Move the unread tail to the front (or into a larger buffer), then read after it.
    const tail = this.#end - this.#start;
    if (need > this.#buf.length) {
      const bigger = Buffer.allocUnsafe(need);
      this.#buf.copy(bigger, 0, this.#start, this.#end);
      this.#buf = bigger;
    } else this.#buf.copy(this.#buf, 0, this.#start, this.#end);
    this.#start = 0;
    this.#end = tail;
    while (!this.#eof && this.#end < need) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buf, this.#end, this.#buf.length - this.#end, null);
      } catch (cause) {
        throw sortFailed('read', dirname(this.#path), cause);
      }
      if (n === 0) this.#eof = true;
      this.#end += n;
    }
    return this.#end >= need;
  }

  /** The next record (its payload views the read buffer: valid until the next call), or null at the end. */
  next(): Cursor | null {
    if (this.#closed) return null;
    if (!this.#fill(HEADER_BYTES)) {
      const partial = this.#end > this.#start;
      this.close();
      if (partial) throw sortFailed('read', dirname(this.#path), new Error(`${this.#path} is truncated`));
      return null;
    }
    const buf = this.#buf;
    const s = this.#start;
    const payloadLen = buf.readUInt32LE(s);
    const tag = buf[s + 4];
    const time = buf.readDoubleLE(s + 5);
    const seq = buf.readDoubleLE(s + 13);
    if (!this.#fill(HEADER_BYTES + payloadLen)) {
      this.close();
      throw sortFailed('read', dirname(this.#path), new Error(`${this.#path} is truncated`));
    }
    // #fill may have moved the record to the front of a (new) buffer.
    const p0 = this.#start + HEADER_BYTES;
    const payload = this.#buf.subarray(p0, p0 + payloadLen);
    this.#start = p0 + payloadLen;
    return { time, seq, tag, payload };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

const sortFailed = (op: 'read' | 'write', dir: string, cause: unknown): RampartError =>
  new RampartError('RAMPART_ERR_INPUT_SORT_FAILED', [op, dir, (cause as Error).message], { cause });
