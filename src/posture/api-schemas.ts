/**
 * @module posture/api-schemas
 * zod schemas of the posture API: requests are parsed with them, responses conform to them (the tests
 * parse every response), and `z.toJSONSchema` of them documents the API for the console.
 */
import { z } from 'zod';
import { ACTION_TYPES, CHECK_STATES, CONTROL_CATEGORIES, COSTS, OBSERVED_KINDS, THREATS, TIERS } from './check.ts';
import { DECLARED_STATES, STATUSES } from './score.ts';

const instanceParam = z.string().min(1).max(300).optional().describe('app instance, e.g. workplace:<communityId>; optional when the app has one');

// ---- requests ----

export const RecommendationParams = z.object({ id: z.string().min(1).max(200).describe('check id, e.g. workplace.adopt_sso') });
export const ReviewParams = z.object({ id: z.string().min(1).max(200), item: z.string().min(1).max(512).describe('integration id or account id from the evidence') });

export const ScoreQuery = z.object({ days: z.coerce.number().int().min(1).max(3650).default(90).describe('days of trend') });

export const RecommendationsQuery = z
  .object({
    instance: instanceParam,
    status: z.enum(STATUSES).optional(),
    result: z.enum(CHECK_STATES).optional(),
    category: z.enum(CONTROL_CATEGORIES).optional(),
  });

export const InstanceQuery = z.object({ instance: instanceParam });

export const StatusBody = z
  .object({
    status: z.enum(STATUSES),
    reason: z.string().trim().min(1, 'a reason is required').max(4096),
    instance: instanceParam,
  })
  .strict();

export const DeclarationBody = z
  .object({
    /** null withdraws the declaration. */
    state: z.enum(DECLARED_STATES).nullable(),
    justification: z.string().trim().max(4096).default(''),
    instance: instanceParam,
  })
  .strict()
  .refine((d) => d.state === null || d.justification.length > 0, { message: 'a declaration needs a justification', path: ['justification'] });

export const ReviewBody = z
  .object({ reason: z.string().trim().min(1, 'a reason is required').max(4096), instance: instanceParam })
  .strict();

// ---- responses ----

export const ScoreLineSchema = z.object({ earned: z.number(), possible: z.number(), pct: z.number().nullable() });

export const InstanceScoreSchema = ScoreLineSchema.extend({
  instance: z.string(),
  app: z.string(),
  tenant: z.string(),
  counts: z.object({ compliant: z.number(), notCompliant: z.number(), unknown: z.number(), declared: z.number(), conflicts: z.number() }),
});

export const SnapshotSchema = z.object({
  day: z.string(),
  at: z.string(),
  overall: ScoreLineSchema,
  instances: z.array(z.object({ instance: z.string(), earned: z.number(), possible: z.number(), pct: z.number().nullable() })),
});

export const ScoreResponse = z.object({
  evaluatedAt: z.string(),
  overall: ScoreLineSchema,
  instances: z.array(InstanceScoreSchema),
  /** One point per day, oldest first (the day's last evaluation). */
  trend: z.array(SnapshotSchema),
});

const EvidenceItemSchema = z.object({
  kind: z.enum(['account', 'integration']),
  id: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  detail: z.string(),
  reviewed: z.object({ by: z.string(), at: z.string(), reason: z.string() }).nullable().optional(),
  activityIds: z.array(z.string()).optional(),
});

export const EvidenceSchema = z.object({
  counts: z.record(z.string(), z.number()),
  accounts: z.array(EvidenceItemSchema),
  accountsTotal: z.number(),
  notes: z.array(z.string()),
});

const StatusChangeSchema = z.object({ status: z.enum(STATUSES), by: z.string(), at: z.string(), reason: z.string() });

export const RecommendationSchema = z.object({
  id: z.string(),
  instance: z.string(),
  app: z.string(),
  tenant: z.string(),
  title: z.string(),
  controlCategory: z.enum(CONTROL_CATEGORIES),
  actionType: z.enum(ACTION_TYPES),
  actionUrl: z.string().nullable(),
  maxScore: z.number(),
  rank: z.number(),
  remediation: z.string(),
  remediationImpact: z.string(),
  implementationCost: z.enum(COSTS),
  userImpact: z.enum(COSTS),
  service: z.string(),
  threats: z.array(z.enum(THREATS)),
  tier: z.enum(TIERS),
  deprecated: z.literal(false),
  observes: z.string(),
  reviewable: z.enum(['account', 'integration']).nullable(),
  result: z.enum(CHECK_STATES),
  observed: z.enum(OBSERVED_KINDS),
  observedResult: z.enum(CHECK_STATES),
  evaluatedScore: z.number(),
  scoreEarned: z.number(),
  pointsLeft: z.number(),
  status: z.enum(STATUSES),
  statusSource: z.enum(['set', 'derived']),
  statusBy: z.string().nullable(),
  statusAt: z.string().nullable(),
  statusReason: z.string().nullable(),
  controlStateUpdates: z.array(StatusChangeSchema),
  declaration: z
    .object({ instance: z.string(), checkId: z.string(), state: z.enum(DECLARED_STATES), justification: z.string(), by: z.string(), at: z.string() })
    .nullable(),
  conflict: z.string().nullable(),
  evidence: EvidenceSchema,
  evaluatedAt: z.string(),
  lastModifiedDateTime: z.string(),
});

/** In lists the evidence is reduced to its counts (the detail route has the accounts). */
export const RecommendationSummarySchema = RecommendationSchema.omit({ evidence: true }).extend({
  evidenceCounts: z.record(z.string(), z.number()),
  accountsTotal: z.number(),
});

export const RecommendationsResponse = z.object({
  evaluatedAt: z.string(),
  overall: ScoreLineSchema,
  items: z.array(RecommendationSummarySchema),
});

export const RecomputeResponse = z.object({
  evaluatedAt: z.string(),
  overall: ScoreLineSchema,
  instances: z.array(InstanceScoreSchema),
});

/** JSON Schemas of every request and response, for the API reference and the console. */
export const postureJsonSchemas = (): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries({
      ScoreQuery,
      RecommendationsQuery,
      StatusBody,
      DeclarationBody,
      ReviewBody,
      ScoreResponse,
      RecommendationsResponse,
      RecommendationSchema,
      RecomputeResponse,
    }).map(([k, s]) => [k, z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' })]),
  );
