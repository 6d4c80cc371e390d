/**
 * @module proxy/inspect/inspector
 * Streams a body through the detectors chunk by chunk. Only a window of MAX_TOKEN_CHARS characters is carried
 * from one chunk to the next, so memory does not grow with the body, and a number split across two chunks is
 * still found exactly once. Bytes are read as latin1: every detector looks for ASCII, and latin1 maps each
 * byte to one character without decoder state.
 */
import { MAX_TOKEN_CHARS, type Detector } from './detectors.ts';

export interface InspectionEvidence {
  detector: string;
  /** The match, masked. */
  match: string;
  /** Up to 40 characters either side (digits masked too), the masked match in brackets. */
  context: string;
}

export interface InspectionResult {
  /** Validated matches per detector id. */
  counts: Record<string, number>;
  total: number;
  /** Candidates that failed validation (look-alikes), for explanations. */
  rejected: number;
  bytes: number;
  evidence: InspectionEvidence[];
}

const CONTEXT_CHARS = 40;
/** Characters before a window kept only so look-behinds see what precedes the first new character. */
const LOOKBEHIND = 8;

const maskContext = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').replace(/\d/g, '#');

export class StreamInspector {
  readonly #detectors: readonly Detector[];
  readonly #maxEvidence: number;
  readonly #counts: Record<string, number> = {};
  readonly #evidence: InspectionEvidence[] = [];
  /** Text not yet final: starts LOOKBEHIND characters before #pendingAbs. */
  #pending = '';
  /** Absolute offset of #pending[0]. */
  #pendingAbs = 0;
  /** Absolute offset from which matches are still undecided. */
  #decidedUpTo = 0;
  /** Per detector: absolute end of the last candidate, so no candidate is reconsidered from its middle. */
  readonly #lastEnd: number[];
  #bytes = 0;
  #total = 0;
  #rejected = 0;

  constructor(detectors: readonly Detector[], opts: { maxEvidence?: number } = {}) {
    this.#detectors = detectors;
    this.#maxEvidence = opts.maxEvidence ?? 10;
    this.#lastEnd = detectors.map(() => 0);
    for (const d of detectors) this.#counts[d.id] = 0;
  }

  get total(): number {
    return this.#total;
  }

  /** Characters carried between chunks: bounded by the token window, whatever the body size. */
  get carriedChars(): number {
    return this.#pending.length;
  }

  push(chunk: Buffer | Uint8Array): void {
    this.#bytes += chunk.length;
    this.#pending += Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
    // Matches starting before `safe` end well before the text does (tokens are at most MAX_TOKEN_CHARS), so
    // they cannot grow with the next chunk: decide them now.
    const safe = this.#pending.length - MAX_TOKEN_CHARS;
    if (safe <= 0) return;
    this.#scan(safe);
  }

  /** Scans what is left and returns the result. */
  finish(): InspectionResult {
    this.#scan(this.#pending.length, true);
    return { counts: { ...this.#counts }, total: this.#total, rejected: this.#rejected, bytes: this.#bytes, evidence: this.#evidence.slice() };
  }

  #scan(safe: number, final = false): void {
    const text = this.#pending;
    const base = this.#pendingAbs;
    const from = this.#decidedUpTo;
    const safeAbs = base + safe;
    this.#detectors.forEach((d, i) => {
      const startAt = Math.max(0, Math.max(from, this.#lastEnd[i]) - base);
      const consider = (index: number, match: string): boolean => {
        const startAbs = base + index;
        if (startAbs >= safeAbs && !final) return false;
        this.#lastEnd[i] = startAbs + match.length;
        if (d.validate(match)) this.#hit(d, text, index, match);
        else this.#rejected++;
        return true;
      };
      if (d.findNext) {
        for (let m = d.findNext(text, startAt); m !== null; m = d.findNext(text, m.index + m.match.length)) if (!consider(m.index, m.match)) break;
        return;
      }
      const re = d.pattern;
      re.lastIndex = startAt;
      for (let m = re.exec(text); m !== null; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        if (!consider(m.index, m[0])) break;
      }
    });
    this.#decidedUpTo = safeAbs;
    const keepFrom = Math.max(0, safe - Math.max(LOOKBEHIND, CONTEXT_CHARS));
    this.#pending = text.slice(keepFrom);
    this.#pendingAbs = base + keepFrom;
  }

  #hit(d: Detector, text: string, index: number, match: string): void {
    this.#counts[d.id] = (this.#counts[d.id] ?? 0) + 1;
    this.#total++;
    if (this.#evidence.length >= this.#maxEvidence) return;
    const masked = d.mask(match);
    const before = maskContext(text.slice(Math.max(0, index - CONTEXT_CHARS), index));
    const after = maskContext(text.slice(index + match.length, index + match.length + CONTEXT_CHARS));
    this.#evidence.push({ detector: d.id, match: masked, context: `${before}[${masked}]${after}` });
  }
}

/** Inspects a whole buffer (tests, uploads already held in memory). */
export function inspectBuffer(detectors: readonly Detector[], body: Uint8Array, chunkBytes = 64 * 1024): InspectionResult {
  const ins = new StreamInspector(detectors);
  for (let off = 0; off < body.length; off += chunkBytes) ins.push(body.subarray(off, Math.min(body.length, off + chunkBytes)));
  return ins.finish();
}
