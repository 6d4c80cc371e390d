/**
 * No dormant account: a claimed, active account with no USER_LOGIN in the activity log for
 * `posture.dormantDays` (90) days is an unwatched door. Unknown until the log reaches back that far,
 * because a short log would call everyone dormant.
 */
import { accountItem, activeUsers, dateOnly, daysBefore, evidence, logCovers, NO_DIRECTORY, pointsFor, result, unknown, type PostureCheck } from '../../check.ts';

export const LOGIN_ACTION = 'USER_LOGIN';

export const dormantAccounts: PostureCheck = {
  id: 'workplace.no_dormant_accounts',
  title: 'Deactivate accounts with no sign-in for 90 days',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Behavior',
  maxScore: 6,
  rank: 4,
  remediation:
    'Confirm with each listed person or their manager whether the account is still needed; deactivate the others ' +
    '(Admin Panel > People, or `rampart act suspend <user> --reason "dormant"`).',
  remediationImpact: 'Deactivated people can no longer sign in until reactivated.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['accountBreach', 'maliciousInsider'],
  tier: 'Defense in Depth',
  actionUrl: 'https://www.workplace.com/work/admin/?section=people',
  observes: 'SCIM claimed/claimDate/active, and USER_LOGIN events in the activity log.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const days = ctx.config.dormantDays;
    if (!logCovers(ctx, days)) {
      return unknown(
        ctx,
        `The activity log starts ${dateOnly(ctx.activityLogFrom)}, less than ${days} days ago: dormancy cannot be told apart from missing history yet.`,
      );
    }
    const from = daysBefore(ctx.now, days);
    // Claiming an account signs in; an account claimed inside the window is not dormant.
    const candidates = activeUsers(ctx).filter((u) => u.claimed === true && !(u.claimDate && u.claimDate > from));
    const dormant = [];
    for (const u of candidates) {
      if ((await ctx.lastActivity(u, LOGIN_ACTION, from)) === null) dormant.push(accountItem(u, `no login since ${dateOnly(from)}`));
    }
    const ev = evidence(ctx, { claimedActive: candidates.length, dormant: dormant.length, dormantDays: days }, dormant);
    const score = candidates.length ? pointsFor(this.maxScore, 1 - dormant.length / candidates.length) : this.maxScore;
    return result(dormant.length ? 'not_compliant' : 'compliant', score, ev);
  },
};
