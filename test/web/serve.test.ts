/** `rampart serve` serving the console's files (src/web/serve.ts): real service over loopback, a small fake build. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../api/harness.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-123.js"></script></head><body><div id="root"></div></body></html>';

describe('console files served by rampart serve', () => {
  let dir: string;
  let h: Harness;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rampart-web-'));
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), INDEX);
    writeFileSync(join(dir, 'assets', 'app-123.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    h = await startHarness({ serve: { webDir: dir } });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers index.html at / and at console URLs, with the API security headers', async () => {
    for (const path of ['/', '/alerts?status=new', '/users/alice@acme.example', '/policies?edit=_new']) {
      const r = await fetch(h.url + path);
      expect(r.status, path).toBe(200);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(r.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-cache');
      expect(await r.text()).toBe(INDEX);
    }
  });

  it('serves bundle files with their type; hashed assets are immutable', async () => {
    const js = await fetch(`${h.url}/assets/app-123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('text/javascript');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(await js.text()).toBe('console.log(1)');
    const icon = await fetch(`${h.url}/favicon.svg`);
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
  });

  it('answers a coded 404 for missing files, and never shadows the API or the service routes', async () => {
    // Files come from an in-memory map of the build, never from a path built from the URL.
    for (const path of ['/assets/nope.js', '/nope.css', '/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const r = await fetch(h.url + path);
      expect(r.status, path).toBe(404);
      expect(((await r.json()) as { code: string }).code).toBe('RAMPART_ERR_API_NOT_FOUND');
    }
    const malformed = await fetch(`${h.url}/users/%E0%A4%A`);
    expect(malformed.status).toBe(400);
    const api = await fetch(`${h.url}/api/nothing-here`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { code: string }).code).toBe('RAMPART_ERR_API_NOT_FOUND');
    expect((await fetch(`${h.url}/api/alerts`)).status).toBe(401);
    expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: 'ok' });
  });
});

describe('console not built', () => {
  it('serves a page saying how to build it, and the API still works', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'rampart-web-empty-'));
    const h = await startHarness({ serve: { webDir: empty } });
    try {
      const r = await fetch(`${h.url}/alerts`);
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toContain('text/html');
      expect(await r.text()).toContain('npm run build:web');
      expect((await fetch(`${h.url}/api/openapi.json`)).status).toBe(200);
    } finally {
      await h.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
