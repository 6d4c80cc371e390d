/**
 * @module schema/directory
 * A user as the app's directory reports it (Workplace SCIM, later an IdP). Detections read it
 * (terminated user, exclusions by group/department), governance acts on it, posture scores it.
 */
import { z } from 'zod';

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
  deactivatedAt: z.string().nullable().default(null),
  startDate: z.string().nullable().default(null),
  termDate: z.string().nullable().default(null),
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
  if (u.termDate && u.termDate <= time) return true;
  if (!u.active) return u.deactivatedAt === null || u.deactivatedAt <= time;
  return false;
}
