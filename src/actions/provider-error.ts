/**
 * @module actions/provider-error
 * How a provider call failed, classified once so the retry loop and the log agree:
 * `transient` (429, 5xx, timeouts, connection errors) is retried with backoff; `permanent`
 * (401/403/404 and other 4xx) fails fast with the provider's own words.
 */

export type FailureKind = 'transient' | 'permanent';
/** Closed set, used as a metric label and in the log. */
export type FailureReason = 'throttled' | 'server_error' | 'timeout' | 'network' | 'auth' | 'forbidden' | 'not_found' | 'rejected';

export class ProviderError extends Error {
  readonly kind: FailureKind;
  readonly reason: FailureReason;
  readonly provider: string;
  /** HTTP status (or SMTP reply code); null for network errors and timeouts. */
  readonly status: number | null;
  /** Wait the provider asked for (Retry-After, X-Rate-Limit-Reset), in ms. */
  readonly retryAfterMs: number | null;
  /** The request that failed, e.g. `PATCH /users/u1` (no secrets, no query string). */
  readonly request: string;

  constructor(o: {
    provider: string;
    reason: FailureReason;
    message: string;
    status?: number | null;
    retryAfterMs?: number | null;
    request?: string;
    cause?: unknown;
  }) {
    super(o.message, { cause: o.cause });
    this.name = 'ProviderError';
    this.provider = o.provider;
    this.reason = o.reason;
    this.kind = TRANSIENT.has(o.reason) ? 'transient' : 'permanent';
    this.status = o.status ?? null;
    this.retryAfterMs = o.retryAfterMs ?? null;
    this.request = o.request ?? '';
  }
}

const TRANSIENT = new Set<FailureReason>(['throttled', 'server_error', 'timeout', 'network']);

/** The reason for an HTTP status that is not a success. */
export function reasonForStatus(status: number): FailureReason {
  if (status === 429) return 'throttled';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server_error';
  if (status === 401) return 'auth';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  return 'rejected';
}

/** Retry-After: delta-seconds or an HTTP date (RFC 9110 10.2.3). */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}
