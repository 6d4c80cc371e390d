/**
 * @module posture/checks
 * The one registry of posture checks, by app. A new app adds its folder and one line here.
 */
import type { PostureCheck } from '../check.ts';
import { WORKPLACE_CHECKS } from './workplace/index.ts';

export const CHECKS_BY_APP: Readonly<Record<string, readonly PostureCheck[]>> = {
  workplace: WORKPLACE_CHECKS,
};

export const ALL_CHECKS: readonly PostureCheck[] = Object.values(CHECKS_BY_APP).flat();

export function findCheck(id: string): PostureCheck | undefined {
  return ALL_CHECKS.find((c) => c.id === id);
}
