/**
 * Two-factor authentication required for password users: a Workplace security setting that no API
 * exposes (workplace-api.md §8). Observed as compliant only when no active user signs in with a
 * password (the setting then protects nobody); otherwise unknown until an admin declares it.
 */
import { activeUsers, evidence, NO_DIRECTORY, result, unknown, type PostureCheck } from '../../check.ts';

export const passwordTwoFactor: PostureCheck = {
  id: 'workplace.require_two_factor',
  title: 'Require two-factor authentication for password users',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Config',
  maxScore: 5,
  rank: 9,
  remediation:
    'In Admin Panel > Security > Authentication, turn on "Require two-factor authentication" for people who sign in with a password, ' +
    'then declare it in Rampart (the setting cannot be read by API).',
  remediationImpact: 'Password users confirm sign-ins with a second factor.',
  implementationCost: 'low',
  userImpact: 'moderate',
  threats: ['accountBreach', 'passwordCracking', 'phishingOrWhaling'],
  tier: 'Core',
  actionUrl: 'https://www.workplace.com/work/admin/?section=security',
  observes: 'Not readable by API: declared by an admin; observed only when nobody uses a password.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const password = activeUsers(ctx).filter((u) => u.authMethod === 'password').length;
    if (password === 0 && activeUsers(ctx).some((u) => u.authMethod === 'sso')) {
      return result('compliant', this.maxScore, evidence(ctx, { passwordUsers: 0 }, [], ['Every active user signs in with SSO: no password to protect.']));
    }
    return unknown(ctx, 'Workplace exposes no API for this setting: declare it (with a justification) once it is on.', { passwordUsers: password });
  },
};
