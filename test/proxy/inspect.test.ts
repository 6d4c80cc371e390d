/** Content inspection: detectors (checksums, ranges, separators), masking, and streaming across chunk boundaries. */
import { describe, expect, it } from 'vitest';
import { LOOKALIKE_CARD_NUMBERS, VALID_CARD_NUMBERS } from '../../src/connectors/workplace/simulator/web/samples.ts';
import { BUILTIN_DETECTORS, MAX_TOKEN_CHARS, cardBrand, customRegexDetector, ibanValid, luhnValid, ssnValid } from '../../src/proxy/inspect/detectors.ts';
import { inspectBuffer, StreamInspector } from '../../src/proxy/inspect/inspector.ts';

const all = Object.values(BUILTIN_DETECTORS);
const count = (text: string, id: keyof typeof BUILTIN_DETECTORS) => inspectBuffer([BUILTIN_DETECTORS[id]], Buffer.from(text)).counts[id];

describe('credit card detector', () => {
  it('finds every brand in the sample set and no look-alike', () => {
    const brands = new Set(VALID_CARD_NUMBERS.map((n) => cardBrand(n.replace(/\D/g, ''))));
    expect([...brands].sort()).toEqual(['amex', 'diners', 'discover', 'jcb', 'mastercard', 'visa']);
    for (const n of VALID_CARD_NUMBERS) expect(count(`card: ${n}.`, 'credit_card')).toBe(1);
    for (const n of LOOKALIKE_CARD_NUMBERS) {
      expect(luhnValid(n.replace(/\D/g, ''))).toBe(false);
      expect(count(`card: ${n}.`, 'credit_card')).toBe(0);
    }
  });

  it('accepts space, dot and dash separators but not mixed ones, and rejects unknown prefixes', () => {
    expect(count('4111 1111 1111 1111', 'credit_card')).toBe(1);
    expect(count('4111.1111.1111.1111', 'credit_card')).toBe(1);
    expect(count('4111-1111-1111-1111', 'credit_card')).toBe(1);
    expect(count('4111111111111111', 'credit_card')).toBe(1);
    expect(count('4111 1111-1111.1111', 'credit_card')).toBe(0);
    expect(cardBrand('9111111111111111')).toBeNull();
    expect(count('order 12345678901234567890123 shipped', 'credit_card')).toBe(0);
  });
});

describe('IBAN, SSN and email detectors', () => {
  it('validates IBAN checksums and country lengths', () => {
    expect(ibanValid('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('GB82 WEST 1234 5698 7654 33')).toBe(false); // checksum
    expect(ibanValid('DE8937040044053201300')).toBe(false); // length for DE
    expect(count('pay to GB82 WEST 1234 5698 7654 32 today', 'iban')).toBe(1);
    expect(count('pay to GB82 WEST 1234 5698 7654 31 today', 'iban')).toBe(0);
  });

  it('applies the SSA invalid ranges', () => {
    expect(ssnValid('536-22-1234')).toBe(true);
    for (const bad of ['000-12-3456', '666-12-3456', '912-12-3456', '536-00-1234', '536-22-0000', '078-05-1120']) expect(ssnValid(bad)).toBe(false);
    expect(count('SSN 536-22-1234 and 536 22 1235; phone 536-22-12345', 'us_ssn')).toBe(2);
  });

  it('finds email addresses', () => {
    expect(count('write to a.b+c@mail.example.co.uk or x@y', 'email')).toBe(1);
  });

  it('supports custom regexes and refuses ones that match nothing-at-all', () => {
    const d = customRegexDetector('regex:project', 'PROJECT-[0-9]{4}');
    expect(inspectBuffer([d], Buffer.from('PROJECT-1234 and PROJECT-99 and PROJECT-0001')).counts['regex:project']).toBe(2);
    expect(() => customRegexDetector('regex:x', 'a*')).toThrow(/empty/);
    // Flags, and zero-length matches stepped over rather than looping.
    expect(inspectBuffer([customRegexDetector('regex:p', 'project-[0-9]{4}', 'i')], Buffer.from('PROJECT-1234 project-5678')).counts['regex:p']).toBe(2);
    expect(inspectBuffer([customRegexDetector('regex:b', '\\bsecret\\b|\\b')], Buffer.from('a secret b secretive')).counts['regex:b']).toBe(1);
  });

  it('matches custom regexes in linear time: an ambiguous pattern on a crafted file cannot stall the proxy', () => {
    // On V8's backtracking engine this pattern takes exponential time on a long run of digits without an x.
    const d = customRegexDetector('regex:ids', '(\\d+\\s?)+x');
    const crafted = Buffer.from('1'.repeat(50_000) + '-; 12 34 x');
    expect(inspectBuffer([d], crafted).counts['regex:ids']).toBe(1);
  });
});

describe('streaming inspector', () => {
  const body = Buffer.from(
    Array.from({ length: 300 }, (_, i) => `row ${i}: ${VALID_CARD_NUMBERS[i % 12]} / ${LOOKALIKE_CARD_NUMBERS[i % 12]} / GB82 WEST 1234 5698 7654 32 / me${i}@corp.example\n`).join(''),
  );

  it('gives the same result whatever the chunk size (numbers split across chunks are found once)', () => {
    const whole = inspectBuffer(all, body, body.length);
    expect(whole.counts).toEqual({ credit_card: 300, iban: 300, us_ssn: 0, email: 300 });
    for (const size of [1, 7, 64, 1000, 4096]) {
      const ins = new StreamInspector(all);
      for (let off = 0; off < body.length; off += size) ins.push(body.subarray(off, off + size));
      expect(ins.finish().counts).toEqual(whole.counts);
    }
  });

  it('masks matches and their context in evidence', () => {
    const r = inspectBuffer([BUILTIN_DETECTORS.credit_card], Buffer.from('Customer Jane, card 4111 1111 1111 1111, exp 12/29'));
    expect(r.evidence[0].match).toBe('**** **** **** 1111');
    expect(r.evidence[0].context).toBe('Customer Jane, card [**** **** **** 1111], exp ##/##');
  });

  it('keeps memory bounded: the carried window does not grow with the body', () => {
    const ins = new StreamInspector(all);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    for (let i = 0; i < 200; i++) {
      ins.push(chunk); // 12.5 MB in all
      expect(ins.carriedChars).toBeLessThanOrEqual(MAX_TOKEN_CHARS + 64);
    }
    const r = ins.finish();
    expect(r.bytes).toBe(200 * chunk.length);
    expect(r.total).toBe(0);
  });
});

describe('text hidden by file formats', () => {
  it('reads DOCX runs and FlateDecode PDF streams; card numbers split across runs are found', async () => {
    const { makeDocx } = await import('../../src/connectors/workplace/simulator/web/samples.ts');
    const { extractText, xmlText } = await import('../../src/proxy/inspect/extract.ts');
    expect(xmlText('<w:p><w:r><w:t>4111 1111</w:t></w:r><w:r><w:t xml:space="preserve"> 1111 1111</w:t></w:r></w:p><w:p><w:r><w:t>a &amp; b</w:t></w:r></w:p>')).toBe('4111 1111 1111 1111\na & b\n');
    const docx = await makeDocx(VALID_CARD_NUMBERS.map((n) => `Card ${n}`));
    expect(inspectBuffer([BUILTIN_DETECTORS.credit_card], docx).counts.credit_card).toBe(0); // compressed: invisible to the raw scan
    const ex = await extractText(docx, 1 << 20);
    expect(ex.incomplete).toBeNull();
    expect(inspectBuffer([BUILTIN_DETECTORS.credit_card], Buffer.from(ex.texts.join('\n'))).counts.credit_card).toBe(12);
    const { deflateSync } = await import('node:zlib');
    const content = deflateSync(Buffer.from(`BT /F1 12 Tf 72 700 Td ${LOOKALIKE_CARD_NUMBERS.map((n) => `(${n}) '`).join(' ')} (${VALID_CARD_NUMBERS[0]}) ' ET`, 'latin1'));
    const pdf = Buffer.concat([Buffer.from(`%PDF-1.4\n1 0 obj\n<< /Length ${content.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'), content, Buffer.from('\nendstream\nendobj\n%%EOF\n')]);
    const pex = await extractText(pdf, 1 << 20);
    expect(inspectBuffer([BUILTIN_DETECTORS.credit_card], Buffer.from(pex.texts.join('\n'), 'latin1')).counts.credit_card).toBe(1);
  });

  it('refuses to expand beyond the limit', async () => {
    const { makeDocx } = await import('../../src/connectors/workplace/simulator/web/samples.ts');
    const { extractText } = await import('../../src/proxy/inspect/extract.ts');
    const big = await makeDocx(Array.from({ length: 2000 }, () => 'x'.repeat(100)));
    const ex = await extractText(big, 10_000);
    expect(ex.incomplete).toMatch(/exceed/);
  });
});
