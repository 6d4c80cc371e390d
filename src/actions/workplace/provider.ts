/**
 * @module actions/workplace/provider
 * Workplace from Meta, natively (workplace-api.md sections 2, 6, 7): sign-out with Graph
 * `POST /{user-id}/logout`; suspend with SCIM `PATCH /Users/{id}` `active:false` (or Graph
 * `POST /{id}?active=false`); unsuspend with `active:true`. Permission: "Manage accounts".
 */
import { createHmac } from 'node:crypto';
import { httpCall, pathSegment, type HttpResponse, type ProviderHttp } from '../http.ts';
import { ProviderError } from '../provider-error.ts';
import type { Provider, ProviderOp, Target } from '../provider.ts';

export interface WorkplaceProviderOptions {
  graphUrl: string;
  scimUrl: string;
  accessToken: string;
  appSecret?: string;
  suspendVia: 'scim' | 'graph';
  timeoutMs: number;
}

const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** Graph error codes that mean "slow down" or "try again" even when the HTTP status is 4xx. */
const THROTTLE_CODES = new Set([4, 17, 32, 341, 613]);
const TRANSIENT_CODES = new Set([1, 2]);

const trim = (u: string) => u.replace(/\/+$/, '');

function graphMessage(json: unknown): string | null {
  const e = (json as { error?: { message?: unknown; code?: unknown } } | null)?.error;
  if (e && typeof e === 'object') return `${String(e.message ?? 'error')}${e.code !== undefined ? ` (code ${String(e.code)})` : ''}`;
  const scim = json as { detail?: unknown; status?: unknown } | null;
  if (scim && typeof scim === 'object' && scim.detail) return `SCIM ${String(scim.status ?? '')}: ${String(scim.detail)}`;
  return null;
}

export class WorkplaceProvider implements Provider {
  readonly name = 'workplace' as const;
  readonly #o: WorkplaceProviderOptions;
  readonly #http: ProviderHttp;
  readonly #proof: string | null;
  /** SCIM ids found by userName, so the Graph calls that follow use the id too. */
  readonly #idByEmail = new Map<string, string>();

  constructor(o: WorkplaceProviderOptions) {
    this.#o = { ...o, graphUrl: trim(o.graphUrl), scimUrl: trim(o.scimUrl) };
    this.#proof = o.appSecret ? createHmac('sha256', o.appSecret).update(o.accessToken).digest('hex') : null;
    this.#http = {
      provider: 'workplace',
      errorMessage: graphMessage,
      classify: (res: HttpResponse) => {
        const code = (res.json as { error?: { code?: unknown } } | null)?.error?.code;
        if (typeof code !== 'number' || res.status === 429 || res.status >= 500) return null;
        const reason = THROTTLE_CODES.has(code) ? 'throttled' : TRANSIENT_CODES.has(code) ? 'server_error' : code === 190 ? 'auth' : null;
        return reason
          ? new ProviderError({ provider: 'workplace', reason, status: res.status, message: `HTTP ${res.status}: ${graphMessage(res.json)}` })
          : null;
      },
    };
  }

  /** Graph accepts the member id or the email in the path; SCIM needs the id. */
  #graphUser(t: Target): string {
    return t.appUserId ?? this.#idByEmail.get((t.email ?? t.user).toLowerCase()) ?? t.email ?? t.user;
  }

  #graph(path: string, query: Record<string, string> = {}): string {
    const u = new URL(`${this.#o.graphUrl}/${path}`);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    if (this.#proof) u.searchParams.set('appsecret_proof', this.#proof);
    return u.toString();
  }

  get #auth() {
    return { authorization: `Bearer ${this.#o.accessToken}` };
  }

  describe(op: ProviderOp, t: Target): string[] {
    const id = this.#graphUser(t);
    if (op === 'sign_out') return [`POST ${this.#o.graphUrl}/${id}/logout`];
    const active = op === 'unsuspend';
    if (this.#o.suspendVia === 'graph') return [`POST ${this.#o.graphUrl}/${id}?active=${active}`];
    const lookup = t.appUserId ? [] : [`GET ${this.#o.scimUrl}/Users?filter=userName eq "${t.email ?? t.user}"`];
    return [...lookup, `PATCH ${this.#o.scimUrl}/Users/${t.appUserId ?? '{id}'} active:${active}`];
  }

  async run(op: ProviderOp, t: Target, signal?: AbortSignal): Promise<string> {
    if (op === 'sign_out') {
      const id = this.#graphUser(t);
      const res = await httpCall(this.#http, { method: 'POST', url: this.#graph(`${pathSegment(id)}/logout`), headers: this.#auth, timeoutMs: this.#o.timeoutMs, signal });
      this.#expectSuccess(res, `POST /${id}/logout`);
      return `workplace: signed ${id} out of all devices`;
    }
    const active = op === 'unsuspend';
    if (this.#o.suspendVia === 'graph') {
      const id = this.#graphUser(t);
      const res = await httpCall(this.#http, {
        method: 'POST',
        url: this.#graph(pathSegment(id), { active: String(active) }),
        headers: this.#auth,
        timeoutMs: this.#o.timeoutMs,
        signal,
      });
      this.#expectSuccess(res, `POST /${id}?active=${active}`);
      return `workplace: ${active ? 'reactivated' : 'deactivated'} ${id} (Graph)`;
    }
    const id = t.appUserId ?? this.#idByEmail.get((t.email ?? t.user).toLowerCase()) ?? (await this.#scimIdFor(t.email ?? t.user, signal));
    await httpCall(this.#http, {
      method: 'PATCH',
      url: `${this.#o.scimUrl}/Users/${pathSegment(id)}`,
      headers: this.#auth,
      body: { schemas: [SCIM_PATCH], Operations: [{ op: 'replace', path: 'active', value: active }] },
      timeoutMs: this.#o.timeoutMs,
      signal,
    });
    return `workplace: ${active ? 'reactivated' : 'deactivated'} ${id} (SCIM)`;
  }

  /** Graph answers `{"success":true}`; an explicit false is a refusal. */
  #expectSuccess(res: HttpResponse, what: string): void {
    if ((res.json as { success?: unknown } | null)?.success === false)
      throw new ProviderError({ provider: 'workplace', reason: 'rejected', status: res.status, message: `${what}: Graph answered success:false`, request: what });
  }

  async #scimIdFor(email: string, signal?: AbortSignal): Promise<string> {
    const u = new URL(`${this.#o.scimUrl}/Users`);
    u.searchParams.set('filter', `userName eq "${email.replace(/["\\]/g, '')}"`);
    const res = await httpCall(this.#http, { method: 'GET', url: u.toString(), headers: this.#auth, timeoutMs: this.#o.timeoutMs, signal });
    // Only a user whose userName IS the address, and only one: a server that ignores the filter answers with
    // other people first, and suspending Resources[0] would lock out someone else.
    const resources = (res.json as { Resources?: unknown } | null)?.Resources;
    const matches = (Array.isArray(resources) ? resources : []).filter(
      (r): r is { id: unknown; userName: string } => typeof r === 'object' && r !== null && typeof (r as { userName?: unknown }).userName === 'string' && (r as { userName: string }).userName.toLowerCase() === email.toLowerCase(),
    );
    const id = matches.length === 1 ? matches[0].id : undefined;
    if (matches.length > 1)
      throw new ProviderError({ provider: 'workplace', reason: 'rejected', status: res.status, message: `SCIM has ${matches.length} users with userName ${email}; acting on none`, request: 'GET /Users' });
    if (id === undefined || id === null || (typeof id !== 'string' && typeof id !== 'number'))
      throw new ProviderError({ provider: 'workplace', reason: 'not_found', status: 404, message: `SCIM has no user with userName ${email}`, request: 'GET /Users' });
    if (this.#idByEmail.size > 10_000) this.#idByEmail.clear(); // bounded
    this.#idByEmail.set(email.toLowerCase(), String(id));
    return String(id);
  }
}
