// Keeps src/core/errors.ts and docs/errors.md in step, in both directions (fastify's errors test).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, RampartError } from '../src/core/errors.ts';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const documented = new Set([...doc.matchAll(/^\|\s*`(RAMPART_ERR_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]));

describe('error catalogue', () => {
  it('documents every code in docs/errors.md', () => {
    const missing = Object.keys(ERRORS).filter((c) => !documented.has(c));
    expect(missing).toEqual([]);
  });
  it('documents no code that does not exist', () => {
    const stale = [...documented].filter((c) => !(c in ERRORS));
    expect(stale).toEqual([]);
  });
  it('names every code RAMPART_ERR_<AREA>_<WHAT>', () => {
    for (const code of Object.keys(ERRORS)) expect(code).toMatch(/^RAMPART_ERR_[A-Z]+_[A-Z0-9_]+$/);
  });
  it('fills message templates and carries the status', () => {
    const e = new RampartError('RAMPART_ERR_INPUT_LINE_TOO_LONG', [300000, 1048576]);
    expect(e.message).toBe('line is 300000 bytes, above the limit of 1048576 bytes');
    expect(e.status).toBe(413);
    expect(e.toJSON()).toEqual({ code: 'RAMPART_ERR_INPUT_LINE_TOO_LONG', message: e.message });
  });
});
