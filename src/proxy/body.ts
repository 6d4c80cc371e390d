/**
 * @module proxy/body
 * Bounded holding of a streamed body: read up to a limit (optionally through the inspector), then either the
 * whole body is in hand or the held prefix plus the untouched remainder can still be passed on. Memory is
 * bounded by the limit, never by the body.
 */
import { Readable } from 'node:stream';
import type { StreamInspector } from './inspect/inspector.ts';

export interface HeldBody {
  chunks: Buffer[];
  bytes: number;
  /** True when the stream ended within the limit. */
  complete: boolean;
  /** The held prefix followed by whatever the source still has (a single-use stream). */
  replay(): Readable;
  /** Stops reading the source (the body will not be passed on). */
  discard(): void;
}

type Source = AsyncIterable<Uint8Array | string> & { destroy?(err?: Error): void; on?(event: 'error', fn: () => void): unknown };

export async function holdBody(source: Source, limit: number, inspector?: StreamInspector): Promise<HeldBody> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let bytes = 0;
  let complete = false;
  // Pulled by hand, not with for-await: leaving a for-await loop early would destroy the source.
  for (;;) {
    const r = await it.next();
    if (r.done) {
      complete = true;
      break;
    }
    const buf = typeof r.value === 'string' ? Buffer.from(r.value) : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    chunks.push(buf);
    bytes += buf.length;
    inspector?.push(buf);
    if (bytes > limit) break;
  }
  return {
    chunks,
    bytes,
    complete,
    replay() {
      async function* gen() {
        for (const c of chunks) yield c;
        if (complete) return;
        for (;;) {
          const r = await it.next();
          if (r.done) return;
          yield r.value;
        }
      }
      return Readable.from(gen(), { objectMode: false });
    },
    discard() {
      if (!complete) {
        // Destroying an undici body emits an AbortError: expected here, so it is swallowed.
        source.on?.('error', () => undefined);
        if (typeof source.destroy === 'function') source.destroy();
        else void it.return?.();
      }
    },
  };
}
