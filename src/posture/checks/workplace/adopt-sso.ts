/**
 * Adopt SSO (Single sign on) in Workplace by Meta: the one recommendation MDCA gives for Workplace
 * (mdca-semantics.md §7). Observed per user from the SCIM `authMethod` extension (workplace-api.md §7).
 */
import { accountItem, activeUsers, evidence, NO_DIRECTORY, pointsFor, result, unknown, type PostureCheck } from '../../check.ts';

export const adoptSso: PostureCheck = {
  id: 'workplace.adopt_sso',
  title: 'Adopt SSO (Single sign on) in Workplace by Meta',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Config',
  maxScore: 10,
  rank: 1,
  remediation:
    'In the Workplace Admin Panel, open Security > Authentication, set up SAML single sign-on with your identity provider, ' +
    'then switch the remaining password users to SSO (Admin Panel > People, or SCIM PATCH of the authmethod extension).',
  remediationImpact: 'Users sign in through the identity provider; their Workplace passwords stop working.',
  implementationCost: 'moderate',
  userImpact: 'moderate',
  threats: ['accountBreach', 'passwordCracking', 'phishingOrWhaling'],
  tier: 'Core',
  actionUrl: 'https://www.workplace.com/work/admin/?section=security',
  observes: 'SCIM authMethod (sso or password) of every active user.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const active = activeUsers(ctx);
    const known = active.filter((u) => u.authMethod !== null);
    const sso = known.filter((u) => u.authMethod === 'sso');
    const password = known.filter((u) => u.authMethod === 'password');
    const counts = { activeUsers: active.length, sso: sso.length, password: password.length, authMethodUnknown: active.length - known.length };
    if (known.length === 0) return unknown(ctx, 'SCIM reports no authMethod for any active user.', counts);
    const pct = (sso.length / known.length) * 100;
    const target = ctx.config.ssoTargetPct;
    const notes = [`${pct.toFixed(1)}% of active users with a known method use SSO; full points at ${target}%.`];
    if (counts.authMethodUnknown) notes.push(`${counts.authMethodUnknown} active users have no authMethod in SCIM and are left out.`);
    const ev = evidence(ctx, { ...counts, ssoPct: Math.round(pct * 10) / 10, targetPct: target }, password.map((u) => accountItem(u, 'password')), notes);
    return result(pct >= target ? 'compliant' : 'not_compliant', pointsFor(this.maxScore, pct / target), ev);
  },
};
