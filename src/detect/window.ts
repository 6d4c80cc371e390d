/**
 * @module detect/window
 * Counting in sliding windows of event time when events may arrive out of order. The pipeline sorts each batch,
 * not across batches (src/core/pipeline.ts), so in `serve` a late batch hands a detection events older than ones
 * it has already seen. Window-based detections (failed_logins and its password spray, repeated-activity
 * policies) keep their events sorted by time, drop from the front only when an event in order arrives, and
 * count a late event within one real window: the fullest window of the configured length that contains it
 * (densestWindowAround), never the span from the oldest to the newest event held.
 */

let lastLo = 0;
let lastHi = 0;

/**
 * Among `times[from..to)`, sorted ascending, the window of length `windowMs` that contains `times[k]` and holds
 * the most entries: returns their number (distinct `keys` when given) and leaves the window's entries as
 * `[windowLo(), windowHi())`. `closed`: the first and last entries may be exactly `windowMs` apart, else less.
 * Linear in the entries within `windowMs` of `times[k]`; no allocation without `keys`. On a tie, the earliest.
 */
export function densestWindowAround(times: readonly number[], from: number, to: number, k: number, windowMs: number, closed: boolean, keys?: readonly string[]): number {
  const t = times[k];
  let i = k;
  while (i > from && (closed ? t - times[i - 1] <= windowMs : t - times[i - 1] < windowMs)) i--;
  let j = k; // last index of the window starting at i
  const counts = keys ? new Map<string, number>() : null;
  if (counts) for (let x = i; x <= k; x++) counts.set(keys![x], (counts.get(keys![x]) ?? 0) + 1);
  let best = -1;
  for (; i <= k; i++) {
    while (j + 1 < to && (closed ? times[j + 1] - times[i] <= windowMs : times[j + 1] - times[i] < windowMs)) {
      j++;
      if (counts) counts.set(keys![j], (counts.get(keys![j]) ?? 0) + 1);
    }
    const n = counts ? counts.size : j - i + 1;
    if (n > best) {
      best = n;
      lastLo = i;
      lastHi = j + 1;
    }
    if (counts) {
      const c = counts.get(keys![i])! - 1;
      if (c === 0) counts.delete(keys![i]);
      else counts.set(keys![i], c);
    }
  }
  return best;
}

/** First entry of the window densestWindowAround last found. */
export const windowLo = (): number => lastLo;
/** One past the last entry of the window densestWindowAround last found. */
export const windowHi = (): number => lastHi;

/** Where `t` goes in `times[from..to)`, sorted ascending: after the entries equal to it (searched from the end, where late events land). */
export function sortedInsertIndex(times: readonly number[], from: number, to: number, t: number): number {
  let i = to;
  while (i > from && times[i - 1] > t) i--;
  return i;
}
