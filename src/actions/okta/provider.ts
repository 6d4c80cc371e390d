/**
 * @module actions/okta/provider
 * Okta Users API with an SSWS API token: `DELETE /api/v1/users/{id}/sessions`,
 * `POST /api/v1/users/{id}/lifecycle/suspend` and `/unsuspend`. Users are looked up by login
 * (`GET /api/v1/users/{login}`) for their id and status, which also makes suspend/unsuspend
 * idempotent (Okta answers 400 when the user is already in the wanted state). Scope: okta.users.manage.
 */
import { httpCall, pathSegment, type HttpResponse, type ProviderHttp } from '../http.ts';
import type { Provider, ProviderOp, Target } from '../provider.ts';

export interface OktaProviderOptions {
  orgUrl: string;
  apiToken: string;
  timeoutMs: number;
}

/** X-Rate-Limit-Reset is the epoch second the window resets; measured against the server's Date. */
export function oktaResetDelay(res: Pick<HttpResponse, 'headers'>, now = Date.now()): number | null {
  const reset = Number(res.headers['x-rate-limit-reset']);
  if (!Number.isFinite(reset) || reset <= 0) return null;
  const date = Date.parse(String(res.headers.date ?? ''));
  return Math.max(0, reset * 1000 - (Number.isNaN(date) ? now : date));
}

const OKTA: ProviderHttp = {
  provider: 'okta',
  errorMessage: (json) => {
    const j = json as { errorCode?: unknown; errorSummary?: unknown; errorCauses?: Array<{ errorSummary?: unknown }> } | null;
    if (!j || typeof j.errorCode !== 'string') return null;
    const causes = (j.errorCauses ?? []).map((c) => String(c.errorSummary ?? '')).filter(Boolean);
    return `${j.errorCode}: ${String(j.errorSummary)}${causes.length ? ` (${causes.join('; ')})` : ''}`;
  },
  retryAfter: (res) => oktaResetDelay(res),
};

interface OktaUser {
  id: string;
  status: string;
}

export class OktaProvider implements Provider {
  readonly name = 'okta' as const;
  readonly #o: OktaProviderOptions;

  constructor(o: OktaProviderOptions) {
    this.#o = { ...o, orgUrl: o.orgUrl.replace(/\/+$/, '') };
  }

  #login(t: Target): string {
    return t.email ?? t.user;
  }

  get #headers() {
    return { authorization: `SSWS ${this.#o.apiToken}` };
  }

  describe(op: ProviderOp, t: Target): string[] {
    const base = `${this.#o.orgUrl}/api/v1/users`;
    const lookup = `GET ${base}/${this.#login(t)}`;
    if (op === 'sign_out') return [lookup, `DELETE ${base}/{id}/sessions`];
    return [lookup, `POST ${base}/{id}/lifecycle/${op}`];
  }

  async run(op: ProviderOp, t: Target, signal?: AbortSignal): Promise<string> {
    const login = this.#login(t);
    const user = await this.#lookup(login, signal);
    const base = `${this.#o.orgUrl}/api/v1/users/${pathSegment(user.id)}`;
    const call = (method: 'POST' | 'DELETE', url: string) => httpCall(OKTA, { method, url, headers: this.#headers, timeoutMs: this.#o.timeoutMs, signal });
    if (op === 'sign_out') {
      await call('DELETE', `${base}/sessions`);
      return `okta: cleared all sessions of ${login}`;
    }
    const want = op === 'suspend' ? 'SUSPENDED' : 'ACTIVE';
    if (user.status === want) return `okta: ${login} already ${want}`;
    await call('POST', `${base}/lifecycle/${op}`);
    return `okta: ${op === 'suspend' ? 'suspended' : 'unsuspended'} ${login}`;
  }

  async #lookup(login: string, signal?: AbortSignal): Promise<OktaUser> {
    const res = await httpCall(OKTA, {
      method: 'GET',
      url: `${this.#o.orgUrl}/api/v1/users/${pathSegment(login)}`,
      headers: this.#headers,
      timeoutMs: this.#o.timeoutMs,
      signal,
    });
    const j = res.json as { id?: unknown; status?: unknown } | null;
    return { id: String(j?.id ?? login), status: String(j?.status ?? '') };
  }
}
