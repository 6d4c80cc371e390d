/**
 * @module detect/config
 * Config of the built-in detections, `detections.<id>` in the config file. Strict: a misspelt key is an error.
 * Units are in the key names. docs/detections.md documents every key and default.
 */
import { z } from 'zod';

const userList = z.array(z.string().min(1).max(512)).max(10_000).default([]);

/** Keys every detection accepts. Exclude wins over include; an empty include list means everyone. */
export const commonShape = {
  enabled: z.boolean().default(true),
  severity: z.enum(['informational', 'low', 'medium', 'high']).optional(),
  includeUsers: userList,
  includeGroups: userList,
  excludeUsers: userList,
  excludeGroups: userList,
};

export const DetectionCommonSchema = z.object({ ...commonShape, cooldownSecs: z.number().int().min(0).max(31_536_000).default(86_400) }).strict();
export type DetectionCommonConfig = z.output<typeof DetectionCommonSchema>;

const cooldown = (secs: number) => z.number().int().min(0).max(31_536_000).default(secs);
/** Which activities the four location/IP detections look at (MDCA: successful interactive sign-ins only). */
const signInFilter = {
  successOnly: z.boolean().default(true),
  interactiveOnly: z.boolean().default(true),
};
const orgShare = {
  /** Suppress an address used by at least this share of the organisation's active users (0 disables). */
  orgShareSuppression: z.number().min(0).max(1).default(0.1),
  /** ...and by at least this many distinct users. */
  orgShareMinUsers: z.number().int().min(1).default(5),
};

export const ImpossibleTravelConfigSchema = z
  .object({
    ...commonShape,
    ...signInFilter,
    cooldownSecs: cooldown(86_400),
    minDistanceKm: z.number().min(0).default(500),
    maxSpeedKmh: z.number().positive().default(900),
    sensitivity: z.enum(['low', 'medium', 'high']).default('medium'),
    /** A country counts as one the user commonly uses after this many distinct days within the lookback. */
    commonLocationMinDays: z.number().int().min(1).default(3),
  })
  .strict();

export const InfrequentCountryConfigSchema = z
  .object({
    ...commonShape,
    ...signInFilter,
    cooldownSecs: cooldown(86_400),
    scope: z.enum(['user', 'organization']).default('user'),
    /** The user must have been seen this many days before a new country can alert. */
    minHistoryDays: z.number().int().min(0).default(7),
    maxCountriesPerUser: z.number().int().min(2).max(64).default(16),
  })
  .strict();

export const AnonymousIpConfigSchema = z.object({ ...commonShape, ...signInFilter, ...orgShare, cooldownSecs: cooldown(86_400) }).strict();
export const SuspiciousIpConfigSchema = z.object({ ...commonShape, ...signInFilter, ...orgShare, cooldownSecs: cooldown(86_400) }).strict();

export const TerminatedUserConfigSchema = z
  .object({
    ...commonShape,
    cooldownSecs: cooldown(86_400),
    /** Also match failed activities (someone trying a dead account's credentials). */
    includeFailed: z.boolean().default(true),
    /** Activities this soon after the deactivation time are the session winding down, not a match. */
    graceSecs: z.number().int().min(0).default(60),
  })
  .strict();

export const FailedLoginsConfigSchema = z
  .object({
    ...commonShape,
    cooldownSecs: cooldown(3_600),
    windowSecs: z.number().int().min(60).max(86_400).default(900),
    /** The fewest failures in one window that can alert (absolute floor). */
    minFailures: z.number().int().min(2).default(8),
    /** Failures above the user's learned normal needed to alert. */
    marginFailures: z.number().int().min(0).default(5),
    /** One IP failing against at least this many distinct users within the window is a password spray. */
    sprayMinUsers: z.number().int().min(2).default(10),
  })
  .strict();

const sessionBaseline = (minSessionActions: number) => ({
  ...commonShape,
  cooldownSecs: cooldown(86_400),
  /** A session ends after this much inactivity. */
  sessionGapSecs: z.number().int().min(60).default(1_800),
  /** The fewest actions in one session that can alert on volume (floor for users with little history). */
  minSessionActions: z.number().int().min(1).default(minSessionActions),
  /** Volume alert when the session count exceeds median + madK x MAD (MAD floored) of the user's sessions. */
  madK: z.number().min(0).default(5),
  /** Sessions needed before the user's own median is trusted over the floor alone. */
  minBaselineSessions: z.number().int().min(1).default(3),
  /** Alert on action types the user has never performed in the lookback. */
  newActionTypes: z.boolean().default(true),
});

export const UnusualAdminConfigSchema = z.object(sessionBaseline(15)).strict();
export const UnusualImpersonationConfigSchema = z.object(sessionBaseline(10)).strict();

export const DETECTION_CONFIG_SCHEMAS = {
  impossible_travel: ImpossibleTravelConfigSchema,
  infrequent_country: InfrequentCountryConfigSchema,
  anonymous_ip: AnonymousIpConfigSchema,
  suspicious_ip: SuspiciousIpConfigSchema,
  terminated_user: TerminatedUserConfigSchema,
  failed_logins: FailedLoginsConfigSchema,
  unusual_admin: UnusualAdminConfigSchema,
  unusual_impersonation: UnusualImpersonationConfigSchema,
} as const;

export type ImpossibleTravelConfig = z.output<typeof ImpossibleTravelConfigSchema>;
export type InfrequentCountryConfig = z.output<typeof InfrequentCountryConfigSchema>;
export type AnonymousIpConfig = z.output<typeof AnonymousIpConfigSchema>;
export type SuspiciousIpConfig = z.output<typeof SuspiciousIpConfigSchema>;
export type TerminatedUserConfig = z.output<typeof TerminatedUserConfigSchema>;
export type FailedLoginsConfig = z.output<typeof FailedLoginsConfigSchema>;
export type SessionBaselineConfig = z.output<typeof UnusualAdminConfigSchema>;

export const DetectionsConfigSchema = z
  .object({
    /** Days from the tenant's first activity (event time) during which baselined detections only learn. */
    learningDays: z.number().int().min(0).max(365).default(7),
    /** Baselines cover this sliding window of event time. */
    lookbackDays: z.number().int().min(1).max(365).default(30),
    impossible_travel: ImpossibleTravelConfigSchema.prefault({}),
    infrequent_country: InfrequentCountryConfigSchema.prefault({}),
    anonymous_ip: AnonymousIpConfigSchema.prefault({}),
    suspicious_ip: SuspiciousIpConfigSchema.prefault({}),
    terminated_user: TerminatedUserConfigSchema.prefault({}),
    failed_logins: FailedLoginsConfigSchema.prefault({}),
    unusual_admin: UnusualAdminConfigSchema.prefault({}),
    unusual_impersonation: UnusualImpersonationConfigSchema.prefault({}),
  })
  .strict()
  .prefault({});

export type DetectionsConfig = z.output<typeof DetectionsConfigSchema>;
export type DetectionsConfigInput = z.input<typeof DetectionsConfigSchema>;
