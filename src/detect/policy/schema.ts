/**
 * @module detect/policy/schema
 * An activity policy is data: a YAML file in the policies folder, or the same object through the API.
 * This strict zod schema is the source of the types, the defaults and the JSON Schema (`policyJsonSchema`).
 */
import { z } from 'zod';
import { MITRE_TACTICS, SEVERITIES } from '../../schema/alert.ts';
import { FiltersSchema } from './filters.ts';

/** MDCA policy categories (API `stories`), minus cloud discovery which has no meaning here. */
export const POLICY_CATEGORIES = [
  'threat_detection',
  'privileged_accounts',
  'compliance',
  'dlp',
  'sharing_control',
  'access_control',
  'configuration_control',
] as const;

export const GOVERNANCE_ACTIONS = ['notify_user', 'require_sign_in', 'suspend_user'] as const;

/** Longest window a repeated-activity policy may use (state is kept per user for this long). */
export const MAX_WINDOW_SECS = 7 * 86_400;

export const POLICY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const SingleActOnSchema = z.object({ mode: z.literal('single') }).strict();

const RepeatedActOnSchema = z
  .object({
    mode: z.literal('repeated'),
    /** Fires when this many matching activities by one user fall within the window ("more than 50" = 51). */
    minCount: z.number().int().min(2).max(1_000_000),
    windowSecs: z.number().int().min(1).max(MAX_WINDOW_SECS),
    /** Count per user AND app: fire only when the repeats happen in the same app. */
    singleApp: z.boolean().default(false),
    /** Count distinct target objects only (repeats on the same object by the same user count once). */
    uniqueTargets: z.boolean().default(false),
  })
  .strict();

export const ActOnSchema = z.discriminatedUnion('mode', [SingleActOnSchema, RepeatedActOnSchema]);

export const PolicyAlertSettingsSchema = z
  .object({
    /** "Create an alert for each matching event with the policy's severity". Off: match counts only. */
    create: z.boolean().default(true),
    /** Most alerts this policy raises per UTC day (event time); further matches are counted, not raised. */
    dailyLimit: z.number().int().min(1).max(100_000).default(1000),
    /** Extra email recipients for this policy's alerts (the delivery issue sends them). */
    emailTo: z.array(z.email().max(320)).max(50).default([]),
  })
  .strict();

/** A governance action to run when the policy alerts; stored here, executed by the governance component. */
export const GovernanceActionSchema = z
  .object({
    action: z.enum(GOVERNANCE_ACTIONS),
    /** Limit the action to one app; default: the app of the activity. */
    app: z.string().min(1).max(64).optional(),
    /** For notify_user: text sent to the user. */
    message: z.string().max(2000).optional(),
  })
  .strict();

export const PolicySchema = z
  .object({
    /** Unique; alerts carry `detection: "policy:<name>"`. */
    name: z.string().regex(POLICY_NAME_PATTERN, 'letters, digits, "_", "." and "-", starting with a letter or digit, at most 128'),
    description: z.string().max(4000).default(''),
    enabled: z.boolean().default(true),
    severity: z.enum(SEVERITIES).default('medium'),
    category: z.enum(POLICY_CATEGORIES).default('threat_detection'),
    mitreTactic: z.enum(MITRE_TACTICS).nullable().default(null),
    /** Activities matching ALL of these conditions (see docs/policies.md). */
    filters: FiltersSchema.default([]),
    actOn: ActOnSchema.default({ mode: 'single' }),
    alerts: PolicyAlertSettingsSchema.default({ create: true, dailyLimit: 1000, emailTo: [] }),
    actions: z.array(GovernanceActionSchema).max(10).default([]),
  })
  .strict();

export type Policy = z.output<typeof PolicySchema>;
export type PolicyInput = z.input<typeof PolicySchema>;
export type PolicyCategory = (typeof POLICY_CATEGORIES)[number];
export type ActOn = z.output<typeof ActOnSchema>;
export type RepeatedActOn = z.output<typeof RepeatedActOnSchema>;
export type GovernanceAction = z.output<typeof GovernanceActionSchema>;

export const policyJsonSchema = (): unknown => z.toJSONSchema(PolicySchema, { io: 'input', unrepresentable: 'any' });
