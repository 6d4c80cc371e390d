/**
 * @module schema/directory
 * A user as the app's directory reports it (Workplace SCIM, later an IdP). Detections read it
 * (terminated user, exclusions by group/department), governance acts on it, posture scores it.
 */
import { z } from 'zod';
import { parseIsoDateOrInstant } from '../core/time.ts';

/** A date (midnight UTC) or a date-time with its offset, read strictly (core/time.ts): compared as instants, so never free text or a guessed order. */
const instant = z.string().refine((s) => !Number.isNaN(parseIsoDateOrInstant(s)), { message: 'expected an ISO 8601 date (2026-04-30) or date-time with an offset' });

export const DirectoryUserSchema = z.object({
  app: z.string(),
  tenant: z.string().default(''),
  /** The app's user id (Workplace: the SCIM/Graph id). */
  id: z.string(),
  email: z.string().nullable().default(null),
  name: z.string().nullable().default(null),
  externalId: z.string().nullable().default(null),
  active: z.boolean(),
  /** ISO time the account was deactivated or terminated, when known. */
  deactivatedAt: instant.nullable().default(null),
  startDate: instant.nullable().default(null),
  termDate: instant.nullable().default(null),
  department: z.string().nullable().default(null),
  title: z.string().nullable().default(null),
  managerId: z.string().nullable().default(null),
  groups: z.array(z.string()).default([]),
  isAdmin: z.boolean().default(false),
  authMethod: z.enum(['password', 'sso']).nullable().default(null),
  claimed: z.boolean().nullable().default(null),
  invited: z.boolean().nullable().default(null),
  inviteDate: z.string().nullable().default(null),
  claimDate: z.string().nullable().default(null),
  updatedAt: z.string(),
});

export type DirectoryUser = z.output<typeof DirectoryUserSchema>;

/**
 * Whether the directory says the user was terminated or deactivated at `time`:
 * inactive with no known deactivation time, deactivated at or before `time`, or past the term date.
 */
export function isTerminatedAt(u: DirectoryUser, time: string): boolean {
  return endedAtMs(u, parseIsoDateOrInstant(time)) !== undefined;
}

/**
 * When the account ended, as seen at `timeMs`: the earliest of its term date and deactivation time that is at
 * or before `timeMs`; NaN when it is inactive but neither time is known yet (a deactivated account whose term
 * date is still ahead ended at an unknown time); undefined when it had not ended at `timeMs`. Times are
 * compared as instants, not as text (`+02:00` offsets, date-only term dates).
 */
export function endedAtMs(u: DirectoryUser, timeMs: number): number | undefined {
  const term = u.termDate ? parseIsoDateOrInstant(u.termDate) : Number.NaN;
  const deactivated = !u.active && u.deactivatedAt ? parseIsoDateOrInstant(u.deactivatedAt) : Number.NaN;
  let ended = Number.NaN;
  if (term <= timeMs) ended = term;
  if (deactivated <= timeMs && !(ended <= deactivated)) ended = deactivated;
  if (!Number.isNaN(ended)) return ended;
  // Inactive with no deactivation time, or one still ahead of a term date: ended, time unknown.
  if (!u.active && Number.isNaN(deactivated)) return Number.NaN;
  return undefined;
}
