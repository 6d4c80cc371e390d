/**
 * @module actions/test-helpers
 * Test support for the governance tests: a real SMTP server (smtp-server) that captures messages, a
 * small MIME reader for what nodemailer sends, a real SQLite document store with compare-and-set
 * (the same contract Store.putDocIf has), a recording sleep and alert builders. Not used at run time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import type { Alert } from '../schema/alert.ts';
import { DirectoryUserSchema, type DirectoryUser } from '../schema/directory.ts';
import type { Doc } from '../store/store.ts';
import type { GovernanceStore } from './log.ts';
import { SqliteStore } from '../store/sqlite/index.ts';

// ---------- SMTP ----------

export interface CapturedMail {
  from: string;
  rcptTo: string[];
  headers: Record<string, string>;
  text: string;
  html: string;
  raw: string;
}

export interface SmtpCapture {
  host: string;
  port: number;
  messages: CapturedMail[];
  /** Reject the next `n` messages with this SMTP reply code (4xx transient, 5xx permanent). */
  failNext(n: number, code: number): void;
  close(): Promise<void>;
}

export async function startSmtpCapture(): Promise<SmtpCapture> {
  const messages: CapturedMail[] = [];
  let failures = { n: 0, code: 451 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failures.n > 0) {
          failures.n--;
          const err = Object.assign(new Error(failures.code >= 500 ? 'mailbox unavailable' : 'try again later'), { responseCode: failures.code });
          return callback(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          ...parseMime(raw),
          raw,
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    host: '127.0.0.1',
    port,
    messages,
    failNext: (n, code) => {
      failures = { n, code };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Enough MIME for nodemailer's output: headers (unfolded), text and html parts, QP or base64. */
export function parseMime(raw: string): { headers: Record<string, string>; text: string; html: string } {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const headers = parseHeaders(head ?? '');
  const body = rest.join('\r\n\r\n');
  const out = { headers, text: '', html: '' };
  const walk = (hdrs: Record<string, string>, content: string) => {
    const ct = hdrs['content-type'] ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(ct)?.[1];
    if (boundary) {
      for (const part of content.split(`--${boundary}`).slice(1)) {
        if (part.startsWith('--')) break;
        const [ph, ...pb] = part.replace(/^\r?\n/, '').split(/\r?\n\r?\n/);
        walk(parseHeaders(ph ?? ''), pb.join('\r\n\r\n'));
      }
      return;
    }
    const enc = (hdrs['content-transfer-encoding'] ?? '').toLowerCase();
    const decoded =
      enc === 'base64'
        ? Buffer.from(content.replace(/\s+/g, ''), 'base64').toString('utf8')
        : enc === 'quoted-printable'
          ? Buffer.from(
              content.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
              'latin1',
            ).toString('utf8')
          : content;
    if (ct.startsWith('text/html')) out.html = decoded;
    else if (ct.startsWith('text/plain')) out.text = decoded;
  };
  walk(headers, body);
  return out;
}

function parseHeaders(block: string): Record<string, string> {
  const h: Record<string, string> = {};
  for (const line of block.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) h[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return h;
}

// ---------- store ----------

/** The real SQLite store on a temporary file, migrated; `dispose` closes it and removes the file. */
export async function openTestStore(): Promise<SqliteStore & { dispose(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-gov-'));
  const store = new SqliteStore({ path: join(dir, 'rampart.db') });
  await store.migrate();
  return Object.assign(store, {
    async dispose() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

/**
 * A document store WITH Store.putDocIf (atomic compare-and-set in one SQL statement), to test the
 * governance log's multi-process path; also the reference for implementing putDocIf in the drivers.
 */
export class CasDocStore implements GovernanceStore {
  readonly #db: Database.Database;
  readonly #dir: string | null;
  directory: DirectoryUser[] = [];

  constructor(path?: string) {
    this.#dir = path ? null : mkdtempSync(join(tmpdir(), 'rampart-gov-'));
    this.#db = new Database(path ?? join(this.#dir!, 'docs.db'));
    this.#db.pragma('journal_mode = WAL');
    this.#db.exec('CREATE TABLE IF NOT EXISTS docs (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (kind, id))');
  }

  get path(): string {
    return this.#db.name;
  }

  async putDoc(doc: Doc): Promise<void> {
    this.#db
      .prepare('INSERT INTO docs (kind, id, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at')
      .run(doc.kind, doc.id, JSON.stringify(doc.body), doc.updatedAt);
  }

  async putDocIf(doc: Doc, expected: string | null): Promise<boolean> {
    const body = JSON.stringify(doc.body);
    const r =
      expected === null
        ? this.#db.prepare('INSERT INTO docs (kind, id, body, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING').run(doc.kind, doc.id, body, doc.updatedAt)
        : this.#db.prepare('UPDATE docs SET body = ?, updated_at = ? WHERE kind = ? AND id = ? AND updated_at = ?').run(body, doc.updatedAt, doc.kind, doc.id, expected);
    return r.changes === 1;
  }

  async getDoc<T = unknown>(kind: string, id: string): Promise<Doc<T> | null> {
    const r = this.#db.prepare('SELECT body, updated_at FROM docs WHERE kind = ? AND id = ?').get(kind, id) as { body: string; updated_at: string } | undefined;
    return r ? { kind, id, body: JSON.parse(r.body) as T, updatedAt: r.updated_at } : null;
  }

  async listDocs<T = unknown>(kind: string): Promise<Doc<T>[]> {
    const rows = this.#db.prepare('SELECT id, body, updated_at FROM docs WHERE kind = ? ORDER BY id').all(kind) as Array<{ id: string; body: string; updated_at: string }>;
    return rows.map((r) => ({ kind, id: r.id, body: JSON.parse(r.body) as T, updatedAt: r.updated_at }));
  }

  async getDirectoryUser(app: string, idOrEmail: string): Promise<DirectoryUser | null> {
    const k = idOrEmail.toLowerCase();
    return this.directory.find((u) => u.app === app && (u.id === idOrEmail || u.email?.toLowerCase() === k)) ?? null;
  }

  close(): void {
    this.#db.close();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}

/** A directory user with the schema's defaults; governance tests assume claimed, invited accounts. */
export function directoryUser(p: Partial<DirectoryUser> & { id: string; email: string }): DirectoryUser {
  return DirectoryUserSchema.parse({ app: 'workplace', active: true, claimed: true, invited: true, updatedAt: '2026-01-01T00:00:00.000Z', ...p });
}

// ---------- alerts, time ----------

export function alertFor(user: string, p: Partial<Alert> = {}): Alert {
  const t = '2026-11-27T08:00:00.000Z';
  return {
    id: `alert_${user}_${p.detection ?? 'failed_logins'}`,
    detection: 'failed_logins',
    title: 'Multiple failed login attempts followed by a success',
    description: '42 failed logins from 203.0.113.7 within 5 minutes, then a successful login.',
    severity: 'high',
    status: 'new',
    user,
    userId: null,
    app: 'workplace',
    tenant: '',
    time: t,
    firstSeen: t,
    lastSeen: t,
    count: 1,
    activityIds: ['act_1'],
    evidence: ['42 failed logins from 203.0.113.7'],
    details: {},
    mitreTactic: 'credential_access',
    ips: ['203.0.113.7'],
    dedupKey: `failed_logins:${user}`,
    assignee: null,
    classification: null,
    classificationReason: null,
    comment: null,
    createdAt: t,
    updatedAt: t,
    ...p,
  };
}

/** A sleep that records the waits it was asked for and returns at once (no real waiting in tests). */
export function recordingSleep(): { sleep: (ms: number, signal: AbortSignal) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    sleep: async (ms, signal) => {
      waits.push(ms);
      if (signal.aborted) throw signal.reason;
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) throw signal.reason;
    },
  };
}

/** A sleep that never ends by itself: the action parks after its first failed attempt until the service stops. */
export const parkedSleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((_resolve, reject) => {
    void ms;
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
