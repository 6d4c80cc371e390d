/**
 * @module actions/entra/provider
 * Microsoft Entra ID through Microsoft Graph: an app-only token from the OAuth2 client-credentials flow
 * (`POST {authority}/{tenant}/oauth2/v2.0/token`), then `POST /users/{id}/revokeSignInSessions`
 * and `PATCH /users/{id}` `accountEnabled`. Permissions: User.RevokeSessions.All and
 * User.EnableDisableAccount.All (plus User.Read.All), or Directory.ReadWrite.All.
 */
import { httpCall, pathSegment, type ProviderHttp } from '../http.ts';
import { ProviderError } from '../provider-error.ts';
import type { Provider, ProviderOp, Target } from '../provider.ts';

export interface EntraProviderOptions {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityUrl: string;
  graphUrl: string;
  timeoutMs: number;
}

const trim = (u: string) => u.replace(/\/+$/, '');

const GRAPH: ProviderHttp = {
  provider: 'entra',
  errorMessage: (json) => {
    const e = (json as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    return e && typeof e === 'object' ? `${String(e.code)}: ${String(e.message)}` : null;
  },
};

const TOKEN: ProviderHttp = {
  provider: 'entra',
  errorMessage: (json) => {
    const j = json as { error?: unknown; error_description?: unknown } | null;
    return j && typeof j.error === 'string' ? `token endpoint: ${j.error}: ${String(j.error_description ?? '').split('\r\n')[0]}` : null;
  },
};

export class EntraProvider implements Provider {
  readonly name = 'entra' as const;
  readonly #o: EntraProviderOptions;
  #token: { value: string; expiresAt: number } | null = null;

  constructor(o: EntraProviderOptions) {
    this.#o = { ...o, authorityUrl: trim(o.authorityUrl), graphUrl: trim(o.graphUrl) };
  }

  /** Graph addresses users by object id or userPrincipalName; the email is the UPN in most tenants. */
  #user(t: Target): string {
    return t.email ?? t.user;
  }

  describe(op: ProviderOp, t: Target): string[] {
    const u = `${this.#o.graphUrl}/users/${this.#user(t)}`;
    if (op === 'sign_out') return [`POST ${u}/revokeSignInSessions`];
    return [`PATCH ${u} accountEnabled:${op === 'unsuspend'}`];
  }

  async run(op: ProviderOp, t: Target, signal?: AbortSignal): Promise<string> {
    const user = this.#user(t);
    const url = `${this.#o.graphUrl}/users/${pathSegment(user)}`;
    if (op === 'sign_out') {
      await this.#graph('POST', `${url}/revokeSignInSessions`, undefined, signal);
      return `entra: revoked sign-in sessions of ${user}`;
    }
    const enabled = op === 'unsuspend';
    await this.#graph('PATCH', url, { accountEnabled: enabled }, signal);
    return `entra: ${enabled ? 'enabled' : 'disabled'} ${user}`;
  }

  /** A rejected cached token (rotated secret, revoked consent) is dropped and fetched once more. */
  async #graph(method: 'POST' | 'PATCH', url: string, body: unknown, signal?: AbortSignal): Promise<void> {
    const cached = this.#token !== null;
    try {
      await httpCall(GRAPH, { method, url, body: body ?? (method === 'POST' ? '' : undefined), headers: { authorization: `Bearer ${await this.#accessToken(signal)}` }, timeoutMs: this.#o.timeoutMs, signal });
    } catch (err) {
      if (!(err instanceof ProviderError) || err.reason !== 'auth' || !cached) throw err;
      this.#token = null;
      await httpCall(GRAPH, { method, url, body: body ?? (method === 'POST' ? '' : undefined), headers: { authorization: `Bearer ${await this.#accessToken(signal)}` }, timeoutMs: this.#o.timeoutMs, signal });
    }
  }

  async #accessToken(signal?: AbortSignal): Promise<string> {
    if (this.#token && this.#token.expiresAt > Date.now()) return this.#token.value;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.#o.clientId,
      client_secret: this.#o.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    });
    const res = await httpCall(TOKEN, {
      method: 'POST',
      url: `${this.#o.authorityUrl}/${pathSegment(this.#o.tenantId)}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      timeoutMs: this.#o.timeoutMs,
      signal,
    }).catch((err: unknown) => {
      // The token endpoint answers 400/401 invalid_client for a bad secret: a credentials problem, not a bad request.
      if (err instanceof ProviderError && err.kind === 'permanent')
        throw new ProviderError({ provider: 'entra', reason: 'auth', status: err.status, message: err.message, request: err.request });
      throw err;
    });
    const j = res.json as { access_token?: unknown; expires_in?: unknown } | null;
    if (typeof j?.access_token !== 'string')
      throw new ProviderError({ provider: 'entra', reason: 'server_error', status: res.status, message: 'token endpoint answered without access_token' });
    // A lifetime that is not a positive number (NaN from "soon") is read as Entra's usual hour rather than as
    // "expired": NaN made every call fetch a new token.
    const given = Number(j.expires_in ?? 3599);
    const ttl = Number.isFinite(given) && given > 0 ? Math.min(given, 86_400) : 3599;
    // Refresh a minute early so a token never expires in flight.
    this.#token = { value: j.access_token, expiresAt: Date.now() + Math.max(0, ttl - 60) * 1000 };
    return j.access_token;
  }
}
