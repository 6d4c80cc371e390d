/**
 * @module core/json-depth
 * Nesting depth of parsed JSON. JSON.parse reads arrays nested thousands deep, but JSON.stringify (and every
 * recursive walk) overflows the stack on them at ~5,000 levels: one such value in a stored record failed whole
 * store batches. Inputs are checked against MAX_JSON_DEPTH before they are accepted.
 */

/** Deepest nesting accepted in any input record: real SaaS events are under 10 levels deep. */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests arrays/objects more than `maxDepth` levels deep. Iterative: no recursion to overflow. */
export function jsonDepthExceeds(value: unknown, maxDepth: number = MAX_JSON_DEPTH): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const stack: unknown[] = [value];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const v = stack.pop() as object;
    const d = depths.pop()!;
    if (d > maxDepth) return true;
    // for...in rather than Object.values: no array per object (measured 0.5 against 0.7-1.2 us per Workplace line).
    if (Array.isArray(v)) {
      for (const c of v) {
        if (typeof c === 'object' && c !== null) {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    } else {
      for (const k in v) {
        const c = (v as Record<string, unknown>)[k];
        if (typeof c === 'object' && c !== null) {
          stack.push(c);
          depths.push(d + 1);
        }
      }
    }
  }
  return false;
}
