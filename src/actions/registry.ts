/**
 * @module actions/registry
 * The one place actions and providers are registered.
 */
import type { Action, ActionName } from './action.ts';
import { notifyUser } from './notify-user.ts';
import { requireSignIn } from './require-sign-in.ts';
import { suspendUser } from './suspend-user.ts';
import { unsuspendUser } from './unsuspend-user.ts';
import type { Provider, ProviderName } from './provider.ts';
import type { GovernanceConfig } from './config.ts';
import { WorkplaceProvider } from './workplace/provider.ts';
import { EntraProvider } from './entra/provider.ts';
import { OktaProvider } from './okta/provider.ts';
import { readSecret } from '../config/secret.ts';
import type { RetryPolicy } from './retry.ts';

export const ACTIONS: Record<ActionName, Action> = {
  notify_user: notifyUser,
  require_sign_in: requireSignIn,
  suspend_user: suspendUser,
  unsuspend_user: unsuspendUser,
};

/** Order in which the actions of one alert run: account actions first, the notification last. */
export const ACTION_ORDER: readonly ActionName[] = ['suspend_user', 'require_sign_in', 'unsuspend_user', 'notify_user'];

/** Builds the configured providers; secrets are read here, once. */
export function buildProviders(cfg: GovernanceConfig, retry: RetryPolicy, env: NodeJS.ProcessEnv = process.env): Partial<Record<ProviderName, Provider>> {
  const out: Partial<Record<ProviderName, Provider>> = {};
  const p = cfg.providers;
  if (p.workplace)
    out.workplace = new WorkplaceProvider({
      graphUrl: p.workplace.graphUrl,
      scimUrl: p.workplace.scimUrl,
      accessToken: readSecret(p.workplace.accessToken, 'governance.providers.workplace.accessToken', env),
      appSecret: p.workplace.appSecret ? readSecret(p.workplace.appSecret, 'governance.providers.workplace.appSecret', env) : undefined,
      suspendVia: p.workplace.suspendVia,
      timeoutMs: retry.timeoutMs,
    });
  if (p.entra)
    out.entra = new EntraProvider({
      tenantId: p.entra.tenantId,
      clientId: p.entra.clientId,
      clientSecret: readSecret(p.entra.clientSecret, 'governance.providers.entra.clientSecret', env),
      authorityUrl: p.entra.authorityUrl,
      graphUrl: p.entra.graphUrl,
      timeoutMs: retry.timeoutMs,
    });
  if (p.okta)
    out.okta = new OktaProvider({
      orgUrl: p.okta.orgUrl,
      apiToken: readSecret(p.okta.apiToken, 'governance.providers.okta.apiToken', env),
      timeoutMs: retry.timeoutMs,
    });
  return out;
}
