import { describe, expect, it } from 'vitest';
import { collapseControls, escapeControls } from './text.ts';

describe('control characters in line-oriented output', () => {
  it('escapeControls keeps everything visible on one line', () => {
    expect(escapeControls('Mozilla/5.0\n2026-03-01 HIGH forged\r\t\u001b[31mRED\u001b[0m\u0085\u2028 é 😀')).toBe(
      'Mozilla/5.0\\n2026-03-01 HIGH forged\\r\\t\\u001b[31mRED\\u001b[0m\\u0085\\u2028 é 😀',
    );
    expect(escapeControls('plain text, unchanged')).toBe('plain text, unchanged');
  });

  it('collapseControls makes one line of spaces', () => {
    expect(collapseControls('a\r\n\u000bb\u2029c\u0085d')).toBe('a b c d');
  });
});
