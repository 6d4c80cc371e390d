import { describe, expect, it } from 'vitest';
import { parseIsoDateOrInstant, parseIsoInstant } from './time.ts';

const iso = (s: string) => {
  const t = parseIsoInstant(s);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

describe('parseIsoInstant', () => {
  it('reads ISO-8601 date-times with an explicit offset, in every common spelling', () => {
    expect(iso('2026-03-01T09:00:00Z')).toBe('2026-03-01T09:00:00.000Z');
    expect(iso('2026-03-01T09:00:00.123456Z')).toBe('2026-03-01T09:00:00.123Z');
    expect(iso('2026-03-01T10:00:00+01:00')).toBe('2026-03-01T09:00:00.000Z');
    expect(iso('2023-11-14T22:13:20+0000')).toBe('2023-11-14T22:13:20.000Z');
    expect(iso('2026-03-01T04:00:00-05')).toBe('2026-03-01T09:00:00.000Z');
    expect(iso('2026-03-01 09:00Z')).toBe('2026-03-01T09:00:00.000Z');
    expect(iso('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
  });

  it('refuses what Date.parse guesses at: no offset, impossible dates, free text', () => {
    for (const s of ['1', 'Mar 1', 'hello 2026', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-03-01T09:00:00', '2026-03-01', '2026-03-01T24:00:00Z', '2026-13-01T00:00:00Z', '2026-03-01T09:00:00+25:00', '']) {
      expect(iso(s), s).toBeNull();
    }
  });

  it('parseIsoDateOrInstant also reads a bare calendar date as midnight UTC, still refusing impossible ones', () => {
    expect(new Date(parseIsoDateOrInstant('2026-04-30')).toISOString()).toBe('2026-04-30T00:00:00.000Z');
    expect(parseIsoDateOrInstant('2026-02-30')).toBeNaN();
    expect(parseIsoDateOrInstant('02/01/2026')).toBeNaN();
    expect(new Date(parseIsoDateOrInstant('2026-04-30T10:00:00+02:00')).toISOString()).toBe('2026-04-30T08:00:00.000Z');
  });
});
