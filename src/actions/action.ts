/**
 * @module actions/action
 * A governance action (MDCA semantics, mdca-semantics.md section 3): one file per action behind this
 * interface, registered in actions/registry.ts. `plan` says what would happen (dry-run, approval, the log);
 * `execute` makes one attempt and throws ProviderError (transient or permanent) on failure.
 */
import type { Alert } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import type { Provider, ProviderName, Target } from './provider.ts';
import type { Notifier } from './notify/notifier.ts';
import type { NotifyConfig } from './config.ts';

export const ACTION_NAMES = ['notify_user', 'require_sign_in', 'suspend_user', 'unsuspend_user'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

/** Where an action is carried out: an account provider, or SMTP for notifications. */
export type Channel = ProviderName | 'smtp';

export interface ActionParams {
  target: Target;
  /** Account provider (ignored by notify_user). */
  provider: ProviderName;
  reason: string;
  /** The alert that triggered it (automatic actions); null when a person asked. */
  alert: Alert | null;
  /** Governance log id: used as the idempotency key towards the provider (e.g. the email Message-ID). */
  entryId: string;
}

export interface ActionContext {
  provider(name: ProviderName): Provider;
  notifier(): Notifier;
  notify: NotifyConfig;
  directoryUser(app: string, idOrEmail: string): Promise<DirectoryUser | null>;
  signal?: AbortSignal;
}

export interface ActionPlan {
  /** One line for people: "suspend alice@acme.example in Okta (and sign out all sessions)". */
  summary: string;
  /** The requests that would be made (method and path, or the email recipients). */
  steps: string[];
}

export interface Action {
  readonly name: ActionName;
  /** Actions this one contains: when both apply, only this one runs (MDCA "the stronger action"). */
  readonly includes: readonly ActionName[];
  /** Subject to the suspension safety rules (protected accounts, approval, hourly limit). */
  readonly suspends: boolean;
  /** The action that undoes this one, for `revert`; null when it cannot be undone. */
  readonly revertWith: ActionName | null;
  channel(params: ActionParams): Channel;
  plan(params: ActionParams, ctx: ActionContext): Promise<ActionPlan>;
  /** One attempt; resolves to a short outcome line for the log. */
  execute(params: ActionParams, ctx: ActionContext): Promise<string>;
}
