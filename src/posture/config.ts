/**
 * @module posture/config
 * `posture`: how often the score is recomputed, the thresholds of the built-in checks and how long the
 * daily snapshots are kept. docs/posture.md explains each value.
 */
import { z } from 'zod';

export const PostureConfigSchema = z
  .object({
    /** false: no scheduled recompute and no /api/posture routes (503); `rampart posture` still works. */
    enabled: z.boolean().default(true),
    /** Scheduled recompute; 0 disables the schedule (on-demand recompute still works). */
    intervalSecs: z.number().int().min(0).max(7 * 86_400).default(3_600),
    /** "Adopt SSO" earns full points at this share of active users on SSO. */
    ssoTargetPct: z.number().min(1).max(100).default(100),
    /** "Admins are few and all use SSO": at most this many active admins. */
    maxAdmins: z.number().int().min(1).max(1_000).default(5),
    /** An account with no login for this long is dormant. */
    dormantDays: z.number().int().min(1).max(3_650).default(90),
    /** An invitation unclaimed for this long is stale. */
    unclaimedInviteDays: z.number().int().min(1).max(3_650).default(30),
    /** Window of the event-based checks (two-factor disabled, custom integrations). */
    lookbackDays: z.number().int().min(1).max(3_650).default(90),
    /** Accounts listed in one check's evidence (the counts are always complete). */
    evidenceLimit: z.number().int().min(1).max(10_000).default(50),
    /** Daily snapshots older than this are deleted. */
    snapshotRetentionDays: z.number().int().min(1).max(36_500).default(400),
  })
  .strict();

export type PostureConfig = z.output<typeof PostureConfigSchema>;
export type PostureConfigInput = z.input<typeof PostureConfigSchema>;

export const POSTURE_DEFAULTS: PostureConfig = PostureConfigSchema.parse({});
