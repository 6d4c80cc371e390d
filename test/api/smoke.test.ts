import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('smoke', () => {
  it('bootstraps, signs in, lists alerts', async () => {
    expect(h.bootstrapPassword).toMatch(/^\S{20,}$/);
    const admin = await h.account('ana@acme.example', 'analyst');
    const r = await h.call('GET', '/api/alerts', { session: admin });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ items: [], next: null });
    const doc = await h.call('GET', '/api/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths).length).toBeGreaterThan(20);
  });
});
