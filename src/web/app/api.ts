/** The console's only way to talk to Rampart: the REST API (docs/api.md), same origin, session cookie + CSRF header. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrf: string | null = null;
export const setCsrf = (t: string | null) => {
  csrf = t;
};

/** Called when the session is gone (401), so the shell can show the sign-in page. */
let onUnauthenticated: () => void = () => {};
export const setOnUnauthenticated = (f: () => void) => {
  onUnauthenticated = f;
};

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['x-csrf-token'] = csrf;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `Rampart is not reachable (${(e as Error).message})`);
  }
  const text = await res.text();
  let data: any = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthenticated();
    throw new ApiError(res.status, data?.code ?? `HTTP_${res.status}`, data?.message ?? `${res.status} ${res.statusText}`);
  }
  return data as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);

/** Builds `path?k=v` leaving out empty values. */
export function qs(path: string, params: Record<string, string | number | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `${path}?${s}` : path;
}
