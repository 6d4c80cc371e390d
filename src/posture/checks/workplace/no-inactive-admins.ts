/**
 * No deactivated or terminated user remains an administrator: a role left on a closed account is a
 * standing privilege that comes back the day the account is reactivated.
 */
import { accountItem, dateOnly, evidence, NO_DIRECTORY, result, unknown, type PostureCheck } from '../../check.ts';
import { isTerminatedAt } from '../../../schema/directory.ts';

export const noInactiveAdmins: PostureCheck = {
  id: 'workplace.no_inactive_admins',
  title: 'Remove the administrator role from deactivated and terminated accounts',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Review',
  maxScore: 8,
  rank: 3,
  remediation: 'In Admin Panel > Roles & permissions, remove the system administrator role from each account listed (deactivated, or past its term date).',
  remediationImpact: 'None for active users.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['elevationOfPrivilege', 'maliciousInsider', 'accountBreach'],
  tier: 'Core',
  actionUrl: 'https://www.workplace.com/work/admin/?section=roles',
  observes: 'SCIM active and termDate, and Graph /community/admins.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const admins = ctx.users.filter((u) => u.isAdmin);
    const closed = admins.filter((u) => isTerminatedAt(u, ctx.now));
    const items = closed.map((u) =>
      accountItem(u, !u.active ? `deactivated${u.deactivatedAt ? ` ${dateOnly(u.deactivatedAt)}` : ''}` : `term date ${dateOnly(u.termDate)}`),
    );
    const ev = evidence(ctx, { admins: admins.length, inactiveAdmins: closed.length }, items);
    return result(closed.length ? 'not_compliant' : 'compliant', closed.length ? 0 : this.maxScore, ev);
  },
};
