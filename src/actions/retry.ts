/**
 * @module actions/retry
 * Exponential backoff with jitter for transient provider failures, honouring the wait the provider asks
 * for (Retry-After / X-Rate-Limit-Reset). Permanent failures are not retried.
 */
import type { ProviderError } from './provider-error.ts';

export interface RetryPolicy {
  /** Attempts in one run, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A provider asking to wait longer than this ends the run now (`failed`, retry later from the log). */
  maxRetryAfterMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000, timeoutMs: 10_000 };

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1), or null to stop.
 * "Equal jitter": half the exponential step fixed, half random, so concurrent retries spread out
 * but never retry sooner than half the step. A provider's Retry-After is a floor.
 */
export function nextDelay(policy: RetryPolicy, attempt: number, err: ProviderError, random: () => number = Math.random): number | null {
  if (err.kind !== 'transient' || attempt >= policy.maxAttempts) return null;
  if (err.retryAfterMs !== null && err.retryAfterMs > policy.maxRetryAfterMs) return null;
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const backoff = step / 2 + random() * (step / 2);
  return Math.round(Math.max(backoff, err.retryAfterMs ?? 0));
}

export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
