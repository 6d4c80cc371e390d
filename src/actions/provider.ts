/**
 * @module actions/provider
 * A provider carries out account operations against one identity system (Workplace itself, Microsoft
 * Entra ID, Okta). Each is one folder behind this interface, registered in actions/registry.ts.
 * `run` makes ONE attempt (possibly several requests); the governance executor retries and logs it.
 * Every operation is idempotent at the provider (signing out twice, suspending a suspended user),
 * which is what makes resuming a pending action after a crash safe.
 */

export const PROVIDER_NAMES = ['workplace', 'entra', 'okta'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const PROVIDER_OPS = ['sign_out', 'suspend', 'unsuspend'] as const;
export type ProviderOp = (typeof PROVIDER_OPS)[number];

/** The account an action is about, as the alert or the operator named it. */
export interface Target {
  /** App the alert came from (directory lookups use it). */
  app: string;
  /** The user as given: email when known, else the app's id. */
  user: string;
  /** The app's own user id (Workplace: the Graph/SCIM id), when known. */
  appUserId: string | null;
  email: string | null;
}

export interface Provider {
  readonly name: ProviderName;
  /** The requests `run` would make, for plans and dry-run (no network). */
  describe(op: ProviderOp, target: Target): string[];
  /** One attempt; resolves to a short outcome line, throws ProviderError. */
  run(op: ProviderOp, target: Target, signal?: AbortSignal): Promise<string>;
}
