/**
 * @module actions/http
 * One HTTP attempt for the providers, on undici: a timeout on every request, bodies read with a size
 * cap, and every non-2xx answer turned into a ProviderError that carries the provider's own message.
 * Retrying is not done here: the governance executor retries whole operations and logs each attempt.
 */
import { request } from 'undici';
import { ProviderError, parseRetryAfter, reasonForStatus } from './provider-error.ts';

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Object bodies are sent as JSON; strings are sent as given (set content-type yourself). */
  body?: unknown;
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
  text: string;
}

/** Provider answers are small; a larger one is cut (and still classified by status). */
const MAX_RESPONSE_BYTES = 256 * 1024;

/** Reads an error message out of a provider body (each provider passes its own). */
export type ErrorMessageReader = (json: unknown, text: string) => string | null;

export interface ProviderHttp {
  provider: string;
  errorMessage: ErrorMessageReader;
  /** Extra throttling hint beyond Retry-After (Okta's X-Rate-Limit-Reset). */
  retryAfter?: (res: HttpResponse) => number | null;
  /** Some APIs signal throttling or transient faults in a 4xx body (Workplace Graph error codes 1, 2, 4, 17, 32, 341, 613). */
  classify?: (res: HttpResponse) => ProviderError | null;
}

/** The request as shown in logs: method and path, never the query string (it may carry a token). */
export const describeRequest = (method: string, url: string): string => {
  try {
    return `${method} ${new URL(url).pathname}`;
  } catch {
    return `${method} ${url.split('?')[0]}`;
  }
};

/** A path segment: percent-encoded, but `@` kept (a pchar, RFC 3986) since APIs take emails in paths. */
export const pathSegment = (s: string): string => encodeURIComponent(s).replace(/%40/g, '@');

export async function httpCall(p: ProviderHttp, req: HttpRequest): Promise<HttpResponse> {
  const what = describeRequest(req.method, req.url);
  const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
  let body: string | undefined;
  if (req.body !== undefined) {
    if (typeof req.body === 'string') body = req.body;
    else {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
  }
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
  let res: HttpResponse;
  try {
    const r = await request(req.url, { method: req.method, headers, body, signal });
    const text = await readCapped(r.body);
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    res = { status: r.statusCode, headers: r.headers, json, text };
  } catch (cause) {
    if (req.signal?.aborted) throw new ProviderError({ provider: p.provider, reason: 'network', message: `${what}: aborted`, request: what, cause });
    const timedOut = timeout.aborted || (cause as Error)?.name === 'TimeoutError' || /timeout/i.test(String((cause as Error)?.message));
    throw new ProviderError({
      provider: p.provider,
      reason: timedOut ? 'timeout' : 'network',
      message: timedOut ? `${what}: no answer within ${req.timeoutMs} ms` : `${what}: ${(cause as Error)?.message ?? String(cause)}`,
      request: what,
      cause,
    });
  }
  if (res.status >= 200 && res.status < 300) return res;
  const special = p.classify?.(res);
  if (special) throw special;
  const providerMessage = p.errorMessage(res.json, res.text) ?? (res.text.slice(0, 200) || 'no body');
  throw new ProviderError({
    provider: p.provider,
    reason: reasonForStatus(res.status),
    status: res.status,
    retryAfterMs: parseRetryAfter(res.headers['retry-after']) ?? p.retryAfter?.(res) ?? null,
    message: `${what} -> HTTP ${res.status}: ${providerMessage}`,
    request: what,
  });
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy?.();
      break;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_RESPONSE_BYTES);
}
