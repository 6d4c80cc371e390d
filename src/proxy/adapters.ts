/**
 * @module proxy/adapters
 * An app adapter says what a request through the proxy means for one app: which session activity it is
 * (login, view, download, upload, share) and which object it touches. `workplace-web` knows the Workplace web
 * front's routes (the simulator's, src/connectors/workplace/simulator/web); `generic` works from HTTP alone
 * (attachments are downloads, multipart posts are uploads). Each adapter is one entry in ADAPTERS.
 */
import type { SessionActivity } from './policy/schema.ts';

export interface RequestClass {
  kind: SessionActivity | null;
  /** The object acted on, when the URL names it. */
  object?: { type: string; id: string | null; name: string | null };
  /** Form field holding the recipient of a share (the body is read to find it). */
  shareTargetField?: string;
}

export interface AppAdapter {
  readonly id: string;
  classify(method: string, path: string, headers: Readonly<Record<string, string | string[] | undefined>>): RequestClass;
}

const ASSET_RE = /\.(?:css|js|mjs|map|png|jpe?g|gif|svg|ico|woff2?|ttf|eot|webp)$/i;
const header = (h: Readonly<Record<string, string | string[] | undefined>>, name: string): string => {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};

/** A page a person looks at: a GET asking for HTML, not an asset or an API call. */
function isPageView(method: string, path: string, headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  if (method !== 'GET') return false;
  if (ASSET_RE.test(path)) return false;
  return header(headers, 'accept').includes('text/html');
}

const generic: AppAdapter = {
  id: 'generic',
  classify(method, path, headers) {
    const p = path.split('?')[0];
    if (method === 'POST' && /\/(?:login|signin|sign-in|session)$/i.test(p)) return { kind: 'login' };
    if (method === 'POST' && header(headers, 'content-type').startsWith('multipart/form-data')) return { kind: 'upload' };
    if (method === 'POST' && /\/share$/i.test(p)) return { kind: 'share', shareTargetField: 'email' };
    if (isPageView(method, p, headers)) return { kind: 'view' };
    return { kind: null }; // a download is recognised from the response (Content-Disposition: attachment)
  },
};

/** The path segment decoded, or as sent when its percent-encoding is malformed (`%ZZ`): never a thrown URIError. */
function segment(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const workplaceWeb: AppAdapter = {
  id: 'workplace-web',
  classify(method, path, headers) {
    const p = path.split('?')[0];
    let m: RegExpMatchArray | null;
    if (method === 'POST' && p === '/web/login') return { kind: 'login' };
    if (method === 'GET' && (m = p.match(/^\/web\/files\/([^/]+)\/download$/))) return { kind: 'download', object: { type: 'file', id: segment(m[1]), name: null } };
    if (method === 'POST' && (m = p.match(/^\/web\/groups\/([^/]+)\/files$/))) return { kind: 'upload', object: { type: 'group', id: segment(m[1]), name: null } };
    if (method === 'POST' && (m = p.match(/^\/web\/files\/([^/]+)\/share$/)))
      return { kind: 'share', object: { type: 'file', id: segment(m[1]), name: null }, shareTargetField: 'email' };
    if (isPageView(method, p, headers)) return { kind: 'view' };
    return { kind: null };
  },
};

export const ADAPTERS: Readonly<Record<string, AppAdapter>> = { generic, 'workplace-web': workplaceWeb };

export const isAsset = (path: string): boolean => ASSET_RE.test(path.split('?')[0]);
