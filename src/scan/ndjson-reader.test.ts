import { gzipSync } from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../core/json-depth.ts';
import { openInput, readNdjson, type LineResult } from './ndjson-reader.ts';

async function collect(chunks: Buffer[], max = 1024): Promise<LineResult[]> {
  const out: LineResult[] = [];
  for await (const r of readNdjson(Readable.from(chunks), max)) out.push(r);
  return out;
}

describe('readNdjson', () => {
  it('parses objects and numbers lines across chunk boundaries, skipping blank lines', async () => {
    const res = await collect([Buffer.from('{"a":1}\n\n{"b"'), Buffer.from(':2}\r\n{"c":3}')]);
    expect(res.map((r) => [r.line, r.ok])).toEqual([
      [1, true],
      [3, true],
      [4, true],
    ]);
    expect(res[1].ok && res[1].record).toEqual({ b: 2 });
  });

  it('reports truncated JSON, arrays, scalars and null with their line numbers', async () => {
    const res = await collect([Buffer.from('{"a":\n[1,2]\n"str"\n42\nnull\n{"ok":true}\n')]);
    expect(res.map((r) => (r.ok ? 'ok' : r.code))).toEqual([
      'RAMPART_ERR_INPUT_MALFORMED_JSON',
      'RAMPART_ERR_INPUT_NOT_OBJECT',
      'RAMPART_ERR_INPUT_NOT_OBJECT',
      'RAMPART_ERR_INPUT_NOT_OBJECT',
      'RAMPART_ERR_INPUT_NOT_OBJECT',
      'ok',
    ]);
    expect(res.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6]);
    const arr = res[1];
    expect(!arr.ok && arr.reason).toContain('array');
  });

  it('rejects invalid UTF-8 instead of replacing it', async () => {
    const bad = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
    const res = await collect([bad, Buffer.from('{"é":"ü"}\n')]);
    expect(res[0].ok).toBe(false);
    expect(!res[0].ok && res[0].code).toBe('RAMPART_ERR_INPUT_INVALID_UTF8');
    expect(!res[0].ok && res[0].sample.startsWith('base64:')).toBe(true);
    expect(res[1].ok && res[1].record).toEqual({ é: 'ü' });
  });

  it('skips an oversized line without buffering it and goes on', async () => {
    const junk = Buffer.alloc(200 * 1024, 0x61);
    const res = await collect([Buffer.from('{"a":1}\n'), junk.subarray(0, 70_000), junk.subarray(70_000), Buffer.from('\n{"b":2}\n')], 1024);
    expect(res.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'RAMPART_ERR_INPUT_LINE_TOO_LONG', 'ok']);
    const big = res[1];
    expect(!big.ok && big.reason).toContain(`${200 * 1024} bytes`);
    expect(!big.ok && big.sample.length).toBeLessThanOrEqual(512);
    expect(res[2].line).toBe(3);
  });

  it('reports an oversized last line without a newline', async () => {
    const res = await collect([Buffer.from('{"a":1}\n'), Buffer.alloc(5000, 0x62)], 1024);
    expect(res.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'RAMPART_ERR_INPUT_LINE_TOO_LONG']);
  });

  it('reads gzip files detected by magic bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rampart-ndjson-'));
    const p = join(dir, 'events.log'); // no .gz extension on purpose
    writeFileSync(p, gzipSync('{"x":1}\n{"x":2}\n'));
    const out: LineResult[] = [];
    for await (const r of readNdjson(openInput(p), 1024)) out.push(r);
    expect(out.map((r) => r.ok && r.record.x)).toEqual([1, 2]);
  });

  it('refuses a line nested deeper than MAX_JSON_DEPTH with its own code, and goes on with the next line', async () => {
    const nested = (levels: number) => `{"x":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;
    const res = await collect([Buffer.from(`{"a":1}\n${nested(100_000)}\n${nested(MAX_JSON_DEPTH)}\n${nested(MAX_JSON_DEPTH + 1)}\n{"a":2}\n`)], 1 << 20);
    expect(res.map((r) => (r.ok ? (r.record.a ?? 'ok') : [r.line, r.code]))).toEqual([
      1,
      [2, 'RAMPART_ERR_INPUT_TOO_DEEP'],
      'ok',
      [4, 'RAMPART_ERR_INPUT_TOO_DEEP'],
      2,
    ]);
    const deep = res[1];
    expect(!deep.ok && deep.reason).toBe(`line nests JSON deeper than ${MAX_JSON_DEPTH} levels`);
  });

  it('skips only lines of JSON whitespace (space, tab, CR), however long; every other line is processed or a reject', async () => {
    const input = Buffer.concat([
      Buffer.from(' '.repeat(70) + '\n'), // blank, however long
      Buffer.from(' \t \r\n'), // blank
      Buffer.from('\v\f\n'), // not JSON whitespace
      Buffer.from([0xa0, 0xa0, 0x0a]), // not UTF-8
      Buffer.from('\u00a0\n'), // a no-break space: not JSON whitespace
      Buffer.from(' {"a":1} \n'),
    ]);
    const res = await collect([input]);
    expect(res.map((r) => (r.ok ? [r.line, r.record.a] : [r.line, r.code]))).toEqual([
      [3, 'RAMPART_ERR_INPUT_MALFORMED_JSON'],
      [4, 'RAMPART_ERR_INPUT_INVALID_UTF8'],
      [5, 'RAMPART_ERR_INPUT_MALFORMED_JSON'],
      [6, 1],
    ]);
  });

  it('skips a UTF-8 byte order mark at the start of the file, and only there', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const res = await collect([Buffer.concat([bom, Buffer.from('{"a":1}\n'), bom, Buffer.from('{"a":2}\n')])], 1024);
    expect(res.map((r) => (r.ok ? r.record.a : r.code))).toEqual([1, 'RAMPART_ERR_INPUT_MALFORMED_JSON']);
  });
});

describe('openInput on standard input (-)', () => {
  const text = '{"a":1}\n{"a":2}\nnot json\n{"a":3}\n';
  const read = async (stdin: AsyncIterable<Buffer>) => {
    const out: (number | string)[] = [];
    for await (const r of readNdjson(openInput('-', stdin), 1024)) out.push(r.ok ? (r.record.a as number) : r.code);
    return out;
  };
  const expected = [1, 2, 'RAMPART_ERR_INPUT_MALFORMED_JSON', 3];
  // Chunks of one byte: the gzip magic number arrives split over two chunks.
  const bytewise = (b: Buffer) => Readable.from([...b].map((x) => Buffer.from([x])));

  it('reads plain and gzip input, recognised by the magic bytes even when they arrive one byte at a time', async () => {
    expect(await read(Readable.from([Buffer.from(text)]))).toEqual(expected);
    expect(await read(bytewise(Buffer.from(text)))).toEqual(expected);
    expect(await read(Readable.from([gzipSync(text)]))).toEqual(expected);
    expect(await read(bytewise(gzipSync(text)))).toEqual(expected);
    expect(await read(Readable.from([Buffer.from('{"a":9}')]))).toEqual([9]); // no newline at the end
    expect(await read(Readable.from([Buffer.from('\x1f')]))).toEqual(['RAMPART_ERR_INPUT_MALFORMED_JSON']); // one byte
    expect(await read(Readable.from([]))).toEqual([]);
  });

  it('reports a gzip stream cut short as one unreadable line, after the lines before the cut', async () => {
    const gz = gzipSync(Array.from({ length: 2000 }, (_, i) => `{"a":${i}}`).join('\n') + '\n');
    const out: LineResult[] = [];
    for await (const r of readNdjson(openInput('-', Readable.from([gz.subarray(0, gz.length >> 1)])), 1024, '<stdin>')) out.push(r);
    const last = out.pop()!;
    expect(out.length).toBeGreaterThan(0);
    expect(out.map((r) => r.ok && r.record.a)).toEqual(out.map((_, i) => i));
    expect(last).toMatchObject({ ok: false, line: out.length + 1, code: 'RAMPART_ERR_INPUT_UNREADABLE' });
    expect(!last.ok && last.reason).toMatch(/^cannot read input <stdin>: .*unexpected end of file/);
  });
});

describe('openInput on gzip files', () => {
  const lines = Array.from({ length: 3000 }, (_, i) => `{"a":${i},"pad":"${'x'.repeat(i % 97)}"}`);
  const text = lines.join('\n') + '\n';
  const readFile = async (bytes: Buffer) => {
    const p = join(mkdtempSync(join(tmpdir(), 'rampart-gz-')), 'events.gz');
    writeFileSync(p, bytes);
    const out: LineResult[] = [];
    for await (const r of readNdjson(openInput(p), 1024, p)) out.push(r);
    return out;
  };
  const values = (out: LineResult[]) => out.map((r) => (r.ok ? r.record.a : r.code));

  it('processes every complete line before bytes that follow the gzip data, then reports those bytes once', async () => {
    const out = await readFile(Buffer.concat([gzipSync(text), Buffer.from('garbage\n')]));
    expect(values(out.slice(0, -1))).toEqual(lines.map((_, i) => i));
    expect(out.at(-1)).toMatchObject({ ok: false, line: 3001, code: 'RAMPART_ERR_INPUT_UNREADABLE' });
    expect(!out.at(-1)!.ok && (out.at(-1) as { reason: string }).reason).toContain('after the end of the gzip data');
  });

  it('reads concatenated gzip members and ignores zero padding after the last one, as gzip -d does', async () => {
    const half = text.length >> 1;
    const cut = text.lastIndexOf('\n', half) + 1;
    expect(values(await readFile(Buffer.concat([gzipSync(text.slice(0, cut)), gzipSync(text.slice(cut)), Buffer.alloc(1000)])))).toEqual(lines.map((_, i) => i));
  });

  it('reports corrupt gzip data (a changed byte fails the CRC or the inflate) after the lines read', async () => {
    const gz = gzipSync(text);
    const crc = Buffer.from(gz);
    crc[crc.length - 8] ^= 0xff; // the CRC-32 in the trailer
    const out = await readFile(crc);
    expect(values(out.slice(0, -1))).toEqual(lines.map((_, i) => i));
    expect(out.at(-1)).toMatchObject({ ok: false, line: 3001, code: 'RAMPART_ERR_INPUT_UNREADABLE' });
  });

  it('reads a named pipe, which cannot be read at a position (the gzip sniff reads the stream)', async () => {
    const p = join(mkdtempSync(join(tmpdir(), 'rampart-fifo-')), 'events.fifo');
    execFileSync('mkfifo', [p]);
    for (const payload of [Buffer.from(text), gzipSync(text)]) {
      // Another process writes: a pipe's two ends open together, whatever the reader does before its first read.
      const source = join(dirname(p), 'payload');
      writeFileSync(source, payload);
      const written = once(spawn('sh', ['-c', 'cat "$0" > "$1"', source, p], { stdio: 'ignore' }), 'close');
      const out: LineResult[] = [];
      for await (const r of readNdjson(openInput(p), 1024, p)) out.push(r);
      expect(values(out)).toEqual(lines.map((_, i) => i));
      await written;
    }
  });
});
