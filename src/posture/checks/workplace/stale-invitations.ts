/**
 * No invitation left unclaimed for more than `posture.unclaimedInviteDays` (30) days: a live claim link
 * in someone's mailbox is an account anyone holding the link can take over.
 */
import { accountItem, activeUsers, dateOnly, daysBefore, evidence, NO_DIRECTORY, result, unknown, type PostureCheck } from '../../check.ts';

export const staleInvitations: PostureCheck = {
  id: 'workplace.stale_invitations',
  title: 'Revoke invitations unclaimed for more than 30 days',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Review',
  maxScore: 3,
  rank: 5,
  remediation: 'In Admin Panel > People, filter on "Invited", then resend the invitation to people who still need an account and delete the others (unclaimed accounts can be deleted).',
  remediationImpact: 'Deleted invitations stop working; the person needs a new invitation.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['accountBreach', 'phishingOrWhaling'],
  tier: 'Defense in Depth',
  actionUrl: 'https://www.workplace.com/work/admin/?section=people',
  observes: 'SCIM invited/inviteDate/claimed of every active account.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const active = activeUsers(ctx);
    if (active.every((u) => u.invited === null && u.claimed === null)) return unknown(ctx, 'SCIM reports no account status (invited, claimed) for any active user.');
    const days = ctx.config.unclaimedInviteDays;
    const before = daysBefore(ctx.now, days);
    const pending = active.filter((u) => u.invited === true && u.claimed === false);
    const stale = pending.filter((u) => u.inviteDate !== null && u.inviteDate <= before);
    const undated = pending.filter((u) => u.inviteDate === null).length;
    const notes = undated ? [`${undated} pending invitations have no invite date and are not counted.`] : [];
    const ev = evidence(ctx, { pendingInvitations: pending.length, stale: stale.length, unclaimedInviteDays: days }, stale.map((u) => accountItem(u, `invited ${dateOnly(u.inviteDate)}`)), notes);
    return result(stale.length ? 'not_compliant' : 'compliant', stale.length ? 0 : this.maxScore, ev);
  },
};
