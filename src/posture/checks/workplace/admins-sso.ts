/**
 * Admins are few and all use SSO: system administrators from Graph /community/admins, their sign-in
 * method from SCIM. Half the points for staying at or under `posture.maxAdmins`, half for the share on SSO.
 */
import { accountItem, activeUsers, evidence, NO_DIRECTORY, pointsFor, result, unknown, type EvidenceItem, type PostureCheck } from '../../check.ts';

export const adminsSso: PostureCheck = {
  id: 'workplace.admins_few_sso',
  title: 'Keep Workplace administrators few, and all on SSO',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Review',
  maxScore: 8,
  rank: 2,
  remediation:
    'Review the system administrators in Admin Panel > Roles & permissions: remove the role from anyone who does not need it, ' +
    'and switch every remaining administrator to SSO.',
  remediationImpact: 'Former administrators lose the Admin Panel; administrators sign in through the identity provider.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['accountBreach', 'elevationOfPrivilege', 'passwordCracking'],
  tier: 'Core',
  actionUrl: 'https://www.workplace.com/work/admin/?section=roles',
  observes: 'Graph /community/admins (who is an administrator) and the SCIM authMethod of each administrator.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const admins = activeUsers(ctx).filter((u) => u.isAdmin);
    if (admins.length === 0) return unknown(ctx, 'The directory lists no active administrator: the admins list was not read (Graph /community/admins).');
    const max = ctx.config.maxAdmins;
    const notSso = admins.filter((u) => u.authMethod !== 'sso');
    const few = admins.length <= max;
    const items: EvidenceItem[] = notSso.map((u) => accountItem(u, u.authMethod === 'password' ? 'administrator on password' : 'administrator, sign-in method unknown'));
    if (!few) for (const u of admins) if (u.authMethod === 'sso') items.push(accountItem(u, 'administrator'));
    const notes = [`${admins.length} active administrators (at most ${max} wanted); ${admins.length - notSso.length} use SSO.`];
    const score = pointsFor(this.maxScore / 2, few ? 1 : 0) + pointsFor(this.maxScore / 2, (admins.length - notSso.length) / admins.length);
    const ev = evidence(ctx, { admins: admins.length, maxAdmins: max, adminsSso: admins.length - notSso.length, adminsNotSso: notSso.length }, items, notes);
    return result(few && notSso.length === 0 ? 'compliant' : 'not_compliant', score, ev);
  },
};
