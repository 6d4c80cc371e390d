/** @module detect/stats  Robust statistics for the per-user baselines (median and MAD resist one-off spikes). */

export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return 0;
  const s = Array.from(values).sort((a, b) => a - b);
  const mid = n >> 1;
  return n % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Median absolute deviation, scaled by 1.4826 so it estimates the standard deviation of normal data. */
export function scaledMad(values: ArrayLike<number>, med = median(values)): number {
  const dev = Array.from(values, (v) => Math.abs(v - med));
  return 1.4826 * median(dev);
}
