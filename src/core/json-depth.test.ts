import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, jsonDepthExceeds } from './json-depth.ts';

const nested = (levels: number, open = '[', close = ']') => JSON.parse(open.repeat(levels) + close.repeat(levels)) as unknown;

describe('jsonDepthExceeds', () => {
  it('counts arrays and objects as levels, scalars as none', () => {
    expect(jsonDepthExceeds('x', 0)).toBe(false);
    expect(jsonDepthExceeds(null, 0)).toBe(false);
    expect(jsonDepthExceeds({}, 1)).toBe(false);
    expect(jsonDepthExceeds({}, 0)).toBe(true);
    expect(jsonDepthExceeds({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(jsonDepthExceeds({ a: [{ b: {} }] }, 3)).toBe(true);
  });

  it(`accepts ${MAX_JSON_DEPTH} levels, refuses one more, and walks 100,000 levels without overflowing the stack`, () => {
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH))).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(jsonDepthExceeds({ wide: Array.from({ length: 10_000 }, () => ({ x: [1] })) })).toBe(false);
    expect(jsonDepthExceeds(nested(100_000))).toBe(true);
  });
});
