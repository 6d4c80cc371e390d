// Shared test helpers for alert delivery: alerts, a self-signed certificate, a log capture, a MIME reader.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/core/logger.ts';
import { AlertSchema, type Alert } from '../../src/schema/alert.ts';

let n = 0;
export function makeAlert(over: Partial<Alert> = {}): Alert {
  n++;
  const t = '2026-11-27T08:00:00.000Z';
  return AlertSchema.parse({
    id: `al_test${n}`,
    detection: 'impossible_travel',
    title: 'Impossible travel for alice@example.com',
    description: 'Sign-ins from Paris and Sydney 40 minutes apart.',
    severity: 'high',
    user: 'alice@example.com',
    userId: '100042',
    app: 'workplace',
    tenant: 'acme',
    time: t,
    firstSeen: t,
    lastSeen: t,
    activityIds: ['act_1', 'act_2'],
    evidence: ['Paris, FR (81.2.69.142)', 'Sydney, AU (1.128.0.1)'],
    details: { distanceKm: 16960, hours: 0.66 },
    mitreTactic: 'initial_access',
    ips: ['81.2.69.142', '1.128.0.1'],
    dedupKey: `impossible_travel|alice|${n}`,
    createdAt: t,
    updatedAt: t,
    ...over,
  });
}

export interface LogCapture {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
}
export function captureLogs(): LogCapture {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'debug', destination });
  return {
    logger,
    lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** A self-signed certificate for 127.0.0.1 / localhost, made with openssl in a temp folder. */
export function selfSignedCert(): { key: Buffer; cert: Buffer; certFile: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-deliver-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile, dir };
}

// --- a minimal MIME reader for the messages nodemailer builds (headers, multipart/alternative, QP/base64) ---

export interface ParsedMail {
  headers: Map<string, string>;
  text: string;
  html: string;
}

function splitHead(raw: string): [Map<string, string>, string] {
  const i = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, i).replace(/\r\n[ \t]+/g, ' ');
  const headers = new Map<string, string>();
  for (const line of head.split('\r\n')) {
    const c = line.indexOf(':');
    if (c > 0) headers.set(line.slice(0, c).toLowerCase(), line.slice(c + 1).trim());
  }
  return [headers, raw.slice(i + 4)];
}

const decodeQp = (s: string): string =>
  Buffer.from(
    s.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');

function decodePart(headers: Map<string, string>, body: string): string {
  const cte = (headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (cte === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (cte === 'quoted-printable') return decodeQp(body);
  return body;
}

export function parseMail(raw: string): ParsedMail {
  const [headers, body] = splitHead(raw);
  const out: ParsedMail = { headers, text: '', html: '' };
  const visit = (h: Map<string, string>, b: string) => {
    const ct = h.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
    if (ct.startsWith('multipart/') && boundary) {
      for (const part of b.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        const [ph, pb] = splitHead(part.replace(/^\r\n/, ''));
        visit(ph, pb.replace(/\r\n$/, ''));
      }
    } else if (ct.startsWith('text/html')) out.html = decodePart(h, b);
    else if (ct.startsWith('text/plain')) out.text = decodePart(h, b);
  };
  visit(headers, body);
  return out;
}

/** Decodes RFC 2047 encoded words in a header (nodemailer encodes non-ASCII subjects). */
export function decodeHeader(v: string): string {
  return v.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, enc: string, text: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(text, 'base64').toString('utf8') : decodeQp(text.replace(/_/g, ' ')),
  );
}

// --- the real store ---
import { SqliteStore } from '../../src/store/sqlite/index.ts';

/** A migrated SQLite store; a file path survives close() and reopening (a restart), ':memory:' does not. */
export async function sqliteStore(path = ':memory:'): Promise<SqliteStore> {
  const s = new SqliteStore({ path });
  await s.migrate();
  return s;
}

export const tempDbPath = (): string => join(mkdtempSync(join(tmpdir(), 'rampart-deliver-db-')), 'rampart.db');
