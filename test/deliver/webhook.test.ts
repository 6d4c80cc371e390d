// Signed webhook delivery to a real HTTP receiver that verifies the signature.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebhookDestinationSchema, type WebhookDestinationConfig } from '../../src/deliver/config.ts';
import { signBody, verifyAlertWebhook, WebhookDestination } from '../../src/deliver/webhook.ts';
import { RampartError } from '../../src/core/errors.ts';
import { makeAlert } from './helpers.ts';
import { startReceiver, type Receiver } from './receiver.ts';

const SECRET = 'whsec-test-0123456789';
const env = { RAMPART_TEST_WEBHOOK_SECRET: SECRET };
let rx: Receiver;

beforeEach(async () => {
  rx = await startReceiver(SECRET);
});
afterEach(async () => {
  await rx.close();
});

const config = (over: Partial<WebhookDestinationConfig> = {}): WebhookDestinationConfig =>
  WebhookDestinationSchema.parse({ name: 'soar', type: 'webhook', url: rx.url, secret: { env: 'RAMPART_TEST_WEBHOOK_SECRET' }, timeoutMs: 5000, ...over });

describe('webhook destination', () => {
  it('POSTs the alert as JSON with a signature the receiver verifies', async () => {
    const dest = new WebhookDestination({ config: config({ headers: { 'X-Route': 'secops' } }), consoleBaseUrl: 'https://rampart.example', env });
    const alert = makeAlert();
    const res = await dest.send(alert);
    expect(res).toEqual({ outcome: 'sent', detail: 'HTTP 200' });
    const [got] = await rx.next(1);
    expect(got.verified).toEqual({ ok: true });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-route']).toBe('secops');
    expect(got.headers['x-rampart-alert-id']).toBe(alert.id);
    expect(got.headers['x-rampart-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
    const body = JSON.parse(got.body.toString('utf8'));
    expect(body).toEqual({ type: 'rampart.alert', version: 1, link: `https://rampart.example/alerts/${alert.id}`, alert: JSON.parse(JSON.stringify(alert)) });
  });

  it('the verification recipe rejects a tampered body, a changed timestamp, a stale delivery and missing headers', async () => {
    const dest = new WebhookDestination({ config: config(), consoleBaseUrl: 'http://c', env });
    await dest.send(makeAlert());
    const [got] = await rx.next(1);
    const sig = got.headers['x-rampart-signature'] as string;
    const ts = got.headers['x-rampart-timestamp'] as string;
    const now = new Date(Number(ts) * 1000);
    expect(verifyAlertWebhook({ secret: SECRET, body: got.body, signature: sig, timestamp: ts, now })).toEqual({ ok: true });

    const tampered = Buffer.from(got.body.toString('utf8').replace('"high"', '"low"'));
    expect(tampered.equals(got.body)).toBe(false);
    expect(verifyAlertWebhook({ secret: SECRET, body: tampered, signature: sig, timestamp: ts, now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyAlertWebhook({ secret: SECRET, body: got.body, signature: sig, timestamp: String(Number(ts) + 1), now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyAlertWebhook({ secret: 'other', body: got.body, signature: sig, timestamp: ts, now })).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyAlertWebhook({ secret: SECRET, body: got.body, signature: sig, timestamp: ts, now: new Date(now.getTime() + 301_000) })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyAlertWebhook({ secret: SECRET, body: got.body, signature: undefined, timestamp: ts, now })).toEqual({ ok: false, reason: 'missing_header' });
    expect(verifyAlertWebhook({ secret: SECRET, body: got.body, signature: sig, timestamp: 'yesterday', now })).toEqual({ ok: false, reason: 'bad_timestamp' });
  });

  it('a delivery signed with the wrong secret is refused by the receiver and reported as permanent', async () => {
    const dest = new WebhookDestination({ config: config(), consoleBaseUrl: 'http://c', env: { RAMPART_TEST_WEBHOOK_SECRET: 'not-the-secret' } });
    const err = await dest.send(makeAlert()).catch((e: unknown) => e);
    expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_REJECTED');
    expect((err as RampartError).message).toContain('HTTP 401');
    expect(rx.received[0].verified).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('treats 5xx, 429 and 408 as retryable and other 4xx as permanent', async () => {
    const dest = new WebhookDestination({ config: config(), consoleBaseUrl: 'http://c', env });
    rx.script = [503, 429, 408, 404];
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) codes.push(((await dest.send(makeAlert()).catch((e: unknown) => e)) as RampartError).code);
    expect(codes).toEqual(['RAMPART_ERR_DELIVER_FAILED', 'RAMPART_ERR_DELIVER_FAILED', 'RAMPART_ERR_DELIVER_FAILED', 'RAMPART_ERR_DELIVER_REJECTED']);
  });

  it('times out a receiver that never answers', async () => {
    rx.hold = true;
    const dest = new WebhookDestination({ config: config({ timeoutMs: 200 }), consoleBaseUrl: 'http://c', env });
    const err = await dest.send(makeAlert()).catch((e: unknown) => e);
    expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_TIMEOUT');
  });

  it('bounds the whole attempt by timeoutMs when the receiver trickles its answer body; the status decides the outcome', async () => {
    // Answers the status at once, then one byte of body every 50 ms, forever: undici's bodyTimeout (a gap
    // between chunks) never fires.
    const statuses = [200, 503];
    const sockets = new Set<Socket>();
    const trickler: Server = createServer((req, res) => {
      req.resume();
      res.writeHead(statuses.shift() ?? 200, { 'content-type': 'text/plain' });
      res.write('x');
      const t = setInterval(() => res.write('x'), 50);
      res.on('close', () => clearInterval(t));
    });
    trickler.on('connection', (s) => (sockets.add(s), s.on('close', () => sockets.delete(s))));
    await new Promise<void>((r) => trickler.listen(0, '127.0.0.1', () => r()));
    try {
      const timeoutMs = 300;
      const url = `http://127.0.0.1:${(trickler.address() as AddressInfo).port}/hook`;
      const dest = new WebhookDestination({ config: config({ url, timeoutMs }), consoleBaseUrl: 'http://c', env });
      const within = <T>(p: Promise<T>, what: string): Promise<T> =>
        Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} still pending after ${10 * timeoutMs} ms`)), 10 * timeoutMs).unref())]);
      expect(await within(dest.send(makeAlert()), 'the 200 attempt')).toEqual({ outcome: 'sent', detail: 'HTTP 200' });
      const err = await within(dest.send(makeAlert()).then(() => null, (e: unknown) => e), 'the 503 attempt');
      expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_FAILED');
      expect((err as RampartError).message).toContain('HTTP 503');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => trickler.close(() => r()));
    }
  });

  it('can send the alert as an OCSF Detection Finding, still signed', async () => {
    const dest = new WebhookDestination({ config: config({ format: 'ocsf' }), consoleBaseUrl: 'http://c', env });
    const alert = makeAlert();
    await dest.send(alert);
    const [got] = await rx.next(1);
    expect(got.verified.ok).toBe(true);
    const body = JSON.parse(got.body.toString('utf8'));
    const schema = JSON.parse(readFileSync(new URL('../fixtures/ocsf/detection_finding.schema.json', import.meta.url), 'utf8'));
    const validate = new Ajv2020({ allErrors: true, validateFormats: false, strictRequired: false }).compile(schema);
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    expect(body.finding_info.uid).toBe(alert.id);
  });

  it('can read a token-bearing URL from a secret instead of the config file', async () => {
    const cfg = WebhookDestinationSchema.parse({ name: 'chat', type: 'webhook', urlSecret: { env: 'HOOK_URL' }, secret: { env: 'RAMPART_TEST_WEBHOOK_SECRET' } });
    const dest = new WebhookDestination({ config: cfg, consoleBaseUrl: 'http://c', env: { ...env, HOOK_URL: `${rx.url}?token=t0ps3cret` } });
    expect((await dest.send(makeAlert())).outcome).toBe('sent');
    expect(rx.received).toHaveLength(1);
    expect(() => new WebhookDestination({ config: cfg, consoleBaseUrl: 'http://c', env: { ...env, HOOK_URL: 'ftp://t0ps3cret' } })).toThrow(/urlSecret is not an http\(s\) URL/);
    try {
      new WebhookDestination({ config: cfg, consoleBaseUrl: 'http://c', env: { ...env, HOOK_URL: 'ftp://t0ps3cret' } });
    } catch (e) {
      expect(String((e as Error).message)).not.toContain('t0ps3cret'); // the value is a secret: never echoed
    }
    expect(() => WebhookDestinationSchema.parse({ ...cfg, url: rx.url })).toThrow(/exactly one of url or urlSecret/);
  });

  it('signs "<timestamp>.<body>" with HMAC-SHA256 (documented recipe)', () => {
    // Known-answer vector, computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac key
    expect(signBody('key', '1700000000', '{"a":1}')).toBe('sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03');
  });
});
