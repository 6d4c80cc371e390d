/**
 * @module proxy/identity
 * Who is behind a request, and on which device.
 * - User: a trusted identity header signed by the SSO gateway in front of the proxy, else the app's own session:
 *   the session cookie is sent to the app's "who am I" endpoint and the answer cached (by a hash of the cookie)
 *   for a TTL, with concurrent look-ups for the same session shared.
 * - Device: "Valid client certificate" when the TLS client certificate verified against the organisation's CA
 *   bundle and CRLs; tags from a signed device-compliance header; no tag = unmanaged.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type { Dispatcher } from 'undici';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { LruCache } from '../enrich/lru.ts';
import { verifyAssertion } from './signed-header.ts';

export const VALID_CLIENT_CERT_TAG = 'Valid client certificate';

export interface SessionUser {
  email: string | null;
  id: string | null;
  name: string | null;
  via: 'identity_header' | 'app_session';
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;
const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** One cookie's value from a Cookie header (several Cookie headers, as HTTP/2 may send, are joined). */
export function cookieValue(headers: Headers, name: string): string | null {
  const raw = headers.cookie;
  const text = Array.isArray(raw) ? raw.join('; ') : raw;
  if (!text) return null;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

const str = (v: unknown, max = 320): string | null => (typeof v === 'string' && v.length > 0 && v.length <= max ? v : null);

export interface SignedHeaderSetting {
  header: string;
  secret: string;
  maxAgeSecs: number;
}

export interface IdentityResolverOptions {
  upstream: Dispatcher;
  upstreamHost: string;
  sessionCookie: string;
  whoAmIPath: string;
  cacheTtlMs: number;
  identityHeader?: SignedHeaderSetting;
  timeoutMs: number;
  logger: Logger;
  metrics: Metrics;
  now?: () => number;
}

interface CacheEntry {
  user: SessionUser | null;
  expires: number;
}

export class IdentityResolver {
  readonly #o: IdentityResolverOptions;
  readonly #cache = new LruCache<string, CacheEntry>(10_000);
  readonly #inflight = new Map<string, Promise<SessionUser | null>>();
  /** How many times the who-am-I endpoint was called (tests check the cache with it). */
  lookups = 0;

  constructor(o: IdentityResolverOptions) {
    this.#o = o;
  }

  /** Trusted header first (it is what the SSO gateway vouches for), then the app session. */
  async resolve(headers: Headers): Promise<SessionUser | null> {
    const ih = this.#o.identityHeader;
    if (ih) {
      const value = first(headers[ih.header.toLowerCase()]);
      if (value) {
        const v = verifyAssertion<{ email?: unknown; sub?: unknown; name?: unknown; iat?: number; exp?: number }>(value, ih.secret, ih.maxAgeSecs);
        if (v.ok) {
          const email = str(v.payload.email)?.toLowerCase() ?? null;
          if (email || str(v.payload.sub)) return { email, id: str(v.payload.sub, 512), name: str(v.payload.name), via: 'identity_header' };
        }
        this.#o.metrics.inc('rampart_proxy_identity_rejected_total', { reason: v.ok ? 'no_subject' : v.reason });
      }
    }
    const cookie = cookieValue(headers, this.#o.sessionCookie);
    return cookie ? this.bySession(cookie) : null;
  }

  /** The user of an app session cookie value, cached for the TTL (misses too, so a bad cookie costs one call). */
  async bySession(cookie: string): Promise<SessionUser | null> {
    const key = createHash('sha256').update(cookie).digest('base64url');
    const now = (this.#o.now ?? Date.now)();
    const hit = this.#cache.get(key);
    if (hit && hit.expires > now) return hit.user;
    let p = this.#inflight.get(key);
    if (!p) {
      p = this.#lookup(cookie).then(
        (user) => {
          this.#cache.set(key, { user, expires: (this.#o.now ?? Date.now)() + this.#o.cacheTtlMs });
          return user;
        },
        (err) => {
          this.#o.metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'identity', error_type: 'whoami_failed' });
          this.#o.logger.warn({ err }, 'who-am-I lookup failed; the request is recorded without a user');
          return null; // not cached: the next request tries again
        },
      );
      p.finally(() => this.#inflight.delete(key)).catch(() => undefined);
      this.#inflight.set(key, p);
    }
    return p;
  }

  /** Forgets a session (after a logout). */
  forget(cookie: string): void {
    this.#cache.set(createHash('sha256').update(cookie).digest('base64url'), { user: null, expires: 0 });
  }

  async #lookup(cookie: string): Promise<SessionUser | null> {
    this.lookups++;
    const res = await this.#o.upstream.request({
      method: 'GET',
      path: this.#o.whoAmIPath,
      headers: { host: this.#o.upstreamHost, cookie: `${this.#o.sessionCookie}=${cookie}`, accept: 'application/json' },
      headersTimeout: this.#o.timeoutMs,
      bodyTimeout: this.#o.timeoutMs,
    });
    if (res.statusCode === 401 || res.statusCode === 403) {
      await res.body.dump();
      return null;
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      throw new Error(`who-am-I answered ${res.statusCode}`);
    }
    const text = await res.body.text();
    if (text.length > 64 * 1024) throw new Error('who-am-I answer too large');
    const j = JSON.parse(text) as Record<string, unknown>;
    const email = str(j.email)?.toLowerCase() ?? null;
    const id = str(j.id, 512);
    if (!email && !id) return null;
    return { email, id, name: str(j.name), via: 'app_session' };
  }
}

export interface DeviceInfo {
  tags: string[];
  /** Subject CN of a verified client certificate. */
  certificateSubject: string | null;
}

/** Device tags of a request: client certificate (verified by the TLS layer with the CA bundle and CRLs) and header. */
export function deviceOf(socket: unknown, headers: Headers, deviceHeader: SignedHeaderSetting | undefined, metrics: Metrics): DeviceInfo {
  const tags: string[] = [];
  let certificateSubject: string | null = null;
  const tls = socket as Partial<TLSSocket> | null;
  if (tls && typeof tls.getPeerCertificate === 'function' && tls.authorized === true) {
    const cert = tls.getPeerCertificate();
    if (cert && Object.keys(cert).length) {
      tags.push(VALID_CLIENT_CERT_TAG);
      const cn = cert.subject?.CN;
      certificateSubject = (Array.isArray(cn) ? cn[0] : cn) ?? null;
    }
  }
  if (deviceHeader) {
    const value = first(headers[deviceHeader.header.toLowerCase()]);
    if (value) {
      const v = verifyAssertion<{ tags?: unknown; iat?: number; exp?: number }>(value, deviceHeader.secret, deviceHeader.maxAgeSecs);
      if (v.ok && Array.isArray(v.payload.tags)) {
        for (const t of v.payload.tags.slice(0, 8)) if (typeof t === 'string' && t.length <= 128 && !tags.includes(t)) tags.push(t);
      } else metrics.inc('rampart_proxy_device_header_rejected_total', { reason: v.ok ? 'no_tags' : v.reason });
    }
  }
  return { tags, certificateSubject };
}
