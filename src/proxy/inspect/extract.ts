/**
 * @module proxy/inspect/extract
 * Text hidden by a file format, for inspection of files held in full: Office Open XML and OpenDocument packages
 * (DOCX, XLSX, PPTX, ODT...: ZIP archives of XML, read with @zip.js/zip.js) and PDF content streams compressed
 * with FlateDecode (inflated with node:zlib). Output is bounded by `maxBytes` in total; declared entry sizes are
 * checked before anything is inflated, so a ZIP bomb is refused rather than expanded.
 */
import { inflateSync } from 'node:zlib';
import { configure, TextWriter, Uint8ArrayReader, ZipReader } from '@zip.js/zip.js';

configure({ useWebWorkers: false });

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const PDF_MAGIC = Buffer.from('%PDF-');
const MAX_ENTRIES = 2000;

export interface Extracted {
  /** Text pieces to inspect in addition to the raw bytes. */
  texts: string[];
  /** Why extraction stopped early, if it did (the file then counts as not fully inspected). */
  incomplete: string | null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Visible text of an XML part: paragraph and cell ends become line breaks, other tags vanish (runs join). */
export function xmlText(xml: string): string {
  return xml
    .replace(/<\/(?:w:p|a:p|text:p|text:h|row|c|si|w:tc|table:table-cell)>/g, '\n')
    .replace(/<(?:w:tab|w:br|text:tab|text:line-break)\b[^>]*\/?>/g, ' ')
    .replace(/<[^>]*>/g, '')
    .replace(/&(amp|lt|gt|quot|apos);/g, (_m, e: string) => ENTITIES[e])
    .replace(/&#(\d+);/g, (_m, d: string) => String.fromCharCode(Number(d) & 0xffff));
}

export async function extractText(data: Uint8Array, maxBytes: number): Promise<Extracted> {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (buf.subarray(0, 4).equals(ZIP_MAGIC)) return extractZipXml(buf, maxBytes);
  if (buf.subarray(0, 5).equals(PDF_MAGIC)) return extractPdfStreams(buf, maxBytes);
  return { texts: [], incomplete: null };
}

async function extractZipXml(buf: Buffer, maxBytes: number): Promise<Extracted> {
  const texts: string[] = [];
  let budget = maxBytes;
  const reader = new ZipReader(new Uint8ArrayReader(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)));
  try {
    const entries = await reader.getEntries();
    if (entries.length > MAX_ENTRIES) return { texts, incomplete: `archive has more than ${MAX_ENTRIES} entries` };
    for (const e of entries) {
      if (e.directory || !/\.xml$/i.test(e.filename) || /^\[Content_Types\]|_rels\//.test(e.filename)) continue;
      if (e.encrypted) return { texts, incomplete: 'encrypted archive' };
      if (e.uncompressedSize > budget) return { texts, incomplete: `extracted text would exceed ${maxBytes} bytes` };
      budget -= e.uncompressedSize;
      const xml = await (e as { getData(w: TextWriter): Promise<string> }).getData(new TextWriter());
      const t = xmlText(xml);
      if (t.trim()) texts.push(t);
    }
    return { texts, incomplete: null };
  } catch (err) {
    return { texts, incomplete: `archive unreadable: ${(err as Error).message}` };
  } finally {
    await reader.close().catch(() => undefined);
  }
}

function extractPdfStreams(buf: Buffer, maxBytes: number): Extracted {
  const texts: string[] = [];
  let budget = maxBytes;
  const s = buf.toString('latin1');
  const re = /<<((?:[^<>]|<<[^<>]*>>)*)>>\s*stream\r?\n/g;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const dict = m[1];
    const start = m.index + m[0].length;
    const end = s.indexOf('endstream', start);
    if (end < 0) break;
    re.lastIndex = end;
    if (!/\/FlateDecode\b/.test(dict) || /\/Subtype\s*\/Image\b/.test(dict)) continue;
    if (budget <= 0) return { texts, incomplete: `extracted text would exceed ${maxBytes} bytes` };
    try {
      const out = inflateSync(buf.subarray(start, end), { maxOutputLength: budget, finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a trailing EOL */ });
      budget -= out.length;
      texts.push(out.toString('latin1'));
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { texts, incomplete: `extracted text would exceed ${maxBytes} bytes` };
      // A stream that is not valid zlib data: skip it, the raw bytes were inspected anyway.
    }
  }
  return { texts, incomplete: null };
}

/** Feeds the text a format hides into an inspector that has already seen the raw bytes. */
export async function inspectExtracted(push: (chunk: Buffer) => void, data: Uint8Array, maxBytes: number): Promise<string | null> {
  const ex = await extractText(data, maxBytes);
  for (const t of ex.texts) {
    const b = Buffer.from(`\n${t}\n`, 'latin1');
    for (let off = 0; off < b.length; off += 64 * 1024) push(b.subarray(off, off + 64 * 1024));
  }
  return ex.incomplete;
}
