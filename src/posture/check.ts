/**
 * @module posture/check
 * The one interface of a security posture check (SSPM) and the record the API serves for it, shaped
 * like Microsoft Graph's `secureScoreControlProfile` (mdca-semantics.md §7). A check is one file under
 * checks/<app>/, listed in checks/index.ts; it reads only its CheckContext, never the store directly,
 * so its fixtures can be small.
 */
import type { Activity } from '../schema/activity.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import type { PostureConfig } from './config.ts';

export const CONTROL_CATEGORIES = ['Identity', 'Data', 'Device', 'Apps'] as const;
export const ACTION_TYPES = ['Config', 'Review', 'Behavior'] as const;
export const COSTS = ['low', 'moderate', 'high'] as const;
export const TIERS = ['Core', 'Defense in Depth', 'Advanced'] as const;
/** Graph's threat names. */
export const THREATS = [
  'accountBreach',
  'dataDeletion',
  'dataExfiltration',
  'dataSpillage',
  'elevationOfPrivilege',
  'maliciousInsider',
  'passwordCracking',
  'phishingOrWhaling',
  'spoofing',
] as const;
export const CHECK_STATES = ['compliant', 'not_compliant', 'unknown'] as const;
/** Whether a result comes from data Rampart read, or from an admin's declaration. */
export const OBSERVED_KINDS = ['observed', 'declared'] as const;

export type ControlCategory = (typeof CONTROL_CATEGORIES)[number];
export type ActionType = (typeof ACTION_TYPES)[number];
export type Cost = (typeof COSTS)[number];
export type Tier = (typeof TIERS)[number];
export type Threat = (typeof THREATS)[number];
export type CheckState = (typeof CHECK_STATES)[number];
export type ObservedKind = (typeof OBSERVED_KINDS)[number];

/** One app instance scored on its own (Workplace: one community). */
export interface AppInstance {
  /** `workplace`, or `workplace:<tenant>` when the directory names a tenant. */
  id: string;
  app: string;
  tenant: string;
}

/** An account (or an integration) named in evidence. */
export interface EvidenceItem {
  kind: 'account' | 'integration';
  id: string;
  email: string | null;
  name: string | null;
  /** Why it is listed, e.g. "password", "last login 2026-01-02", "2FA disabled 2026-03-04". */
  detail: string;
  /** Items an admin can mark reviewed (integrations, external accounts): who reviewed and when. */
  reviewed?: { by: string; at: string; reason: string } | null;
  /** Activity ids behind the item (event-based checks), capped. */
  activityIds?: string[];
}

export interface Evidence {
  /** Complete counts (never capped), e.g. `{ activeUsers: 300, sso: 240, password: 60 }`. */
  counts: Record<string, number>;
  /** The accounts or integrations involved, at most `posture.evidenceLimit`. */
  accounts: EvidenceItem[];
  /** How many there are in all (accounts may be capped). */
  accountsTotal: number;
  /** Plain sentences: what was measured, why the result is unknown, coverage gaps. */
  notes: string[];
}

export interface CheckEvaluation {
  status: CheckState;
  scoreEarned: number;
  evidence: Evidence;
  observed: ObservedKind;
}

/** An admin's mark that an item (integration, external account) was reviewed. */
export interface ItemReview {
  item: string;
  by: string;
  at: string;
  reason: string;
}

export interface ActivityWindow {
  items: Activity[];
  /** True when more matched than the scan budget allowed (the evidence says so). */
  truncated: boolean;
}

/** What a check may read. Built from the store by context.ts; tests build it from fixtures the same way. */
export interface CheckContext {
  /** Evaluation time (ISO). */
  now: string;
  instance: AppInstance;
  config: PostureConfig;
  /** organization.domains, lower case. */
  organizationDomains: readonly string[];
  /** The instance's directory (SCIM + admins list); empty when it was never synced. */
  users: readonly DirectoryUser[];
  /** Time of the oldest stored activity of the app, or null when the log is empty. */
  activityLogFrom: string | null;
  /** Latest time the user did `action` at or after `from` (by user id, then email), or null. */
  lastActivity(user: Pick<DirectoryUser, 'id' | 'email'>, action: string, from: string): Promise<string | null>;
  /** The app's activities with one of `actions` at or after `from`, oldest first, bounded. */
  activities(actions: readonly string[], from: string): Promise<ActivityWindow>;
  /** Reviews recorded for this check's items, by item id. */
  reviews: ReadonlyMap<string, ItemReview>;
}

export interface PostureCheck {
  /** Stable id, `<app>.<name>`; alerts use `posture:<id>`. */
  id: string;
  title: string;
  /** Graph `service`: the app the check is about. */
  app: string;
  category: ControlCategory;
  actionType: ActionType;
  maxScore: number;
  /** Tie-break order of the catalogue (1 first). */
  rank: number;
  /** What to do, in the app's admin panel. */
  remediation: string;
  /** What users will notice when it is done. */
  remediationImpact: string;
  implementationCost: Cost;
  userImpact: Cost;
  threats: Threat[];
  tier: Tier;
  actionUrl: string | null;
  /** What the check reads (shown in the API and docs/posture.md). */
  observes: string;
  /** When set, items of this kind can be marked reviewed (PUT .../reviews/:item). */
  reviewable?: 'account' | 'integration';
  evaluate(ctx: CheckContext): Promise<CheckEvaluation>;
}

// ---- helpers shared by the checks ----

export const DAY_MS = 86_400_000;

/** `days` before `now`, as ISO. */
export const daysBefore = (now: string, days: number): string => new Date(Date.parse(now) - days * DAY_MS).toISOString();

/** Points for a share in [0,1], rounded to two decimals. */
export const pointsFor = (max: number, share: number): number => Math.round(max * Math.max(0, Math.min(1, share)) * 100) / 100;

export const accountItem = (u: Pick<DirectoryUser, 'id' | 'email' | 'name'>, detail: string): EvidenceItem => ({
  kind: 'account',
  id: u.id,
  email: u.email,
  name: u.name,
  detail,
});

export function evidence(ctx: CheckContext, counts: Record<string, number>, items: EvidenceItem[], notes: string[] = []): Evidence {
  // Items still needing attention first (not yet reviewed), then by email or id.
  const sorted = [...items].sort((a, b) => Number(Boolean(a.reviewed)) - Number(Boolean(b.reviewed)) || (a.email ?? a.id).localeCompare(b.email ?? b.id));
  return { counts, accounts: sorted.slice(0, ctx.config.evidenceLimit), accountsTotal: items.length, notes };
}

export const result = (status: CheckState, scoreEarned: number, ev: Evidence): CheckEvaluation => ({ status, scoreEarned, evidence: ev, observed: 'observed' });

/** The "no data" result: unknown, no points, and why. */
export const unknown = (ctx: CheckContext, why: string, counts: Record<string, number> = {}): CheckEvaluation =>
  result('unknown', 0, evidence(ctx, counts, [], [why]));

/** Active (not deactivated, not past the term date) users at `now`. */
export function activeUsers(ctx: CheckContext): DirectoryUser[] {
  return ctx.users.filter((u) => u.active && !(u.termDate && u.termDate <= ctx.now));
}

export const NO_DIRECTORY = 'No directory data for this instance yet: run a directory sync (connectors.workplace.accessToken).';

/** Whether the activity log reaches back `days` from now. */
export function logCovers(ctx: CheckContext, days: number): boolean {
  return ctx.activityLogFrom !== null && ctx.activityLogFrom <= daysBefore(ctx.now, days);
}

export const dateOnly = (iso: string | null): string => (iso ? iso.slice(0, 10) : 'unknown');
