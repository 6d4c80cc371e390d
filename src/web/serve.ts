/**
 * @module web/serve
 * Serves the built console (dist/web, made by `npm run build:web`) at `/` on the service's Fastify server.
 * Files are read once at start (the bundle is small) and answered with the API guard's security headers
 * (installed app-wide by registerApi: CSP default-src 'self', frame-ancestors 'none', ...). Any other path that
 * is not under /api, /healthz, /metrics or a connector webhook answers index.html so the console's own URLs
 * (with their filters) can be shared and reloaded. Files are looked up in the in-memory map only (never a disk
 * path built from the URL), so no traversal can reach outside the build. Without a build, `/` answers a page saying how to build it.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

const MISSING = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rampart console not built</title></head>
<body><h1>The Rampart console is not built</h1>
<p>The API is running at <a href="/api/docs">/api/docs</a>. To build the console, run <code>npm run build:web</code>
(it runs on <code>npm ci</code> too) and restart <code>rampart serve</code>.</p></body></html>`;

function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.set('/' + relative(dir, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(dir);
  return files;
}

/** Paths the console must never shadow: they belong to the API and the service. */
const RESERVED = /^\/(api|healthz|metrics)(\/|$)/;

export interface ConsoleMount {
  /** Whether a build was found (false: the message page is served). */
  built: boolean;
  files: number;
}

/** Mounts the console. Call before `app.listen`, after registerApi (its guard sets the security headers). */
export function registerConsole(app: FastifyInstance, o: { dir?: string } = {}): ConsoleMount {
  const dir = o.dir ?? DEFAULT_WEB_DIR;
  const files = existsSync(join(dir, 'index.html')) ? readTree(dir) : new Map<string, Buffer>();
  const index = files.get('/index.html');
  const sendIndex = (reply: import('fastify').FastifyReply) =>
    index
      ? reply.type(TYPES['.html']).header('cache-control', 'no-cache').send(index)
      : reply.status(503).type(TYPES['.html']).header('cache-control', 'no-store').send(MISSING);

  app.get('/', async (_req, reply) => sendIndex(reply));
  app.get('/*', async (req, reply) => {
    let path: string;
    try {
      path = decodeURIComponent(req.url.split('?')[0]);
    } catch {
      return reply.status(400).send({ code: 'RAMPART_ERR_API_BAD_REQUEST', message: 'bad request: malformed URL encoding' });
    }
    if (RESERVED.test(path)) return reply.status(404).send({ code: 'RAMPART_ERR_API_NOT_FOUND', message: `route ${req.method} ${path} not found` });
    const file = files.get(path);
    if (file) {
      // Hashed file names under /assets never change: cache them; everything else is revalidated.
      const immutable = path.startsWith('/assets/');
      return reply
        .type(TYPES[extname(path)] ?? 'application/octet-stream')
        .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(file);
    }
    // A missing bundle file is a 404; any other path is a console URL (client-side routing), including ones
    // whose last segment looks like a file name (/users/alice@acme.example).
    const looksLikeFile = path.startsWith('/assets/') || (path.lastIndexOf('/') === 0 && extname(path) in TYPES);
    if (looksLikeFile) return reply.status(404).send({ code: 'RAMPART_ERR_API_NOT_FOUND', message: `file ${path} not found` });
    return sendIndex(reply);
  });
  return { built: Boolean(index), files: files.size };
}
