/**
 * Two-factor authentication was not disabled by or for an administrator in the last
 * `posture.lookbackDays` (90) days: TWO_FACTOR_DISABLED security events (workplace-api.md §3.2) whose
 * actor or target is a system administrator in the directory.
 */
import { dateOnly, daysBefore, evidence, logCovers, NO_DIRECTORY, result, unknown, type EvidenceItem, type PostureCheck } from '../../check.ts';
import type { DirectoryUser } from '../../../schema/directory.ts';

export const TWO_FACTOR_DISABLED = 'TWO_FACTOR_DISABLED';

export const adminTwoFactorDisabled: PostureCheck = {
  id: 'workplace.admin_two_factor_disabled',
  title: 'Keep two-factor authentication on for administrators',
  app: 'workplace',
  category: 'Identity',
  actionType: 'Behavior',
  maxScore: 5,
  rank: 6,
  remediation:
    'Ask each listed administrator to turn two-factor authentication back on (Settings > Security and login), confirm the change was theirs, ' +
    'and prefer SSO with the identity provider\'s MFA for administrators.',
  remediationImpact: 'Administrators confirm sign-ins with a second factor.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['accountBreach', 'elevationOfPrivilege'],
  tier: 'Core',
  actionUrl: null,
  observes: 'TWO_FACTOR_DISABLED events in the activity log, and the administrators in the directory.',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    const days = ctx.config.lookbackDays;
    const from = daysBefore(ctx.now, days);
    const admins = new Map<string, DirectoryUser>();
    for (const u of ctx.users) {
      if (!u.isAdmin) continue;
      admins.set(u.id, u);
      if (u.email) admins.set(u.email.toLowerCase(), u);
    }
    const adminOf = (id: string | null, email: string | null) => (id && admins.get(id)) || (email && admins.get(email.toLowerCase())) || null;
    const window = await ctx.activities([TWO_FACTOR_DISABLED], from);
    const byAdmin = new Map<string, EvidenceItem>();
    let events = 0;
    for (const a of window.items) {
      const actor = adminOf(a.actor.id, a.actor.email);
      const target = a.target ? adminOf(a.target.id, a.target.email) : null;
      const admin = target ?? actor;
      if (!admin) continue;
      events++;
      const who = actor && target && actor.id === target.id ? 'by themselves' : actor ? `by administrator ${actor.email ?? actor.id}` : `by ${a.actor.email ?? a.actor.id ?? 'unknown'}`;
      const item = byAdmin.get(admin.id) ?? { kind: 'account', id: admin.id, email: admin.email, name: admin.name, detail: '', activityIds: [] };
      item.detail = `2FA disabled ${dateOnly(a.time)} ${who}`; // oldest first: the latest event wins
      if (item.activityIds!.length < 20) item.activityIds!.push(a.id);
      byAdmin.set(admin.id, item);
    }
    const notes = window.truncated ? ['More TWO_FACTOR_DISABLED events matched than one evaluation reads; the oldest were read.'] : [];
    const counts = { admins: new Set([...admins.values()].map((u) => u.id)).size, events, adminsAffected: byAdmin.size, lookbackDays: days };
    if (byAdmin.size) return result('not_compliant', 0, evidence(ctx, counts, [...byAdmin.values()], notes));
    if (!logCovers(ctx, days)) {
      return unknown(ctx, `No such event, but the activity log starts ${dateOnly(ctx.activityLogFrom)}, less than ${days} days ago.`, counts);
    }
    return result('compliant', this.maxScore, evidence(ctx, counts, [], notes));
  },
};
