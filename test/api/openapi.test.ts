// The OpenAPI document is generated from the same zod schemas that validate requests and responses: every schema
// in it compiles as JSON Schema 2020-12, and real answers of the running service validate against it.
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, activity } from './fixtures.ts';
import { startHarness, type Harness, type Session } from './harness.ts';

let h: Harness;
let admin: Session;
let doc: any; // eslint-disable-line @typescript-eslint/no-explicit-any
const ajv = new (Ajv2020 as unknown as typeof Ajv2020.default)({ strict: false, allErrors: true });
(addFormats as unknown as typeof addFormats.default)(ajv);

beforeAll(async () => {
  h = await startHarness();
  admin = await h.login('admin@localhost', h.adminPassword);
  doc = (await h.call('GET', '/api/openapi.json')).body;
});
afterAll(async () => h?.close());

function responseSchema(method: string, path: string, status = '200') {
  return doc.paths[path][method].responses[status].content['application/json'].schema;
}

describe('OpenAPI document', () => {
  it('is OpenAPI 3.1 with security schemes, unique operation ids and compilable schemas', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['session', 'token']);
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries<any>(doc.paths)) {
      expect(path).toMatch(/^\/api\//);
      for (const [method, op] of Object.entries<any>(methods)) {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        for (const p of op.parameters) expect(() => ajv.compile(p.schema), `${method} ${path} ${p.name}`).not.toThrow();
        if (op.requestBody) expect(() => ajv.compile(op.requestBody.content['application/json'].schema), `${method} ${path} body`).not.toThrow();
        for (const r of Object.values<any>(op.responses)) {
          const s = r.content?.['application/json']?.schema;
          if (s && !s.$ref) expect(() => ajv.compile(s), `${method} ${path} response`).not.toThrow();
        }
      }
    }
  });

  it('describes the real answers (validated with ajv against the document)', async () => {
    await h.service.store.putAlert(alert());
    await h.service.store.putActivities([activity({ ip: '192.0.2.1', geo: { country: 'US', city: 'Austin', lat: 30.2, lon: -97.7 } })]);
    const checks: Array<[string, string, string]> = [
      ['get', '/api/alerts', '/api/alerts'],
      ['get', '/api/activities', '/api/activities'],
      ['get', '/api/detections', '/api/detections'],
      ['get', '/api/accounts', '/api/accounts'],
      ['get', '/api/settings', '/api/settings'],
      ['get', '/api/audit', '/api/audit'],
      ['get', '/api/auth/me', '/api/auth/me'],
      ['get', '/api/ip-ranges', '/api/ip-ranges'],
    ];
    for (const [method, path, url] of checks) {
      const r = await h.call(method.toUpperCase(), url, { session: admin });
      expect(r.status, url).toBe(200);
      const validate = ajv.compile(responseSchema(method, path));
      expect(validate(r.body), `${url}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
    expect((await h.call('GET', '/api/alerts', { session: admin })).body.items.length).toBe(1);
  });

  it('documents the same constraints the server enforces', async () => {
    const body = doc.paths['/api/alerts/{id}'].patch.requestBody.content['application/json'].schema;
    const validate = ajv.compile(body);
    expect(validate({ classification: 'false_positive', reason: 'not_of_interest' })).toBe(true);
    expect(validate({ classification: 'maybe' })).toBe(false);
    expect(validate({ unknownKey: 1 })).toBe(false);
    const limit = doc.paths['/api/alerts'].get.parameters.find((p: { name: string }) => p.name === 'limit');
    expect(limit.required).toBe(false);
    expect((await h.call('GET', '/api/alerts?limit=1001', { session: admin })).status).toBe(400);
  });

  it('serves a self-contained documentation page (no CDN, no inline script)', async () => {
    const page = await h.call('GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const js = await h.call('GET', '/api/docs/app.js');
    const css = await h.call('GET', '/api/docs/style.css');
    for (const text of [page.text, js.text, css.text]) expect(text).not.toMatch(/https?:\/\//);
    expect(page.text).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*src=)[^>]*>[^<]/);
    expect(page.text).toContain('src="/api/docs/app.js"');
    expect(js.text).toContain("fetch('/api/openapi.json'");
  });
});
