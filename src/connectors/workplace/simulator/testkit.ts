/**
 * @module simulator/testkit
 * A minimal webhook receiver for tests of the sender (not Rampart's receiver): answers the handshake, checks
 * both signatures over the raw body, records every delivery, and can be told to fail or stall.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  raw: string;
  body: unknown | null;
  sha1Valid: boolean;
  sha256Valid: boolean;
  status: number;
  /** the request ended early (connection dropped by the sender) */
  aborted: boolean;
}

export interface TestReceiver {
  url: string;
  deliveries: ReceivedDelivery[];
  /** Values of every delivery answered 2xx, in arrival order. */
  ackedValues(): Record<string, unknown>[];
  /** Decide the status for the next delivery (default 200); return 'hang' to never answer. */
  respond: (d: ReceivedDelivery, index: number) => number | 'hang';
  /** Answer the handshake with this instead of the challenge (to test a failing verification). */
  challengeOverride: string | null;
  close(): Promise<void>;
}

const check = (algo: 'sha1' | 'sha256', secret: string, raw: Buffer, header: string | undefined): boolean => {
  if (!header) return false;
  const want = Buffer.from(`${algo}=${createHmac(algo, secret).update(raw).digest('hex')}`);
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
};

export async function startTestReceiver(appSecret: string, verifyToken: string): Promise<TestReceiver> {
  const r: TestReceiver = {
    url: '',
    deliveries: [],
    respond: () => 200,
    challengeOverride: null,
    ackedValues() {
      const out: Record<string, unknown>[] = [];
      for (const d of this.deliveries) {
        if (d.status < 200 || d.status >= 300 || !d.body) continue;
        for (const e of (d.body as { entry: { changes: { value: Record<string, unknown> }[] }[] }).entry) for (const c of e.changes) out.push(c.value);
      }
      return out;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((res) => server.close(() => res()));
    },
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const ok = url.searchParams.get('hub.mode') === 'subscribe' && url.searchParams.get('hub.verify_token') === verifyToken;
      res.writeHead(ok ? 200 : 403, { 'content-type': 'text/plain' });
      res.end(ok ? (r.challengeOverride ?? url.searchParams.get('hub.challenge') ?? '') : 'bad verify token');
      return;
    }
    const chunks: Buffer[] = [];
    let ended = false;
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('aborted', () => {
      if (ended) return;
      r.deliveries.push({ raw: Buffer.concat(chunks).toString('utf8'), body: null, sha1Valid: false, sha256Valid: false, status: 0, aborted: true });
    });
    req.on('end', () => {
      ended = true;
      const raw = Buffer.concat(chunks);
      let body: unknown = null;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        body = null;
      }
      const d: ReceivedDelivery = {
        raw: raw.toString('utf8'),
        body,
        sha1Valid: check('sha1', appSecret, raw, req.headers['x-hub-signature'] as string | undefined),
        sha256Valid: check('sha256', appSecret, raw, req.headers['x-hub-signature-256'] as string | undefined),
        status: 0,
        aborted: false,
      };
      const index = r.deliveries.length;
      r.deliveries.push(d);
      const status: number | 'hang' = body === null ? 400 : d.sha256Valid ? r.respond(d, index) : 403;
      if (status === 'hang') return;
      d.status = status;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
  return r;
}
