import { describe, expect, it } from 'vitest';
import { MAX_REGEX_LENGTH, OPERATORS, parseRange, unsafeRegexReason, type FieldKind } from '../../src/detect/policy/operators.ts';

const t = (op: keyof typeof OPERATORS, values: string[], v: string | string[], kind: FieldKind = 'string') => OPERATORS[op].compile(values, kind)(v);

describe('operators', () => {
  it('eq is the complete string, case-insensitive, any of several values', () => {
    expect(t('eq', ['FILE_DOWNLOAD'], 'file_download')).toBe(true);
    expect(t('eq', ['FILE_DOWNLOAD'], 'FILE_DOWNLOAD_ALL')).toBe(false);
    expect(t('eq', ['a', 'b'], 'B')).toBe(true);
    expect(t('eq', ['a', 'b'], 'c')).toBe(false);
    expect(t('eq', ['x'], ['y', 'X'])).toBe(true); // multi-valued attribute: any element
  });

  it('in behaves as eq over a list', () => {
    expect(t('in', ['US', 'CA'], 'ca')).toBe(true);
    expect(t('in', ['US', 'CA'], 'MX')).toBe(false);
  });

  it('neq is the negation of eq on a present value (none of the values)', () => {
    expect(t('neq', ['US'], 'FR')).toBe(true);
    expect(t('neq', ['US'], 'us')).toBe(false);
    expect(t('neq', ['US', 'FR'], 'FR')).toBe(false);
    expect(OPERATORS.neq.matchesMissing).toBe(true);
    expect(OPERATORS.eq.matchesMissing).toBe(false);
  });

  it('eq on booleans and numbers checks the values', () => {
    expect(t('eq', ['true'], 'true', 'boolean')).toBe(true);
    expect(t('eq', ['false'], 'true', 'boolean')).toBe(false);
    expect(() => OPERATORS.eq.compile(['yes'], 'boolean')).toThrow(/true or false/);
    expect(t('eq', ['15169'], '15169', 'number')).toBe(true);
    expect(t('eq', ['015169'], '15169', 'number')).toBe(true);
    expect(() => OPERATORS.eq.compile(['AS15169'], 'number')).toThrow(/number/);
  });

  it('eq on IP addresses compares canonical forms', () => {
    expect(t('eq', ['2001:db8::1'], '2001:0db8:0:0:0:0:0:1', 'ip')).toBe(true);
    expect(t('eq', ['10.0.0.1'], '::ffff:10.0.0.1', 'ip')).toBe(true);
    expect(t('eq', ['10.0.0.1'], '10.0.0.2', 'ip')).toBe(false);
  });

  describe('contains: whole words separated by commas, dots, spaces or underscores', () => {
    it('matches whole words only', () => {
      expect(t('contains', ['download'], 'FILE_DOWNLOAD')).toBe(true);
      expect(t('contains', ['download'], 'file.download')).toBe(true);
      expect(t('contains', ['download'], 'Download file, now')).toBe(true);
      expect(t('contains', ['down'], 'FILE_DOWNLOAD')).toBe(false);
      expect(t('contains', ['load'], 'download')).toBe(false);
    });
    it('a multi-word value matches the same consecutive words', () => {
      expect(t('contains', ['file download'], 'user_file_download_done')).toBe(true);
      expect(t('contains', ['file.download'], 'user file download')).toBe(true);
      expect(t('contains', ['download file'], 'user_file_download')).toBe(false);
    });
    it('does not split at other characters (slash, dash)', () => {
      const ua = 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0.0.0 Safari/537.36';
      expect(t('contains', ['Chrome'], ua)).toBe(false);
      expect(t('contains', ['Chrome/120'], ua)).toBe(true);
      expect(t('contains', ['windows'], ua)).toBe(false); // "(Windows" is the word
      expect(t('contains', ['NT'], ua)).toBe(true);
    });
    it('a quoted value is an exact, case-sensitive phrase at word boundaries', () => {
      expect(t('contains', ['"file.download"'], 'user file.download ok')).toBe(true);
      expect(t('contains', ['"file.download"'], 'user file download ok')).toBe(false);
      expect(t('contains', ['"file.download"'], 'user File.download ok')).toBe(false);
      expect(t('contains', ['"file.down"'], 'user file.download ok')).toBe(false);
      expect(t('contains', ['"Chrome/120"'], 'x Chrome/120 y')).toBe(true);
    });
    it('any of several values', () => {
      expect(t('contains', ['upload', 'download'], 'FILE_UPLOAD')).toBe(true);
      expect(t('contains', ['upload', 'download'], 'FILE_DELETE')).toBe(false);
    });
    it('refuses values without words', () => {
      expect(() => OPERATORS.contains.compile([' ._, '], 'string')).toThrow(/no words/);
    });
  });

  it('starts_with and ends_with (case-insensitive)', () => {
    expect(t('starts_with', ['10.1.'], '10.1.2.3', 'ip')).toBe(true);
    expect(t('starts_with', ['10.1.'], '10.10.2.3', 'ip')).toBe(false);
    expect(t('ends_with', ['@Example.com'], 'bob@example.COM')).toBe(true);
    expect(t('ends_with', ['@example.com'], 'bob@example.com.evil')).toBe(false);
  });

  it('is_set / is_not_set on present values', () => {
    expect(t('is_set', [], 'x')).toBe(true);
    expect(t('is_not_set', [], 'x')).toBe(false);
    expect(OPERATORS.is_not_set.matchesMissing).toBe(true);
  });

  it('cidr matches IPv4 and IPv6 ranges, including IPv4-mapped addresses', () => {
    expect(t('cidr', ['10.0.0.0/8'], '10.200.3.4', 'ip')).toBe(true);
    expect(t('cidr', ['10.0.0.0/8'], '11.0.0.1', 'ip')).toBe(false);
    expect(t('cidr', ['10.0.0.0/8'], '::ffff:10.1.1.1', 'ip')).toBe(true);
    expect(t('cidr', ['2001:db8::/32'], '2001:db8:1::5', 'ip')).toBe(true);
    expect(t('cidr', ['2001:db8::/32'], '2001:db9::5', 'ip')).toBe(false);
    expect(t('cidr', ['2001:db8::/32'], '10.0.0.1', 'ip')).toBe(false);
    expect(t('cidr', ['192.0.2.7'], '192.0.2.7', 'ip')).toBe(true); // bare address = /32
    expect(t('cidr', ['10.0.0.0/8'], 'not-an-ip', 'ip')).toBe(false);
    expect(parseRange('::ffff:10.0.0.0/104')[1]).toBe(8);
    expect(() => OPERATORS.cidr.compile(['10.0.0.0/33'], 'ip')).toThrow(/CIDR/);
  });

  it('regex is compiled once, case-insensitive, refuses long patterns and what linear-time matching cannot do', () => {
    expect(t('regex', ['^curl/\\d+'], 'curl/8.1')).toBe(true);
    expect(t('regex', ['^curl/\\d+'], 'CURL/8.1')).toBe(true); // quantified: the RE2 path
    expect(t('regex', ['^curl/\\d+'], 'x curl/8.1')).toBe(false);
    expect(t('regex', ['^(curl|wget)/'], 'Wget/1.21')).toBe(true); // no quantifier: the V8 path
    expect(t('regex', ['^(curl|wget)/'], 'xwget/1.21')).toBe(false);
    expect(t('regex', ['^\\pL$'], 'é')).toBe(true); // RE2's letter class on both paths, not V8's "pL"
    expect(() => OPERATORS.regex.compile(['(a)\\1'], 'string')).toThrow(/back-references/);
    expect(() => OPERATORS.regex.compile(['(?<=a)b'], 'string')).toThrow(/lookaround/);
    expect(() => OPERATORS.regex.compile(['a(?!b)'], 'string')).toThrow(/lookaround/);
    expect(() => OPERATORS.regex.compile(['a'.repeat(MAX_REGEX_LENGTH + 1)], 'string')).toThrow(/limit/);
    expect(() => OPERATORS.regex.compile(['(unclosed'], 'string')).toThrow(/invalid regex/);
    expect(unsafeRegexReason('^(foo|bar)-\\d+$')).toBeNull();
    expect(unsafeRegexReason('\\(?=x')).toBeNull(); // an escaped parenthesis is not a lookahead
  });

  it('regex matching cannot stall: ambiguous patterns answer at once on long hostile values', () => {
    // On V8's backtracking engine the first takes ~60 s on a 125-character user agent, the others longer
    // still: here each answers within the test's timeout, so a return to backtracking fails the test.
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0'.repeat(30);
    expect(t('regex', ['.*.*.*.*.*!'], ua)).toBe(false);
    expect(t('regex', ['.*.*.*.*.*!'], ua + '!')).toBe(true);
    expect(t('regex', ['(a+)+$'], 'a'.repeat(4000) + '!')).toBe(false);
    expect(t('regex', ['(a|aa){2,}$'], 'a'.repeat(4000) + '!')).toBe(false);
    expect(t('regex', ['(\\w*)*x'], 'w'.repeat(4000))).toBe(false);
    expect(t('regex', ['(\\w*)*x'], 'w'.repeat(4000) + 'X')).toBe(true);
  });

  it('date before / after / between (from inclusive, to exclusive)', () => {
    const ts = '2026-03-02T10:00:00.000Z';
    expect(t('before', ['2026-03-03'], ts, 'time')).toBe(true);
    expect(t('before', ['2026-03-02T10:00:00Z'], ts, 'time')).toBe(false);
    expect(t('after', ['2026-03-02T10:00:00Z'], ts, 'time')).toBe(true);
    expect(t('after', ['2026-03-02T10:00:01Z'], ts, 'time')).toBe(false);
    expect(t('between', ['2026-03-02', '2026-03-03'], ts, 'time')).toBe(true);
    expect(t('between', ['2026-03-01', '2026-03-02T10:00:00Z'], ts, 'time')).toBe(false);
    expect(() => OPERATORS.between.compile(['2026-03-03', '2026-03-02'], 'time')).toThrow(/before its end/);
    expect(() => OPERATORS.after.compile(['yesterday'], 'time')).toThrow(/ISO-8601/);
  });
});
