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
    const children = Array.isArray(v) ? v : Object.values(v);
    for (const c of children) {
      if (typeof c === 'object' && c !== null) {
        stack.push(c);
        depths.push(d + 1);
      }
    }
  }
  return false;
}
