/**
 * @module proxy/policy/schema
 * A session policy is data (YAML in the session-policies folder), like an activity policy: which session
 * activities it applies to, activity conditions in the shared filter language, file conditions, optional
 * content inspection, and the action (audit, block, protect). mdca-semantics.md section 6 has the model.
 */
import { z } from 'zod';
import { SEVERITIES } from '../../schema/alert.ts';
import { BUILTIN_DETECTOR_IDS, MAX_CUSTOM_REGEX } from '../inspect/detectors.ts';
import { ActivityFiltersSchema, FileConditionSchema } from './filters.ts';

/** What a request through the proxy is, as far as policies care. */
export const SESSION_ACTIVITIES = ['login', 'view', 'download', 'upload', 'share'] as const;
export type SessionActivity = (typeof SESSION_ACTIVITIES)[number];

/** From least to most restrictive: the most restrictive matching policy wins. */
export const SESSION_ACTIONS = ['audit', 'protect', 'block'] as const;
export type SessionAction = (typeof SESSION_ACTIONS)[number];
export const ACTION_RANK: Record<SessionAction, number> = { audit: 0, protect: 1, block: 2 };

export const SESSION_POLICY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export const InspectionSchema = z
  .object({
    detectors: z.array(z.enum(BUILTIN_DETECTOR_IDS)).max(16).default([]),
    customRegexes: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z0-9_-]{1,64}$/),
            pattern: z.string().min(1).max(MAX_CUSTOM_REGEX),
            flags: z.string().regex(/^[imsu]*$/).default(''),
          })
          .strict(),
      )
      .max(16)
      .default([]),
    /** The policy matches when at least this many validated matches are found (all detectors together). */
    minMatches: z.number().int().min(1).max(1_000_000).default(1),
    /** "Always apply the selected action even if the data cannot be scanned" (too large, unreadable). */
    applyWhenUninspectable: z.boolean().default(false),
  })
  .strict()
  .refine((i) => i.detectors.length + i.customRegexes.length > 0, { message: 'inspection needs at least one detector or custom regex' });

export const SessionPolicySchema = z
  .object({
    name: z.string().regex(SESSION_POLICY_NAME, 'letters, digits, "_", "." and "-"'),
    description: z.string().max(4000).default(''),
    enabled: z.boolean().default(true),
    /** The session activities this policy looks at; `monitor only` policies list login/view. */
    activities: z.array(z.enum(SESSION_ACTIVITIES)).min(1).max(5),
    /** Activity conditions (all must hold), the same language as activity policies: docs/policies.md. */
    filters: ActivityFiltersSchema.default([]),
    /** File conditions (downloads and uploads). */
    file: z
      .object({
        conditions: z.array(FileConditionSchema).max(32).default([]),
        minSizeMb: z.number().min(0).optional(),
        maxSizeMb: z.number().min(0).optional(),
      })
      .strict()
      .optional(),
    inspection: InspectionSchema.optional(),
    action: z.enum(SESSION_ACTIONS).default('audit'),
    /** Replaces the proxy's block message for this policy. */
    blockMessage: z.string().min(1).max(4000).optional(),
    alert: z
      .object({ create: z.boolean().default(false), severity: z.enum(SEVERITIES).default('medium') })
      .strict()
      .default({ create: false, severity: 'medium' }),
  })
  .strict()
  .refine((p) => p.action !== 'protect' || p.activities.every((a) => a === 'download'), {
    message: 'protect applies to downloads only',
    path: ['action'],
  });

export type SessionPolicy = z.output<typeof SessionPolicySchema>;
export type SessionPolicyInput = z.input<typeof SessionPolicySchema>;
export const sessionPolicyJsonSchema = (): unknown => z.toJSONSchema(SessionPolicySchema, { io: 'input', unrepresentable: 'any' });
