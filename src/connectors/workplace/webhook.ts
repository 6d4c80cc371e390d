/**
 * @module connectors/workplace/webhook
 * `GET/POST /webhooks/workplace`: the verification handshake, then signed `workplace_security` deliveries.
 * Order of checks on POST: size limit (413) -> signature over the RAW body (401 missing / 403 bad) -> JSON
 * (400) -> envelope (400) -> durable group commit -> 200. Nothing is stored before the signature checks pass,
 * and the 200 is sent only after the delivery's batch committed, so an acknowledged event is never lost.
 */
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../core/json-depth.ts';
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RampartError, isRampartError, type ErrorCode } from '../../core/errors.ts';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import type { Store } from '../../store/store.ts';
import type { GroupCommitter } from './group-commit.ts';
import { normalizeEnvelope } from './normalize.ts';
import type { ConnectorStats } from './stats.ts';

export const CONNECTOR_ID = 'workplace';

/** Bounded reject reasons: the `reason` label of rampart_webhook_rejects_total. */
export type RejectReason =
  | 'signature_missing'
  | 'signature_invalid'
  | 'verify_token'
  | 'bad_handshake'
  | 'body_too_large'
  | 'bad_json'
  | 'bad_payload'
  | 'store_failed';

export interface WebhookOptions {
  path: string;
  appSecret: string;
  verifyToken: string | null;
  acceptSha1: boolean;
  maxBodyBytes: number;
  committer: GroupCommitter;
  metrics: Metrics;
  logger: Logger;
  stats: ConnectorStats;
  /** Signed but unusable bodies are kept as rejects (nothing is dropped silently). */
  store?: Store | null;
}

/** Constant-time string equality: hashing first makes lengths equal, so timing reveals nothing. */
export function safeEqualString(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** Verifies `sha256=<hex>` / `sha1=<hex>` against HMAC(appSecret, raw body) in constant time. */
export function verifySignature(header: string, algo: 'sha256' | 'sha1', secret: string, raw: Buffer): boolean {
  const prefix = `${algo}=`;
  if (!header.startsWith(prefix)) return false;
  const hex = header.slice(prefix.length).trim();
  const expected = createHmac(algo, secret).update(raw).digest();
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== expected.length * 2) return false;
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export async function workplaceWebhookRoutes(app: FastifyInstance, o: WebhookOptions): Promise<void> {
  const labels = { connector: CONNECTOR_ID };
  o.metrics.describe('rampart_webhook_deliveries_total', 'Webhook deliveries acknowledged (committed before the 200)');
  o.metrics.describe('rampart_webhook_rejects_total', 'Webhook requests refused, by bounded reason');
  o.metrics.describe('rampart_connector_events_total', 'Events received by a connector');
  o.metrics.describe('rampart_connector_unknown_events_total', 'Events whose name is not in the mapping table (kept as category other)');

  const reject = (reply: FastifyReply, reason: RejectReason, code: ErrorCode, args: unknown[] = []) => {
    o.metrics.inc('rampart_webhook_rejects_total', { ...labels, reason });
    o.stats.error(reason);
    const err = new RampartError(code, args);
    return reply.code(err.status).type('application/json').send(err.toJSON());
  };

  // Raw bytes for every content type: the signature is over the exact body, so nothing may parse it first.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { code?: string; statusCode?: number; message?: string }, _req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
      return reject(reply, 'body_too_large', 'RAMPART_ERR_CONN_BODY_TOO_LARGE', [o.maxBodyBytes]);
    }
    if (isRampartError(err)) return reply.code(err.status).send(err.toJSON());
    if (typeof err.code === 'string' && err.code.startsWith('FST_ERR_CTP')) {
      return reject(reply, 'bad_payload', 'RAMPART_ERR_CONN_BAD_PAYLOAD', [err.message ?? 'unreadable body']);
    }
    o.logger.error({ err }, 'workplace webhook failed');
    o.stats.error('internal');
    return reply.code(500).send({ code: 'RAMPART_ERR_CONN_UPSTREAM', message: 'internal error' });
  });

  app.get(o.path, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    if (q['hub.mode'] !== 'subscribe' || typeof q['hub.challenge'] !== 'string' || q['hub.challenge'].length > 1024) {
      return reject(reply, 'bad_handshake', 'RAMPART_ERR_CONN_BAD_PAYLOAD', ['verification needs hub.mode=subscribe and hub.challenge']);
    }
    const given = q['hub.verify_token'] ?? '';
    if (o.verifyToken === null || !safeEqualString(given, o.verifyToken)) {
      o.logger.warn('webhook verification with a wrong verify token');
      return reject(reply, 'verify_token', 'RAMPART_ERR_CONN_VERIFY_TOKEN_MISMATCH');
    }
    o.logger.info('webhook subscription verified');
    return reply.code(200).type('text/plain').send(q['hub.challenge']);
  });

  app.post(o.path, { bodyLimit: o.maxBodyBytes }, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const sig256 = header(req, 'x-hub-signature-256');
    const sig1 = header(req, 'x-hub-signature');
    if (sig256 !== undefined) {
      if (!verifySignature(sig256, 'sha256', o.appSecret, raw)) return reject(reply, 'signature_invalid', 'RAMPART_ERR_CONN_SIGNATURE_INVALID');
    } else if (sig1 !== undefined && o.acceptSha1) {
      if (!verifySignature(sig1, 'sha1', o.appSecret, raw)) return reject(reply, 'signature_invalid', 'RAMPART_ERR_CONN_SIGNATURE_INVALID');
    } else {
      return reject(reply, 'signature_missing', 'RAMPART_ERR_CONN_SIGNATURE_MISSING', ['X-Hub-Signature-256']);
    }

    const receivedAt = new Date().toISOString();
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      keepReject(o, 'RAMPART_ERR_CONN_BAD_PAYLOAD', `not JSON: ${(e as Error).message}`, raw, receivedAt);
      return reject(reply, 'bad_json', 'RAMPART_ERR_CONN_BAD_PAYLOAD', ['body is not valid JSON']);
    }
    if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
      // Signed, so from Workplace or a holder of the secret: kept as a reject, refused for good (400, not 503).
      const why = `body nests deeper than ${MAX_JSON_DEPTH} levels`;
      keepReject(o, 'RAMPART_ERR_CONN_BAD_PAYLOAD', why, raw, receivedAt);
      return reject(reply, 'bad_payload', 'RAMPART_ERR_CONN_BAD_PAYLOAD', [why]);
    }
    let result;
    try {
      result = normalizeEnvelope(body, { receivedAt, source: 'webhook' });
    } catch (e) {
      if (!isRampartError(e)) throw e;
      keepReject(o, e.code, e.message, raw, receivedAt);
      return reject(reply, 'bad_payload', e.code, [...e.args]);
    }

    try {
      await o.committer.submit(result.activities);
    } catch (err) {
      o.logger.error({ err }, 'webhook delivery could not be committed; the sender will retry');
      o.metrics.inc('rampart_errors_total', { component: CONNECTOR_ID, stage: 'store', error_type: 'write_failed' });
      // A store error already says "store write failed: ...": pass its arguments, not its message, to say it once.
      const args = isRampartError(err) ? (err.code === 'RAMPART_ERR_STORE_WRITE_FAILED' ? [...err.args] : [err.message]) : ['commit failed'];
      return reject(reply, 'store_failed', 'RAMPART_ERR_STORE_WRITE_FAILED', args);
    }
    o.metrics.inc('rampart_webhook_deliveries_total', labels);
    o.metrics.inc('rampart_connector_events_total', labels, result.activities.length);
    if (result.unknownEvents) o.metrics.inc('rampart_connector_unknown_events_total', labels, result.unknownEvents);
    let latest: string | null = null;
    for (const a of result.activities) if (!latest || a.time > latest) latest = a.time;
    o.stats.events(result.activities.length, latest);
    return reply.code(200).type('application/json').send('{"ok":true}');
  });
}

/** Signed but unusable input goes to the rejects table, truncated; failures here never affect the reply. */
function keepReject(o: WebhookOptions, code: string, reason: string, raw: Buffer, receivedAt: string): void {
  if (!o.store) return;
  o.store
    .putRejects([{ source: `webhook:${CONNECTOR_ID}`, code, reason: reason.slice(0, 500), sample: raw.subarray(0, 4096).toString('utf8'), receivedAt }])
    .catch((err: unknown) => {
      o.metrics.inc('rampart_errors_total', { component: CONNECTOR_ID, stage: 'store', error_type: 'reject_write' });
      o.logger.warn({ err }, 'could not keep a rejected webhook body');
    });
}
