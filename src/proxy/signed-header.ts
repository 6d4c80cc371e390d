/**
 * @module proxy/signed-header
 * Assertions from trusted upstream systems (an SSO gateway's identity, a device-trust system's compliance) arrive
 * as one header: `v1.<base64url(JSON)>.<base64url(HMAC-SHA256(secret, "v1." + payload))>`. The JSON carries
 * `iat` (seconds) and optionally `exp`; stale or future-dated assertions are refused. Signatures are compared in
 * constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const MAX_SIGNED_HEADER_BYTES = 8192;

export type VerifyResult<T> = { ok: true; payload: T } | { ok: false; reason: 'missing' | 'malformed' | 'bad_signature' | 'expired' };

export function signAssertion(payload: Record<string, unknown>, secret: string, nowSecs = Math.floor(Date.now() / 1000)): string {
  const body = Buffer.from(JSON.stringify({ iat: nowSecs, ...payload })).toString('base64url');
  const sig = createHmac('sha256', secret).update(`v1.${body}`).digest('base64url');
  return `v1.${body}.${sig}`;
}

export function verifyAssertion<T extends { iat?: number; exp?: number }>(
  value: string | undefined,
  secret: string,
  maxAgeSecs: number,
  nowSecs = Math.floor(Date.now() / 1000),
): VerifyResult<T> {
  if (!value) return { ok: false, reason: 'missing' };
  if (value.length > MAX_SIGNED_HEADER_BYTES) return { ok: false, reason: 'malformed' };
  const parts = value.split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret).update(`v1.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: 'bad_signature' };
  let payload: T;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as T;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload !== 'object' || payload === null) return { ok: false, reason: 'malformed' };
  const iat = typeof payload.iat === 'number' ? payload.iat : null;
  if (iat === null || iat > nowSecs + 60 || nowSecs - iat > maxAgeSecs) return { ok: false, reason: 'expired' };
  if (typeof payload.exp === 'number' && payload.exp < nowSecs) return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}
