/**
 * @module connectors/workplace/simulator/web
 * The simulator's web front, an app-like site for the session proxy to sit in front of: sign-in page, feed,
 * groups with files (text, CSV, PDF, DOCX) to download, upload and share, and a who-am-I endpoint
 * (`GET /web/api/me`). Sessions are an HttpOnly cookie `wp_session` with a Domain attribute when the site is
 * reached by name, and sign-in redirects with an absolute Location, as real apps do, so the proxy's rewriting
 * is exercised. Every person of the simulated organisation can sign in with the web password; guests from other
 * domains too (external users).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Response } from 'undici';
import { sampleFiles, type SampleFile } from './samples.ts';

export { VALID_CARD_NUMBERS, LOOKALIKE_CARD_NUMBERS, makePdf, makeDocx, type SampleFile } from './samples.ts';

export const WEB_SESSION_COOKIE = 'wp_session';
export const DEFAULT_WEB_PASSWORD = 'workplace';
const MAX_UPLOAD_BYTES = 32 * 1024 * 1024;

export interface WebAccount {
  email: string;
  name: string;
  id: string;
}

export interface WebFrontOptions {
  /** The organisation's people (read on each sign-in, so changes apply). */
  accounts: () => readonly WebAccount[];
  /** Guests from other organisations (external users). */
  guests?: readonly WebAccount[];
  password?: string;
}

export interface WebShare {
  fileId: string;
  by: string;
  to: string;
  time: string;
}

export interface WebFront {
  readonly files: Map<string, SampleFile>;
  readonly shares: WebShare[];
  readonly password: string;
  readonly guests: readonly WebAccount[];
  /** Signs in without the form (tests): returns the session cookie value. */
  signIn(email: string): string;
}

export const DEFAULT_GUESTS: readonly WebAccount[] = [{ email: 'pat.partner@partner-corp.net', name: 'Pat Partner', id: 'guest-1' }];

const GROUPS = [
  { id: 'g-eng', name: 'Engineering' },
  { id: 'g-finance', name: 'Finance' },
] as const;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const page = (title: string, body: string, who?: WebAccount): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)} · Workplace</title>` +
  `<style>body{font:15px system-ui,sans-serif;margin:0;background:#f0f2f5}header{background:#20254a;color:#fff;padding:10px 20px;display:flex;justify-content:space-between}main{max-width:50em;margin:20px auto;background:#fff;padding:20px;border-radius:8px}a{color:#3b5998}li{margin:6px 0}</style></head>` +
  `<body><header><a href="/web/feed" style="color:#fff;text-decoration:none">Workplace</a><span>${who ? `${esc(who.name)} &lt;${esc(who.email)}&gt; <form method="post" action="/web/logout" style="display:inline"><button>Sign out</button></form>` : ''}</span></header><main>${body}</main></body></html>`;

/** Registers the /web routes on the simulator's server. */
export async function registerWebFront(app: FastifyInstance, opts: WebFrontOptions): Promise<WebFront> {
  const password = opts.password ?? DEFAULT_WEB_PASSWORD;
  const guests = opts.guests ?? DEFAULT_GUESTS;
  const files = new Map<string, SampleFile>((await sampleFiles()).map((f) => [f.id, f]));
  const sessions = new Map<string, WebAccount>();
  const shares: WebShare[] = [];

  const findAccount = (email: string): WebAccount | null => {
    const e = email.trim().toLowerCase();
    return guests.find((g) => g.email.toLowerCase() === e) ?? opts.accounts().find((a) => a.email.toLowerCase() === e) ?? null;
  };
  const newSession = (acct: WebAccount): string => {
    const token = randomBytes(24).toString('base64url');
    sessions.set(token, acct);
    return token;
  };
  const cookieOf = (req: FastifyRequest): string | null => {
    const raw = req.headers.cookie ?? '';
    for (const part of raw.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === WEB_SESSION_COOKIE) return v.join('=');
    }
    return null;
  };
  const whoOf = (req: FastifyRequest): WebAccount | null => {
    const c = cookieOf(req);
    return c ? (sessions.get(c) ?? null) : null;
  };
  /** Absolute URLs from the Host the request came with, as many apps build them. */
  const absolute = (req: FastifyRequest, path: string): string => `${req.protocol}://${req.headers.host}${path}`;
  const requireUser = (req: FastifyRequest, reply: FastifyReply): WebAccount | null => {
    const who = whoOf(req);
    if (!who) {
      void reply.redirect(absolute(req, '/web/login'), 303);
      return null;
    }
    return who;
  };

  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES }, (_req, body, done) => done(null, body));

  app.get('/web', async (req, reply) => reply.redirect(absolute(req, whoOf(req) ? '/web/feed' : '/web/login'), 303));
  app.get('/web/login', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Sign in',
          `<h1>Sign in to Workplace</h1><form method="post" action="/web/login"><p><label>Email <input name="email" type="email" required></label></p><p><label>Password <input name="password" type="password" required></label></p><p><button type="submit">Sign in</button></p></form>`,
        ),
      ),
  );
  app.post('/web/login', async (req, reply) => {
    const b = (req.body ?? {}) as Record<string, string>;
    const acct = typeof b.email === 'string' ? findAccount(b.email) : null;
    if (!acct || b.password !== password) {
      return reply.code(401).type('text/html; charset=utf-8').send(page('Sign in', '<h1>Sign in failed</h1><p><a href="/web/login">Try again</a></p>'));
    }
    const token = newSession(acct);
    const hostName = (req.headers.host ?? '').replace(/:\d+$/, '');
    const domain = /^[a-z][a-z0-9.-]*$/i.test(hostName) ? `; Domain=${hostName}` : '';
    reply.header('set-cookie', `${WEB_SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax${domain}`);
    return reply.redirect(absolute(req, '/web/feed'), 303);
  });
  app.post('/web/logout', async (req, reply) => {
    const c = cookieOf(req);
    if (c) sessions.delete(c);
    reply.header('set-cookie', `${WEB_SESSION_COOKIE}=; Path=/; Max-Age=0`);
    return reply.redirect(absolute(req, '/web/login'), 303);
  });
  app.get('/web/api/me', async (req, reply) => {
    const who = whoOf(req);
    if (!who) return reply.code(401).send({ error: 'not signed in' });
    return reply.send({ id: who.id, email: who.email, name: who.name });
  });
  app.get('/web/feed', async (req, reply) => {
    const who = requireUser(req, reply);
    if (!who) return reply;
    const posts = [
      'Welcome to the new quarter! Town hall on Thursday.',
      'The Finance group has new budget files.',
      'Engineering: release 4.2 is out.',
    ];
    return reply
      .type('text/html; charset=utf-8')
      .send(
        page(
          'Feed',
          `<h1>Feed</h1><ul>${posts.map((p) => `<li>${esc(p)}</li>`).join('')}</ul><h2>Groups</h2><ul>${GROUPS.map((g) => `<li><a href="/web/groups/${g.id}">${esc(g.name)}</a></li>`).join('')}</ul>`,
          who,
        ),
      );
  });
  app.get('/web/groups/:gid', async (req, reply) => {
    const who = requireUser(req, reply);
    if (!who) return reply;
    const gid = (req.params as { gid: string }).gid;
    const g = GROUPS.find((x) => x.id === gid);
    if (!g) return reply.code(404).type('text/html; charset=utf-8').send(page('Not found', '<h1>No such group</h1>', who));
    const list = [...files.values()]
      .filter((f) => f.groupId === gid)
      .map(
        (f) =>
          `<li><a data-file="${esc(f.id)}" href="/web/files/${encodeURIComponent(f.id)}/download">${esc(f.name)}</a> (${f.data.length} bytes) ` +
          `<form method="post" action="/web/files/${encodeURIComponent(f.id)}/share" style="display:inline"><input name="email" type="email" placeholder="share with" required><button>Share</button></form></li>`,
      )
      .join('');
    return reply
      .type('text/html; charset=utf-8')
      .send(
        page(
          g.name,
          `<h1>${esc(g.name)}</h1><h2>Files</h2><ul>${list}</ul><h2>Upload</h2><form method="post" action="/web/groups/${g.id}/files" enctype="multipart/form-data"><input type="file" name="file" required><button>Upload</button></form>`,
          who,
        ),
      );
  });
  app.get('/web/files/:id/download', async (req, reply) => {
    const who = requireUser(req, reply);
    if (!who) return reply;
    const f = files.get((req.params as { id: string }).id);
    if (!f) return reply.code(404).send({ error: 'no such file' });
    reply
      .header('content-type', f.mimeType)
      .header('content-disposition', `attachment; filename="${f.name}"; filename*=UTF-8''${encodeURIComponent(f.name)}`)
      .header('accept-ranges', 'bytes');
    // One byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`), as file servers and CDNs answer resumed downloads.
    const range = /^bytes=(\d*)-(\d*)$/.exec(String(req.headers.range ?? ''));
    if (range && (range[1] || range[2])) {
      const size = f.data.length;
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || start > end) return reply.code(416).header('content-range', `bytes */${size}`).send();
      return reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`).send(f.data.subarray(start, end + 1));
    }
    return reply.send(f.data);
  });
  app.post('/web/groups/:gid/files', async (req, reply) => {
    const who = requireUser(req, reply);
    if (!who) return reply;
    const gid = (req.params as { gid: string }).gid;
    if (!GROUPS.some((g) => g.id === gid)) return reply.code(404).send({ error: 'no such group' });
    const ct = req.headers['content-type'] ?? '';
    if (!ct.startsWith('multipart/form-data') || !Buffer.isBuffer(req.body)) return reply.code(400).send({ error: 'multipart/form-data expected' });
    const form = await new Response(req.body, { headers: { 'content-type': ct } }).formData();
    let added = 0;
    for (const [, v] of form) {
      if (typeof v === 'string') continue;
      const id = `f-up-${randomBytes(6).toString('hex')}`;
      files.set(id, { id, groupId: gid, name: (v.name || 'upload.bin').slice(0, 255), mimeType: v.type || 'application/octet-stream', data: Buffer.from(await v.arrayBuffer()), ownerEmail: who.email });
      added++;
    }
    if (!added) return reply.code(400).send({ error: 'no file in the form' });
    return reply.redirect(absolute(req, `/web/groups/${gid}`), 303);
  });
  app.post('/web/files/:id/share', async (req, reply) => {
    const who = requireUser(req, reply);
    if (!who) return reply;
    const f = files.get((req.params as { id: string }).id);
    const to = ((req.body ?? {}) as Record<string, string>).email;
    if (!f || typeof to !== 'string' || !to.includes('@')) return reply.code(400).send({ error: 'file and email required' });
    shares.push({ fileId: f.id, by: who.email, to: to.toLowerCase(), time: new Date().toISOString() });
    return reply.redirect(absolute(req, `/web/groups/${f.groupId}`), 303);
  });

  return {
    files,
    shares,
    password,
    guests,
    signIn(email) {
      const acct = findAccount(email);
      if (!acct) throw new Error(`no web account ${email}`);
      return newSession(acct);
    },
  };
}
