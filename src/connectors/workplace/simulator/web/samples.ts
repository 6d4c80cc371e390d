/**
 * @module connectors/workplace/simulator/web/samples
 * Small, valid sample files for the web front's groups, generated in code: plain text, CSV, PDF (one page,
 * uncompressed text so content inspection can read it) and DOCX (an Office Open XML package). Two CSVs carry
 * card numbers: 12 valid ones (Luhn-valid, every major brand, space/dot/dash separators) and 12 look-alikes
 * that differ in the check digit only.
 */
import { configure, TextReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';

configure({ useWebWorkers: false });

/** Well-known test numbers of the card networks (never issued to a person), written as people write them. */
export const VALID_CARD_NUMBERS: readonly string[] = [
  '4111 1111 1111 1111', // Visa
  '4012-8888-8888-1881', // Visa
  '4222222222222', // Visa, 13 digits
  '5555 5555 5555 4444', // Mastercard
  '5105.1051.0510.5100', // Mastercard
  '2223-0031-2200-3222', // Mastercard 2-series
  '3782 822463 10005', // Amex
  '3714-496353-98431', // Amex
  '6011 1111 1111 1117', // Discover
  '6011.0009.9013.9424', // Discover
  '3530 1113 3330 0000', // JCB
  '3056 9309 0259 04', // Diners Club
];

/** The same numbers with the last digit moved by one: same brand prefixes and lengths, Luhn-invalid. */
export const LOOKALIKE_CARD_NUMBERS: readonly string[] = VALID_CARD_NUMBERS.map((n) => n.slice(0, -1) + String((Number(n.slice(-1)) + 1) % 10));

export interface SampleFile {
  id: string;
  groupId: string;
  name: string;
  mimeType: string;
  data: Buffer;
  ownerEmail: string | null;
}

const csvOf = (numbers: readonly string[]): string =>
  ['customer,card,amount', ...numbers.map((n, i) => `Customer ${i + 1},${n},${(i + 1) * 17}.00`)].join('\r\n') + '\r\n';

/** A one-page PDF with the given lines as text (uncompressed content stream, exact xref offsets). */
export function makePdf(lines: readonly string[]): Buffer {
  const esc = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const content = ['BT', '/F1 12 Tf', '72 760 Td', '14 TL', ...lines.map((l) => `(${esc(l)}) '`), 'ET'].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((n) => `${String(n).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** A minimal valid DOCX (WordprocessingML) with one paragraph per line. */
export async function makeDocx(lines: readonly string[]): Promise<Buffer> {
  const x = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
  const w = new ZipWriter(new Uint8ArrayWriter());
  await w.add(
    '[Content_Types].xml',
    new TextReader(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    ),
  );
  await w.add(
    '_rels/.rels',
    new TextReader(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    ),
  );
  await w.add(
    'word/document.xml',
    new TextReader(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${lines.map((l) => `<w:p><w:r><w:t xml:space="preserve">${x(l)}</w:t></w:r></w:p>`).join('')}</w:body></w:document>`,
    ),
  );
  return Buffer.from(await w.close());
}

export async function sampleFiles(): Promise<SampleFile[]> {
  const f = (id: string, groupId: string, name: string, mimeType: string, data: Buffer | string): SampleFile => ({
    id,
    groupId,
    name,
    mimeType,
    data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
    ownerEmail: null,
  });
  return [
    f('f-notes', 'g-eng', 'release-notes.txt', 'text/plain; charset=utf-8', 'Release 4.2\r\n- faster search\r\n- fewer bugs\r\n'),
    f('f-roadmap', 'g-eng', 'roadmap.pdf', 'application/pdf', makePdf(['Roadmap 2027', 'Q1: search', 'Q2: mobile'])),
    f('f-spec', 'g-eng', 'design-spec.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', await makeDocx(['Design specification', 'Owner: platform team'])),
    f('f-cards', 'g-finance', 'customer-cards.csv', 'text/csv; charset=utf-8', csvOf(VALID_CARD_NUMBERS)),
    f('f-lookalikes', 'g-finance', 'order-references.csv', 'text/csv; charset=utf-8', csvOf(LOOKALIKE_CARD_NUMBERS)),
    f('f-budget', 'g-finance', 'budget.pdf', 'application/pdf', makePdf(['Budget 2027', 'Travel: 120,000', 'Tools: 80,000'])),
  ];
}
