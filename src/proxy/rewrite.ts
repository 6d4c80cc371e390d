/**
 * @module proxy/rewrite
 * Header rewriting that keeps the browser on the proxy: requests lose hop-by-hop headers and gain
 * X-Forwarded-*; responses get Location, Set-Cookie Domain/Secure, CORS origins and CSP sources pointing at
 * the proxy instead of the app. HTML bodies have absolute links to the app rewritten the same way.
 */

type InHeaders = Readonly<Record<string, string | string[] | undefined>>;
export type OutHeaders = Record<string, string | string[]>;

/** Connection-specific headers (RFC 9110 7.6.1) plus those HTTP/2 forbids; never forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

export interface Origins {
  /** e.g. https://workplace.proxy.example:8443 as the browser sees it */
  proxyOrigin: string;
  proxyHost: string;
  /** e.g. https://acme.workplace.com */
  upstreamOrigin: string;
  upstreamHost: string;
  proxyIsTls: boolean;
}

/**
 * Request headers never sent to the app: byte ranges. A `Range` request is answered 206 with a slice, and a
 * slice is neither a whole download for the session policies nor whole content for inspection (a file fetched
 * in ranges would pass both). Without them the app answers 200 with the whole file; resumed downloads restart.
 */
const NOT_FORWARDED = new Set(['range', 'if-range']);

/** Headers for the upstream request. `drop` removes headers meant for the proxy only (signed assertions). */
export function upstreamRequestHeaders(h: InHeaders, o: Origins, clientIp: string, drop: readonly string[]): OutHeaders {
  const out: OutHeaders = {};
  const connectionListed = new Set(
    String(h.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k.startsWith(':')) continue;
    const key = k.toLowerCase();
    if (HOP_BY_HOP.has(key) || NOT_FORWARDED.has(key) || connectionListed.has(key) || drop.includes(key) || key === 'host') continue;
    if (key === 'origin' || key === 'referer') out[key] = replaceOrigin(String(v), o.proxyOrigin, o.upstreamOrigin);
    else if (key === 'accept-encoding') continue; // set below
    else out[key] = v;
  }
  // Pages come back uncompressed, so the proxy can add the monitoring notice and point the page's links at
  // itself (a gzip page passed both by). The proxy's client side is usually a LAN or loopback.
  out['accept-encoding'] = 'identity';
  out.host = o.upstreamHost;
  const prior = h['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${clientIp}` : clientIp;
  out['x-forwarded-proto'] = o.proxyIsTls ? 'https' : 'http';
  out['x-forwarded-host'] = o.proxyHost;
  return out;
}

const replaceOrigin = (s: string, from: string, to: string): string => (s === from || s.startsWith(`${from}/`) ? to + s.slice(from.length) : s);

/** Rewrites one Set-Cookie: a Domain naming the app becomes host-only on the proxy; Secure is dropped on plain HTTP. */
export function rewriteSetCookie(cookie: string, o: Origins): string {
  const parts = cookie.split(';');
  const out: string[] = [parts[0]];
  const upstreamName = o.upstreamHost.replace(/:\d+$/, '').toLowerCase();
  for (const raw of parts.slice(1)) {
    const attr = raw.trim();
    const lower = attr.toLowerCase();
    if (lower.startsWith('domain=')) {
      const d = lower.slice(7).replace(/^\./, '');
      // The app's own domain (or a parent of it): dropping the attribute scopes the cookie to the proxy host.
      if (upstreamName === d || upstreamName.endsWith(`.${d}`)) continue;
      out.push(attr);
      continue;
    }
    if (lower === 'secure' && !o.proxyIsTls) continue;
    if (lower.startsWith('samesite=none') && !o.proxyIsTls) {
      out.push('SameSite=Lax'); // SameSite=None requires Secure; without TLS the browser would drop the cookie
      continue;
    }
    out.push(attr);
  }
  return out.join('; ');
}

/** Response headers for the browser. */
export function downstreamResponseHeaders(h: InHeaders, o: Origins): OutHeaders {
  const out: OutHeaders = {};
  const connectionListed = new Set(
    String(h.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase()),
  );
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const key = k.toLowerCase();
    if (HOP_BY_HOP.has(key) || connectionListed.has(key)) continue;
    switch (key) {
      case 'location':
      case 'content-location':
        out[key] = replaceOrigin(String(v), o.upstreamOrigin, o.proxyOrigin);
        break;
      case 'set-cookie':
        out[key] = (Array.isArray(v) ? v : [v]).map((c) => rewriteSetCookie(c, o));
        break;
      case 'access-control-allow-origin':
        out[key] = String(v) === o.upstreamOrigin ? o.proxyOrigin : String(v);
        break;
      case 'content-security-policy':
      case 'content-security-policy-report-only':
        out[key] = (Array.isArray(v) ? v : [v]).map((p) => p.split(o.upstreamOrigin).join(o.proxyOrigin));
        break;
      case 'strict-transport-security':
        if (o.proxyIsTls) out[key] = v;
        break;
      default:
        out[key] = v;
    }
  }
  return out;
}

/** Absolute links to the app inside an HTML page point at the proxy. */
export const rewriteHtml = (html: string, o: Origins): string => html.split(o.upstreamOrigin).join(o.proxyOrigin);

/** The monitoring notice, inserted right after <body ...>. */
export function injectNotice(html: string, notice: string): string {
  if (!notice) return html;
  const banner = `<div data-rampart-notice role="status" style="background:#fff4ce;color:#333;font:13px system-ui,sans-serif;padding:6px 12px;border-bottom:1px solid #e0c36c">${escapeHtml(notice)}</div>`;
  const at = bodyContentStart(html);
  return at >= 0 ? html.slice(0, at) + banner + html.slice(at) : banner + html;
}

/**
 * Where the content of the real `<body>` start tag begins, or -1. Markup is walked, not searched: text that
 * reads `<body>` inside a script, a style, a comment or an attribute (a user's post embedded as JSON in the
 * page) is not the tag, and `<bodyx>` is another element. Bounded: one pass over the page.
 */
export function bodyContentStart(html: string): number {
  const n = html.length;
  let i = 0;
  while (i < n) {
    const lt = html.indexOf('<', i);
    if (lt < 0) return -1;
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      if (end < 0) return -1;
      i = end + 3;
      continue;
    }
    const name = /^<([A-Za-z][A-Za-z0-9-]*)/.exec(html.slice(lt, lt + 64))?.[1]?.toLowerCase();
    if (!name) {
      i = lt + 1;
      continue;
    }
    const close = tagEnd(html, lt + 1 + name.length);
    if (close < 0) return -1;
    if (name === 'body') return close + 1;
    if (name === 'script' || name === 'style' || name === 'textarea' || name === 'title') {
      // Raw text up to the matching end tag, whatever it holds.
      const endTag = new RegExp(`</${name}`, 'gi');
      endTag.lastIndex = close + 1;
      const end = endTag.exec(html);
      if (end === null) return -1;
      i = end.index + 2;
      continue;
    }
    i = close + 1;
  }
  return -1;
}

/** The `>` that ends a start tag whose attributes begin at `from` (quoted values may hold `>`), or -1. */
function tagEnd(html: string, from: number): number {
  let quote: string | null = null;
  for (let i = from; i < html.length; i++) {
    const c = html[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
