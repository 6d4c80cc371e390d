import { describe, expect, it } from 'vitest';
import { rampartFormat } from './rampart-format.ts';

const ctx = { receivedAt: '2026-03-01T10:00:00.000Z', source: 'test' };
const rec = (time: string) => ({ time, app: 'workplace', action: 'USER_LOGIN', actor: { email: 'a@x.example' } });
const parse = (time: string) => rampartFormat.parse(rec(time), ctx)[0].time;

describe('rampart format event times', () => {
  it('are read strictly and kept plausible: an offset is required, and nothing before 2000', () => {
    expect(parse('2026-03-01T10:00:00+01:00')).toBe('2026-03-01T09:00:00.000Z');
    expect(parse('2000-01-01T00:00:00Z')).toBe('2000-01-01T00:00:00.000Z');
    for (const bad of ['1970-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '2026-03-01T10:00:00', '2026-02-30T00:00:00Z', '1']) {
      expect(() => parse(bad), bad).toThrow(/RAMPART_ERR_INPUT_INVALID_RECORD|record/);
    }
  });
});
