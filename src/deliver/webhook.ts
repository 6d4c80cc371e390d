/**
 * @module deliver/webhook
 * POSTs each alert as JSON, signed so the receiver can prove it came from Rampart and is not a replay:
 *   X-Rampart-Timestamp: <unix seconds>
 *   X-Rampart-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 * `verifyAlertWebhook` is the reference check for receivers (docs/alert-delivery.md has the recipe).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { request } from 'undici';
import type { Alert } from '../schema/alert.ts';
import { RampartError } from '../core/errors.ts';
import { readSecret } from '../config/secret.ts';
import type { WebhookDestinationConfig } from './config.ts';
import { alertLink, errorText, systemClock, type Clock, type DeliveryResult, type Destination } from './destination.ts';
import { toOcsfDetectionFinding } from './ocsf.ts';

export const SIGNATURE_HEADER = 'x-rampart-signature';
export const TIMESTAMP_HEADER = 'x-rampart-timestamp';
/** Receivers should refuse deliveries whose timestamp is further than this from their clock. */
export const DEFAULT_TOLERANCE_SECS = 300;
/** An alert body above this is refused rather than sent (alerts are small; this guards a runaway `details`). */
export const MAX_BODY_BYTES = 1024 * 1024;

export function signBody(secret: string, timestamp: string, body: string | Buffer): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

export type VerifyResult = { ok: true } | { ok: false; reason: 'missing_header' | 'bad_timestamp' | 'stale' | 'mismatch' };

/**
 * Checks a delivery: both headers present, timestamp within the tolerance, and the signature equal
 * (constant-time) to HMAC-SHA256 over `<timestamp>.<raw body bytes>`. Pass the body exactly as received.
 */
export function verifyAlertWebhook(args: {
  secret: string;
  body: string | Buffer;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  toleranceSecs?: number;
  now?: Date;
}): VerifyResult {
  const sig = Array.isArray(args.signature) ? args.signature[0] : args.signature;
  const ts = Array.isArray(args.timestamp) ? args.timestamp[0] : args.timestamp;
  if (!sig || !ts) return { ok: false, reason: 'missing_header' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'bad_timestamp' };
  const nowSecs = Math.floor((args.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSecs - Number(ts)) > (args.toleranceSecs ?? DEFAULT_TOLERANCE_SECS)) return { ok: false, reason: 'stale' };
  const expected = Buffer.from(signBody(args.secret, ts, args.body));
  const given = Buffer.from(sig);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'mismatch' };
  return { ok: true };
}

/** The JSON body in the default `rampart` format. */
export function webhookPayload(alert: Alert, consoleBaseUrl: string): Record<string, unknown> {
  return { type: 'rampart.alert', version: 1, link: alertLink(consoleBaseUrl, alert.id), alert };
}

export interface WebhookDestinationOptions {
  config: WebhookDestinationConfig;
  consoleBaseUrl: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
}

export class WebhookDestination implements Destination {
  readonly type = 'webhook' as const;
  readonly name: string;
  readonly #cfg: WebhookDestinationConfig;
  readonly #secret: string;
  readonly #url: string;
  readonly #consoleBaseUrl: string;
  readonly #clock: Clock;

  constructor(o: WebhookDestinationOptions) {
    this.name = o.config.name;
    this.#cfg = o.config;
    this.#consoleBaseUrl = o.consoleBaseUrl;
    this.#clock = o.clock ?? systemClock;
    this.#secret = readSecret(o.config.secret, `alerts.destinations.${o.config.name}.secret`, o.env);
    const url = o.config.urlSecret ? readSecret(o.config.urlSecret, `alerts.destinations.${o.config.name}.urlSecret`, o.env) : o.config.url!;
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      // Never echo the value: it is a secret.
      throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`alerts.destinations.${o.config.name}.urlSecret is not an http(s) URL`]);
    }
    this.#url = url;
  }

  /**
   * One attempt, bounded as a whole (connect, headers, answer body) by `timeoutMs`. The status decides the
   * outcome: once it is known, the answer's body is read only to free the connection, and one that does not
   * end before the deadline (a receiver trickling it) is cut off without changing the outcome. `signal`
   * abandons the attempt (shutdown).
   */
  async send(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult> {
    const payload =
      this.#cfg.format === 'ocsf' ? toOcsfDetectionFinding(alert, { consoleBaseUrl: this.#consoleBaseUrl }) : webhookPayload(alert, this.#consoleBaseUrl);
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    if (body.length > MAX_BODY_BYTES) {
      throw new RampartError('RAMPART_ERR_DELIVER_REJECTED', [this.name, `body is ${body.length} bytes, above ${MAX_BODY_BYTES}`]);
    }
    const timestamp = String(Math.floor(this.#clock().getTime() / 1000));
    const timeoutMs = this.#cfg.timeoutMs;
    const timedOut = new RampartError('RAMPART_ERR_DELIVER_TIMEOUT', [this.name, timeoutMs]);
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(timedOut), timeoutMs);
    const onAbort = (): void => attempt.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    let status: number;
    try {
      const res = await request(this.#url, {
        method: 'POST',
        body,
        headers: {
          ...this.#cfg.headers,
          'content-type': 'application/json',
          'user-agent': 'Rampart/0.1.0',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signBody(this.#secret, timestamp, body),
          'x-rampart-alert-id': alert.id,
        },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: attempt.signal,
      }); // undici's request never follows redirects: a 3xx is reported, not chased
      status = res.statusCode;
      // Free the socket; the answer's content is not needed. An over-long, slow or broken answer body only costs
      // the connection (undici destroys it), never the outcome the status already decided.
      await res.body.dump({ limit: 64 * 1024, signal: attempt.signal }).catch(() => {});
    } catch (err) {
      if (attempt.signal.aborted) {
        const reason: unknown = attempt.signal.reason;
        if (reason instanceof RampartError) throw reason;
      }
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new RampartError('RAMPART_ERR_DELIVER_TIMEOUT', [this.name, timeoutMs], { cause: err });
      }
      throw new RampartError('RAMPART_ERR_DELIVER_FAILED', [this.name, errorText(err)], { cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }
    if (status >= 200 && status < 300) return { outcome: 'sent', detail: `HTTP ${status}` };
    // 408 and 429 and 5xx are the receiver's temporary trouble; any other answer will not change on retry.
    if (status === 408 || status === 429 || status >= 500) throw new RampartError('RAMPART_ERR_DELIVER_FAILED', [this.name, `HTTP ${status}`]);
    throw new RampartError('RAMPART_ERR_DELIVER_REJECTED', [this.name, `HTTP ${status}`]);
  }

  async close(): Promise<void> {}
}
