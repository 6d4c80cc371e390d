/**
 * @module posture/score
 * From a check's evaluation, the admin's declaration and status to the recommendation the API serves
 * and the points it earns (mdca-semantics.md §7): "risk accepted" earns nothing, the two "resolved
 * through" statuses earn the full points, "completed" must be confirmed by data. Pure functions.
 */
import { z } from 'zod';
import type { AppInstance, CheckEvaluation, CheckState, Evidence, ObservedKind, PostureCheck } from './check.ts';

export const STATUSES = [
  'to_address',
  'planned',
  'risk_accepted',
  'resolved_through_third_party',
  'resolved_through_alternate_mitigation',
  'completed',
] as const;
export type PostureStatus = (typeof STATUSES)[number];

/** Statuses whose points do not depend on the data. */
export const DATA_INDEPENDENT: ReadonlySet<PostureStatus> = new Set(['risk_accepted', 'resolved_through_third_party', 'resolved_through_alternate_mitigation']);

export const StatusChangeSchema = z.object({
  status: z.enum(STATUSES),
  by: z.string().min(1).max(256),
  at: z.string(),
  reason: z.string().max(4096),
});
export type StatusChange = z.output<typeof StatusChangeSchema>;

export interface StatusRecord extends StatusChange {
  instance: string;
  checkId: string;
  /** Earlier changes, newest first (bounded). */
  history: StatusChange[];
}

export const DECLARED_STATES = ['compliant', 'not_compliant'] as const;
export interface Declaration {
  instance: string;
  checkId: string;
  state: (typeof DECLARED_STATES)[number];
  justification: string;
  by: string;
  at: string;
}

/** The Graph secureScoreControlProfile-like record of one check on one app instance. */
export interface Recommendation {
  id: string;
  instance: string;
  app: string;
  tenant: string;
  title: string;
  controlCategory: PostureCheck['category'];
  actionType: PostureCheck['actionType'];
  actionUrl: string | null;
  maxScore: number;
  rank: number;
  remediation: string;
  remediationImpact: string;
  implementationCost: PostureCheck['implementationCost'];
  userImpact: PostureCheck['userImpact'];
  service: string;
  threats: PostureCheck['threats'];
  tier: PostureCheck['tier'];
  deprecated: false;
  observes: string;
  reviewable: NonNullable<PostureCheck['reviewable']> | null;
  /** The result used for scoring: the observation, or the declaration when the data says nothing. */
  result: CheckState;
  /** Whether `result` was observed in data or declared by an admin. */
  observed: ObservedKind;
  /** What the data alone says (before any declaration). */
  observedResult: CheckState;
  /** Points the evaluation earns before the status is applied. */
  evaluatedScore: number;
  /** Points earned after the status (the score counts these). */
  scoreEarned: number;
  pointsLeft: number;
  status: PostureStatus;
  /** `set` by an admin, or `derived` from the result (compliant: completed; otherwise to_address). */
  statusSource: 'set' | 'derived';
  statusBy: string | null;
  statusAt: string | null;
  statusReason: string | null;
  /** Graph's controlStateUpdates: every status change, newest first. */
  controlStateUpdates: StatusChange[];
  declaration: Declaration | null;
  /** Set when the status or the declaration disagrees with the data. */
  conflict: string | null;
  evidence: Evidence;
  evaluatedAt: string;
  lastModifiedDateTime: string;
}

const round = (n: number): number => Math.round(n * 100) / 100;

export function recommendation(
  check: PostureCheck,
  instance: AppInstance,
  ev: CheckEvaluation,
  evaluatedAt: string,
  status: StatusRecord | null,
  declaration: Declaration | null,
): Recommendation {
  let result = ev.status;
  let observed: ObservedKind = ev.observed;
  let evaluatedScore = round(Math.min(check.maxScore, Math.max(0, ev.scoreEarned)));
  const conflicts: string[] = [];
  if (declaration) {
    if (ev.status === 'unknown') {
      result = declaration.state;
      observed = 'declared';
      evaluatedScore = declaration.state === 'compliant' ? check.maxScore : 0;
    } else if (declaration.state !== ev.status) {
      conflicts.push(`Declared ${declaration.state} by ${declaration.by}, but the data says ${ev.status}; the data is used.`);
    }
  }
  const value: PostureStatus = status?.status ?? (result === 'compliant' ? 'completed' : 'to_address');
  let scoreEarned = evaluatedScore;
  if (value === 'risk_accepted') scoreEarned = 0;
  else if (value === 'resolved_through_third_party' || value === 'resolved_through_alternate_mitigation') scoreEarned = check.maxScore;
  if (status?.status === 'completed' && result !== 'compliant') {
    conflicts.push(
      result === 'unknown'
        ? `Marked completed by ${status.by}, but there is no data to confirm it.`
        : `Marked completed by ${status.by}, but the data says not compliant.`,
    );
  }
  const lastModified = [evaluatedAt, status?.at, declaration?.at].filter((x): x is string => Boolean(x)).sort().at(-1)!;
  return {
    id: check.id,
    instance: instance.id,
    app: instance.app,
    tenant: instance.tenant,
    title: check.title,
    controlCategory: check.category,
    actionType: check.actionType,
    actionUrl: check.actionUrl,
    maxScore: check.maxScore,
    rank: check.rank,
    remediation: check.remediation,
    remediationImpact: check.remediationImpact,
    implementationCost: check.implementationCost,
    userImpact: check.userImpact,
    service: check.app,
    threats: check.threats,
    tier: check.tier,
    deprecated: false,
    observes: check.observes,
    reviewable: check.reviewable ?? null,
    result,
    observed,
    observedResult: ev.status,
    evaluatedScore,
    scoreEarned: round(scoreEarned),
    pointsLeft: round(check.maxScore - scoreEarned),
    status: value,
    statusSource: status ? 'set' : 'derived',
    statusBy: status?.by ?? null,
    statusAt: status?.at ?? null,
    statusReason: status?.reason ?? null,
    controlStateUpdates: status ? [{ status: status.status, by: status.by, at: status.at, reason: status.reason }, ...status.history] : [],
    declaration,
    conflict: conflicts.length ? conflicts.join(' ') : null,
    evidence: ev.evidence,
    evaluatedAt,
    lastModifiedDateTime: lastModified,
  };
}

const COST_ORDER = { low: 0, moderate: 1, high: 2 } as const;

/** MDCA's order: points left to achieve, then implementation cost, then user impact (then the catalogue rank). */
export function rankRecommendations(recs: Recommendation[]): Recommendation[] {
  return [...recs].sort(
    (a, b) =>
      b.pointsLeft - a.pointsLeft ||
      COST_ORDER[a.implementationCost] - COST_ORDER[b.implementationCost] ||
      COST_ORDER[a.userImpact] - COST_ORDER[b.userImpact] ||
      a.rank - b.rank ||
      a.instance.localeCompare(b.instance),
  );
}

export interface ScoreLine {
  earned: number;
  possible: number;
  /** earned / possible in percent, one decimal; null when nothing is possible. */
  pct: number | null;
}

export const scoreOf = (recs: readonly Recommendation[]): ScoreLine => {
  const earned = round(recs.reduce((s, r) => s + r.scoreEarned, 0));
  const possible = round(recs.reduce((s, r) => s + r.maxScore, 0));
  return { earned, possible, pct: possible > 0 ? Math.round((earned / possible) * 1000) / 10 : null };
};
