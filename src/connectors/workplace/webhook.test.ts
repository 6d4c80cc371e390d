import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allActivities, startHarness, type Harness } from './test/harness.ts';

const SECRET = 'app-secret-for-tests';
const VERIFY = 'verify-token-for-tests';
const env = { WP_SECRET: SECRET, WP_VERIFY: VERIFY };
const baseConfig = { appSecret: { env: 'WP_SECRET' }, verifyToken: { env: 'WP_VERIFY' }, communityId: '504942443827307' };

const sign = (body: string, algo: 'sha256' | 'sha1' = 'sha256') => `${algo}=${createHmac(algo, SECRET).update(body).digest('hex')}`;

let seq = 0;
function envelope(event: string, extra: Record<string, unknown> = {}) {
  seq++;
  return {
    object: 'workplace_security',
    entry: [
      {
        id: '504942447160640',
        time: 1700000000 + seq,
        changes: [
          {
            field: 'sessions',
            value: {
              event,
              timestamp: new Date(Date.UTC(2023, 10, 14, 22, 0, seq)).toISOString().replace('.000Z', '+0000'),
              actor_id: `10006409436${1000 + seq}`,
              actor_email: `user${seq}@example.com`,
              target_id: `10006409436${1000 + seq}`,
              target_email: `user${seq}@example.com`,
              ip: '203.0.113.7',
              ip_country: 'GB',
              useragent: 'Mozilla/5.0',
              ...extra,
            },
          },
        ],
      },
    ],
  };
}

async function post(h: Harness, body: string, headers: Record<string, string>) {
  const res = await fetch(`${h.url}/webhooks/workplace`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, text, json: (() => { try { return JSON.parse(text); } catch { return null; } })() };
}

describe('workplace webhook over real HTTP', () => {
  let h: Harness;
  let sha1h: Harness;
  const count = (x: Harness = h) => x.store.countActivities();

  beforeAll(async () => {
    h = await startHarness(baseConfig, { env, maxBodyBytes: 64 * 1024 });
    sha1h = await startHarness({ ...baseConfig, acceptSha1: true }, { env });
  });
  afterAll(async () => {
    await h.close();
    await sha1h.close();
  });

  it('answers the verification handshake with the challenge', async () => {
    const res = await fetch(`${h.url}/webhooks/workplace?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=${VERIFY}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('1158201444');
  });

  it('refuses the handshake with a wrong verify token (403)', async () => {
    const res = await fetch(`${h.url}/webhooks/workplace?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong`);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { code: string };
    expect(body.code).toBe('RAMPART_ERR_CONN_VERIFY_TOKEN_MISMATCH');
    expect(JSON.stringify(body)).not.toContain('1158201444');
  });

  it('stores a delivery with a valid sha256 signature before answering 200', async () => {
    const before = await count();
    const body = JSON.stringify(envelope('USER_LOGIN'));
    const res = await post(h, body, { 'x-hub-signature-256': sign(body) });
    expect(res.status).toBe(200);
    expect(await count()).toBe(before + 1);
    expect(h.metrics.get('rampart_webhook_deliveries_total', { connector: 'workplace' })).toBeGreaterThan(0);
  });

  it('rejects an invalid signature with 403 and stores nothing', async () => {
    const before = await count();
    const body = JSON.stringify(envelope('USER_LOGIN'));
    const res = await post(h, body, { 'x-hub-signature-256': sign(body + ' ') });
    expect(res.status).toBe(403);
    expect(res.json.code).toBe('RAMPART_ERR_CONN_SIGNATURE_INVALID');
    const tampered = body.replace('203.0.113.7', '203.0.113.8');
    const res2 = await post(h, tampered, { 'x-hub-signature-256': sign(body) });
    expect(res2.status).toBe(403);
    expect(await count()).toBe(before);
    expect(h.metrics.get('rampart_webhook_rejects_total', { connector: 'workplace', reason: 'signature_invalid' })).toBe(2);
  });

  it('rejects a missing signature with 401 and stores nothing', async () => {
    const before = await count();
    const body = JSON.stringify(envelope('USER_LOGIN'));
    const res = await post(h, body, {});
    expect(res.status).toBe(401);
    expect(res.json.code).toBe('RAMPART_ERR_CONN_SIGNATURE_MISSING');
    expect(await count()).toBe(before);
  });

  it('accepts a sha1-only signature only when acceptSha1 is configured', async () => {
    const body = JSON.stringify(envelope('USER_LOGOUT'));
    const refused = await post(h, body, { 'x-hub-signature': sign(body, 'sha1') });
    expect(refused.status).toBe(401);
    expect(refused.json.code).toBe('RAMPART_ERR_CONN_SIGNATURE_MISSING');
    const before = await count(sha1h);
    const accepted = await post(sha1h, body, { 'x-hub-signature': sign(body, 'sha1') });
    expect(accepted.status).toBe(200);
    expect(await count(sha1h)).toBe(before + 1);
    const badSha1 = await post(sha1h, body, { 'x-hub-signature': sign(body + 'x', 'sha1') });
    expect(badSha1.status).toBe(403);
  });

  it('answers 413 for a body above the limit, before anything is stored', async () => {
    const before = await count();
    const big = JSON.stringify(envelope('USER_LOGIN', { padding: 'x'.repeat(70 * 1024) }));
    const res = await post(h, big, { 'x-hub-signature-256': sign(big) });
    expect(res.status).toBe(413);
    expect(res.json.code).toBe('RAMPART_ERR_CONN_BODY_TOO_LARGE');
    expect(await count()).toBe(before);
  });

  it('answers 400 for signed bad JSON and for a malformed envelope, and keeps them as rejects', async () => {
    const before = await count();
    const bad = '{"object":"workplace_security","entry":[';
    const res = await post(h, bad, { 'x-hub-signature-256': sign(bad) });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('RAMPART_ERR_CONN_BAD_PAYLOAD');
    const noEntry = JSON.stringify({ object: 'workplace_security', entry: [{ id: '1', changes: [{ field: 'x', value: 'not-an-object' }] }] });
    const res2 = await post(h, noEntry, { 'x-hub-signature-256': sign(noEntry) });
    expect(res2.status).toBe(400);
    expect(res2.json.message).toContain('changes[0].value');
    expect(await count()).toBe(before);
    await new Promise((r) => setTimeout(r, 20));
    expect((await h.store.listRejects()).items.map((r) => r.code)).toContain('RAMPART_ERR_CONN_BAD_PAYLOAD');
  });

  it('keeps an unknown event with category other, raw preserved, and counts it', async () => {
    const body = JSON.stringify(envelope('SOMETHING_NEW_FROM_META', { novel_field: 42 }));
    const res = await post(h, body, { 'x-hub-signature-256': sign(body) });
    expect(res.status).toBe(200);
    const stored = (await allActivities(h.store)).find((a) => a.action === 'SOMETHING_NEW_FROM_META');
    expect(stored?.category).toBe('other');
    expect((stored?.raw as { value: { novel_field: number } }).value.novel_field).toBe(42);
    expect(h.metrics.get('rampart_connector_unknown_events_total', { connector: 'workplace' })).toBe(1);
  });

  it('stores a redelivery once, also when copies race each other', async () => {
    const body = JSON.stringify(envelope('PASSWORD_CHANGE'));
    const before = await count();
    const results = await Promise.all([1, 2, 3].map(() => post(h, body, { 'x-hub-signature-256': sign(body) })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const again = await post(h, body, { 'x-hub-signature-256': sign(body) });
    expect(again.status).toBe(200);
    expect(await count()).toBe(before + 1);
  });

  it('commits concurrent deliveries in fewer store transactions than deliveries (group commit)', async () => {
    // A 50 ms window makes the grouping independent of how fast this machine delivers the 40 requests.
    const g = await startHarness({ ...baseConfig, groupCommitMs: 50 }, { env });
    try {
      const bodies = Array.from({ length: 40 }, () => JSON.stringify(envelope('USER_LOGIN')));
      const results = await Promise.all(bodies.map((b) => post(g, b, { 'x-hub-signature-256': sign(b) })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(await count(g)).toBe(40);
      expect(g.ingestCalls).toBeLessThan(40);
    } finally {
      await g.close();
    }
  });

  it('refuses a signed body nested deeper than 64 levels with 400 (kept as a reject); deliveries grouped with it commit', async () => {
    // 6,000 levels parse, but JSON.stringify of the stored record overflows the stack: that failed the whole group
    // commit (503 for every delivery in it) and the sender retried the poison body for ever.
    const g = await startHarness({ ...baseConfig, groupCommitMs: 50 }, { env, maxBodyBytes: 1024 * 1024 });
    try {
      // Built as text: the test's own JSON.stringify of such a value would overflow too.
      const nestedBody = (levels: number) => JSON.stringify(envelope('USER_LOGIN', { nested: 'HERE' })).replace('"HERE"', '['.repeat(levels) + ']'.repeat(levels));
      const deep = nestedBody(6000);
      const edge = nestedBody(58); // the envelope's own 6 levels + 58 = 64: accepted
      const good = Array.from({ length: 20 }, () => JSON.stringify(envelope('USER_LOGIN')));
      const [bad, atLimit, ...rest] = await Promise.all([deep, edge, ...good].map((b) => post(g, b, { 'x-hub-signature-256': sign(b) })));
      expect(bad.status).toBe(400);
      expect(bad.json.code).toBe('RAMPART_ERR_CONN_BAD_PAYLOAD');
      expect(bad.json.message).toContain('64 levels');
      expect(atLimit.status).toBe(200);
      expect(rest.map((r) => r.status)).toEqual(good.map(() => 200));
      expect(await count(g)).toBe(21);
      await new Promise((r) => setTimeout(r, 20));
      expect((await g.store.listRejects()).items.some((r) => r.reason.includes('64 levels'))).toBe(true);
    } finally {
      await g.close();
    }
  });

  it('answers 503 and acknowledges nothing when the store cannot commit', async () => {
    h.failWrites = true;
    try {
      const body = JSON.stringify(envelope('USER_LOGIN'));
      const res = await post(h, body, { 'x-hub-signature-256': sign(body) });
      expect(res.status).toBe(503);
      expect(res.json.code).toBe('RAMPART_ERR_STORE_WRITE_FAILED');
      expect(res.json.message).toBe('store write failed: disk full (test)'); // said once
    } finally {
      h.failWrites = false;
    }
  });

  it('reports health with last event time and events per minute', () => {
    const health = h.connector.health();
    expect(health.connector).toBe('workplace');
    expect(health.status).toBe('ok');
    expect(health.lastEventTime).toMatch(/^2023-11-14T22:/);
    expect(health.eventsPerMin).toBeGreaterThan(0);
    expect(health.errorsByKind.signature_invalid).toBe(2);
  });
});
