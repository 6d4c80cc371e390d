// A real HTTP webhook receiver for tests: verifies Rampart's signature the way a customer would.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyAlertWebhook, type VerifyResult } from '../../src/deliver/webhook.ts';

export interface Received {
  body: Buffer;
  headers: IncomingHttpHeaders;
  verified: VerifyResult;
  status: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Statuses to answer, in order; after the list runs out, 200. */
  script: number[];
  /** While set, requests wait until release() is called. */
  hold: boolean;
  release(): void;
  /** Requests that have arrived and are waiting for release(). */
  held(): number;
  /** Resolves once `n` requests have arrived. */
  next(n: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(secret: string): Promise<Receiver> {
  const waiters: Array<() => void> = [];
  const held: Array<() => void> = [];
  const r: Receiver = {
    url: '',
    received: [],
    script: [],
    hold: false,
    release: () => {
      r.hold = false;
      held.splice(0).forEach((f) => f());
    },
    held: () => held.length,
    next: async (n) => {
      while (r.received.length < n) await new Promise<void>((w) => waiters.push(w));
      return r.received.slice(0, n);
    },
    close: () => new Promise<void>((res) => {
      r.release();
      server.closeAllConnections();
      server.close(() => res());
    }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        const body = Buffer.concat(chunks);
        const verified = verifyAlertWebhook({ secret, body, signature: req.headers['x-rampart-signature'], timestamp: req.headers['x-rampart-timestamp'] });
        const status = !verified.ok ? 401 : (r.script.shift() ?? 200);
        r.received.push({ body, headers: req.headers, verified, status });
        waiters.splice(0).forEach((w) => w());
        res.writeHead(status, { 'content-type': 'text/plain' }).end(verified.ok ? 'ok' : verified.reason);
      };
      if (r.hold) held.push(answer);
      else answer();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/rampart`;
  return r;
}
