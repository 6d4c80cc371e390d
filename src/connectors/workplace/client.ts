/**
 * @module connectors/workplace/client
 * One HTTP client for Graph, SCIM and Admin Center calls (undici): bearer token, optional `appsecret_proof`,
 * the Graph error envelope mapped to RampartError codes, and one retry policy (exponential backoff with full
 * jitter; Retry-After and Graph usage hints honoured). Directory sync, audit pull and governance share it.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleepTimer } from 'node:timers/promises';
import { Agent, request, type Dispatcher } from 'undici';
import { RampartError, type ErrorCode } from '../../core/errors.ts';

/** Graph codes that mean "slow down" (workplace-api.md §5): app, user, page, application, hourly, BUC. */
export const THROTTLE_CODES: ReadonlySet<number> = new Set([4, 17, 32, 341, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80007, 80008, 80009]);
/** Graph codes that are transient server-side failures. */
export const TRANSIENT_CODES: ReadonlySet<number> = new Set([1, 2]);
/** 190 invalid/expired/rotated token [R]; 101/102 bad client credentials or session [I]. */
export const AUTH_CODES: ReadonlySet<number> = new Set([190, 101, 102]);

/** Bounded set of failure kinds: a metric label and the health `errorsByKind` key. */
export type ApiFailureKind = 'throttled' | 'auth' | 'permission' | 'upstream' | 'network' | 'bad_response' | 'client';

export class WorkplaceApiError extends RampartError {
  readonly kind: ApiFailureKind;
  readonly retryable: boolean;
  readonly httpStatus: number | null;
  readonly graphCode: number | null;
  /** Server hint (Retry-After, usage header), ms. */
  readonly retryAfterMs: number | null;

  constructor(
    code: ErrorCode,
    args: readonly unknown[],
    info: { kind: ApiFailureKind; retryable: boolean; httpStatus: number | null; graphCode: number | null; retryAfterMs: number | null },
    cause?: unknown,
  ) {
    super(code, args, { cause });
    this.kind = info.kind;
    this.retryable = info.retryable;
    this.httpStatus = info.httpStatus;
    this.graphCode = info.graphCode;
    this.retryAfterMs = info.retryAfterMs;
  }
}

export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound on a server-requested wait, so a bogus hint cannot park the connector for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 5, baseDelayMs: 500, maxDelayMs: 60_000, maxRetryAfterMs: 300_000 };

/** Full-jitter exponential backoff, raised to the server hint when there is one. */
export function backoffDelayMs(attempt: number, policy: RetryPolicy, hintMs: number | null, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const jittered = Math.floor(random() * cap);
  if (hintMs !== null && hintMs > 0) return Math.min(policy.maxRetryAfterMs, hintMs) + Math.floor(random() * policy.baseDelayMs);
  return Math.max(1, jittered);
}

/** Largest API answer read: a page of Graph or SCIM records is far below this. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

export interface ClientOptions {
  connector?: string;
  /** Returns the bearer token (may refresh). */
  token?: () => Promise<string> | string;
  /** When set, every call carries `appsecret_proof=HMAC_SHA256(appSecret, token)`. */
  appSecretForProof?: string;
  /** The whole attempt: connect, headers and body (default 30 s). */
  timeoutMs?: number;
  /** Largest response body read (default DEFAULT_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Called before each retry wait (metrics, logs). */
  onRetry?: (err: WorkplaceApiError, attempt: number, delayMs: number) => void;
  /** Counts every HTTP attempt (tests bound request counts with it). */
  onAttempt?: () => void;
  dispatcher?: Dispatcher;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  json?: unknown;
  form?: Record<string, string>;
  /** Skip the bearer token (token exchange). */
  noAuth?: boolean;
  /** Do not retry (for non-idempotent calls the caller retries itself). */
  noRetry?: boolean;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

const parseRetryAfter = (v: string | string[] | undefined): number | null => {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return null;
  if (/^\d+(\.\d+)?$/.test(s.trim())) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
};

/** `estimated_time_to_regain_access` (minutes) from X-Business-Use-Case-Usage, when present. */
const parseUsageHint = (headers: ApiResponse['headers']): number | null => {
  const raw = headers['x-business-use-case-usage'];
  const s = Array.isArray(raw) ? raw[0] : raw;
  if (!s) return null;
  try {
    const parsed = JSON.parse(s) as Record<string, Array<{ estimated_time_to_regain_access?: number }>>;
    let minutes = 0;
    for (const list of Object.values(parsed)) for (const u of list ?? []) minutes = Math.max(minutes, Number(u.estimated_time_to_regain_access) || 0);
    return minutes > 0 ? minutes * 60_000 : null;
  } catch {
    return null;
  }
};

export class WorkplaceClient {
  readonly baseUrl: URL;
  readonly #o: ClientOptions;
  readonly #retry: RetryPolicy;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;

  constructor(baseUrl: string, opts: ClientOptions = {}) {
    this.baseUrl = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    this.#o = opts;
    this.#retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.#ownsDispatcher = !opts.dispatcher;
    this.#dispatcher = opts.dispatcher ?? new Agent({ connections: 8, keepAliveTimeout: 10_000 });
  }

  get connector(): string {
    return this.#o.connector ?? 'workplace';
  }

  /**
   * Resolves a path, or a URL the API handed us (paging.next), against the base URL, and refuses any result on
   * another origin: that host would receive our token. Resolved first, compared after: `///host`, `\\host`,
   * ` http://host` and `http:host` all look relative and resolve to another host.
   */
  url(pathOrUrl: string): URL {
    const absolute = /^https?:\/\//i.test(pathOrUrl);
    let u: URL;
    try {
      u = absolute ? new URL(pathOrUrl) : new URL(pathOrUrl.replace(/^\/(?![/\\])/, ''), this.baseUrl);
    } catch {
      throw this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, 'paging URL that does not parse'], 'bad_response', false, null, null, null);
    }
    if (u.origin !== this.baseUrl.origin) {
      throw this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, `paging URL on foreign origin ${u.origin}`], 'bad_response', false, null, null, null);
    }
    return u;
  }

  async get<T = unknown>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path, opts);
  }

  async post<T = unknown>(path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, opts);
  }

  /** One call with the retry policy: retryable failures back off, others throw at once. */
  async request<T = unknown>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions = {}): Promise<ApiResponse<T>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once<T>(method, path, opts);
      } catch (err) {
        if (!(err instanceof WorkplaceApiError) || !err.retryable || opts.noRetry || attempt >= this.#retry.maxRetries) throw err;
        if (this.#o.signal?.aborted) throw err;
        const delay = backoffDelayMs(attempt, this.#retry, err.retryAfterMs);
        this.#o.onRetry?.(err, attempt + 1, delay);
        await sleepTimer(delay, undefined, { signal: this.#o.signal }).catch(() => {
          throw err;
        });
      }
    }
  }

  async #once<T>(method: Dispatcher.HttpMethod, path: string, opts: RequestOptions): Promise<ApiResponse<T>> {
    const url = this.url(path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { accept: 'application/json' };
    if (!opts.noAuth && this.#o.token) {
      const token = await this.#o.token();
      headers.authorization = `Bearer ${token}`;
      if (this.#o.appSecretForProof) url.searchParams.set('appsecret_proof', createHmac('sha256', this.#o.appSecretForProof).update(token).digest('hex'));
    }
    let body: string | undefined;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(opts.form).toString();
    }
    this.#o.onAttempt?.();
    const timeoutMs = this.#o.timeoutMs ?? 30_000;
    // The whole attempt, body included, within timeoutMs: undici's bodyTimeout only bounds the gap between chunks,
    // so a body sent a byte at a time held a sync for as long as the server liked.
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = this.#o.signal ? AbortSignal.any([this.#o.signal, deadline]) : deadline;
    const failed = (cause: unknown, reading: boolean, status: number | null) => {
      if (this.#o.signal?.aborted) return this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, 'aborted'], 'network', false, status, null, null, cause);
      if (deadline.aborted) return this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, `no complete answer within ${timeoutMs} ms`], 'network', true, status, null, null, cause);
      if (cause instanceof WorkplaceApiError) return cause;
      const msg = reading ? 'connection dropped while reading the body' : `network error (${(cause as { code?: string })?.code ?? (cause as Error)?.name ?? 'unknown'})`;
      return this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, msg], 'network', true, status, null, null, cause);
    };
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, { method, headers, body, dispatcher: this.#dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal });
    } catch (cause) {
      throw failed(cause, false, null);
    }
    const resHeaders = res.headers as ApiResponse['headers'];
    let text: string;
    try {
      text = await this.#readText(res);
    } catch (cause) {
      throw failed(cause, true, res.statusCode);
    }
    let parsed: unknown = null;
    let jsonOk = true;
    if (text.length) {
      try {
        parsed = JSON.parse(text);
      } catch {
        jsonOk = false;
      }
    }
    const status = res.statusCode;
    const hint = parseRetryAfter(resHeaders['retry-after']) ?? parseUsageHint(resHeaders);
    if (status >= 200 && status < 300) {
      if (!jsonOk) throw this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, `HTTP ${status} with a body that is not JSON`], 'bad_response', true, status, null, null);
      return { status, body: parsed as T, headers: resHeaders };
    }
    throw this.#classify(status, jsonOk ? parsed : null, hint);
  }

  /** The body as text, refused past maxResponseBytes (a page of users is well under a MiB; 300 MB was read whole). */
  async #readText(res: Dispatcher.ResponseData): Promise<string> {
    const limit = this.#o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const declared = Number(res.headers['content-length']);
    const tooBig = () =>
      this.#fail('RAMPART_ERR_CONN_UPSTREAM', [this.connector, `response body larger than ${limit} bytes`], 'bad_response', false, res.statusCode, null, null);
    if (declared > limit) {
      res.body.destroy();
      throw tooBig();
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        res.body.destroy();
        throw tooBig();
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  #classify(status: number, body: unknown, hint: number | null): WorkplaceApiError {
    const err = (body as { error?: { code?: unknown; message?: unknown; error_subcode?: unknown; type?: unknown } } | null)?.error;
    const graphCode = typeof err?.code === 'number' ? err.code : typeof err?.code === 'string' && /^\d+$/.test(err.code) ? Number(err.code) : null;
    const scimDetail = (body as { detail?: unknown } | null)?.detail;
    const detail = typeof err?.message === 'string' ? err.message.slice(0, 300) : typeof scimDetail === 'string' ? scimDetail.slice(0, 300) : `HTTP ${status}`;
    const what = graphCode !== null ? `HTTP ${status}, Graph code ${graphCode}: ${detail}` : `HTTP ${status}: ${detail}`;
    const c = this.connector;
    if (graphCode !== null && AUTH_CODES.has(graphCode)) return this.#fail('RAMPART_ERR_CONN_AUTH_FAILED', [c, what], 'auth', false, status, graphCode, null);
    if (graphCode !== null && (graphCode === 10 || (graphCode >= 200 && graphCode <= 299)))
      return this.#fail('RAMPART_ERR_CONN_PERMISSION_DENIED', [c, what], 'permission', false, status, graphCode, null);
    if (status === 429 || (graphCode !== null && THROTTLE_CODES.has(graphCode)))
      return this.#fail('RAMPART_ERR_CONN_THROTTLED', [c, what], 'throttled', true, status, graphCode, hint);
    if (status === 401) return this.#fail('RAMPART_ERR_CONN_AUTH_FAILED', [c, what], 'auth', false, status, graphCode, null);
    if (status === 403 && graphCode === null) return this.#fail('RAMPART_ERR_CONN_PERMISSION_DENIED', [c, what], 'permission', false, status, null, null);
    if (status >= 500 || (graphCode !== null && TRANSIENT_CODES.has(graphCode)) || status === 408)
      return this.#fail('RAMPART_ERR_CONN_UPSTREAM', [c, what], 'upstream', true, status, graphCode, hint);
    return this.#fail('RAMPART_ERR_CONN_UPSTREAM', [c, what], 'client', false, status, graphCode, null);
  }

  #fail(
    code: ErrorCode,
    args: unknown[],
    kind: ApiFailureKind,
    retryable: boolean,
    httpStatus: number | null,
    graphCode: number | null,
    retryAfterMs: number | null,
    cause?: unknown,
  ): WorkplaceApiError {
    return new WorkplaceApiError(code, args, { kind, retryable, httpStatus, graphCode, retryAfterMs }, cause);
  }

  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

/** Follows Graph cursor paging (`paging.next`) until it is absent; stops at `maxPages` as a safety bound. */
export async function* graphPages<T>(client: WorkplaceClient, path: string, query: RequestOptions['query'], maxPages = 10_000): AsyncGenerator<T[]> {
  let next: string | null = path;
  let q = query;
  for (let page = 0; next && page < maxPages; page++) {
    const res: ApiResponse<{ data?: T[]; paging?: { next?: string } }> = await client.get(next, { query: q });
    const body = res.body ?? {};
    if (!Array.isArray(body.data)) throw new WorkplaceApiError('RAMPART_ERR_CONN_UPSTREAM', [client.connector, 'Graph list has no "data" array'], { kind: 'bad_response', retryable: false, httpStatus: res.status, graphCode: null, retryAfterMs: null });
    yield body.data;
    next = typeof body.paging?.next === 'string' ? body.paging.next : null;
    q = undefined; // `next` carries every parameter
  }
}

// Response actions (governance): idempotent, so the client's retry policy applies. workplace-api.md §2, §6, §7.

/** `POST /{user-id}/logout`: log the user out of all devices [R]. */
export async function logoutUser(graph: WorkplaceClient, userId: string): Promise<void> {
  await graph.post(`${encodeURIComponent(userId)}/logout`);
}

/** Graph `POST /{user-id}?active=false|true`: deactivate or reactivate [R]. */
export async function setUserActiveGraph(graph: WorkplaceClient, userId: string, active: boolean): Promise<void> {
  await graph.post(encodeURIComponent(userId), { query: { active } });
}

/** SCIM `PATCH /Users/{id}` with a PatchOp replacing `active` (suspend/unsuspend) [R body schema; I path form]. */
export async function setUserActiveScim(scim: WorkplaceClient, userId: string, active: boolean): Promise<void> {
  await scim.request('PATCH', `Users/${encodeURIComponent(userId)}`, {
    json: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'active', value: active }] },
  });
}
