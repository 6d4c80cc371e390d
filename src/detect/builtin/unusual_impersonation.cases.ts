/**
 * Cases for unusual_impersonation. Panther: rules/atlassian_rules/user_logged_in_as_user.yml (Apache-2.0,
 * @daa10c88): "user_logged_in_as_user" is an impersonated activity; here it alerts when unusual for the user.
 */
import type { CaseStep, DetectionCase } from '../testing.ts';

const D = 1440;
/** `n` activities performed in the name of `user` by an integration, one a minute. */
const imp = (at: number, n: number, action = 'post.create', user = 'ceo@example.com', by = 'scheduler-app@example.com'): CaseStep[] =>
  Array.from({ length: n }, (_, i) => ({ at: at + i, user, impersonated: true, impersonator: by, action, category: 'content' as const, interactive: false, place: 'dublin' as const }));

export const cases: DetectionCase[] = [
  {
    name: 'Panther "user_logged_in_as_user": an admin logging in as a user for the first time alerts (new action type)',
    source: 'panther-analysis rules/atlassian_rules/user_logged_in_as_user.yml',
    config: { learningDays: 7 },
    steps: [
      ...Array.from({ length: 8 }, (_, d) => imp(d * D, 2)).flat(),
      { at: 8 * D, user: 'ceo@example.com', impersonated: true, impersonator: 'it-admin@example.com', action: 'user_logged_in_as_user', category: 'login', place: 'dublin', expect: [{ details: { kind: 'new_action_types' }, evidence: ['impersonator it-admin@example.com'] }] },
    ],
  },
  {
    name: 'A scheduler posting twice a day for the user does not alert',
    config: { learningDays: 7 },
    steps: Array.from({ length: 12 }, (_, d) => imp(d * D, 2)).flat(),
  },
  {
    name: 'Thirty impersonated posts in one session against a baseline of two alert (volume)',
    config: { learningDays: 7 },
    steps: [
      ...Array.from({ length: 8 }, (_, d) => imp(d * D, 2)).flat(),
      ...imp(8 * D, 10),
      { at: 8 * D + 10, user: 'ceo@example.com', impersonated: true, impersonator: 'scheduler-app@example.com', action: 'post.create', category: 'content', interactive: false, place: 'dublin', expect: [{ severity: 'medium', details: { kind: 'volume', sessionCount: 11, baseline: { median: 2, threshold: 10 } } }] },
    ],
  },
  {
    name: 'Activities that are not impersonated are ignored',
    steps: Array.from({ length: 30 }, (_, i) => ({ at: i, user: 'ceo@example.com', action: 'post.create', category: 'content' as const, place: 'dublin' as const })),
  },
];
