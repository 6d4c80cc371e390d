/**
 * External (other-domain) accounts are listed and reviewed: active accounts whose email domain is not one
 * of `organization.domains`. Each listed account is marked reviewed by an admin (or removed); unknown
 * while the organisation's domains are not configured.
 */
import { accountItem, activeUsers, evidence, NO_DIRECTORY, pointsFor, result, unknown, type PostureCheck } from '../../check.ts';

/** Whether `email` belongs to one of the domains or their subdomains. */
export function isInternalEmail(email: string, domains: readonly string[]): boolean {
  const at = email.lastIndexOf('@');
  if (at < 0) return false;
  const domain = email.slice(at + 1).toLowerCase();
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}

export const externalAccounts: PostureCheck = {
  id: 'workplace.external_accounts',
  title: 'Review accounts from other email domains',
  app: 'workplace',
  category: 'Data',
  actionType: 'Review',
  maxScore: 3,
  rank: 8,
  remediation:
    'For each listed account, confirm it belongs to a contractor or partner who still needs access (and mark it reviewed), ' +
    'or deactivate it. Add any domain your organisation owns to organization.domains.',
  remediationImpact: 'Deactivated external people lose access to Workplace content.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['dataExfiltration', 'dataSpillage'],
  tier: 'Defense in Depth',
  actionUrl: 'https://www.workplace.com/work/admin/?section=people',
  observes: 'The email of every active account in SCIM, against organization.domains in the config.',
  reviewable: 'account',
  async evaluate(ctx) {
    if (ctx.users.length === 0) return unknown(ctx, NO_DIRECTORY);
    if (ctx.organizationDomains.length === 0) return unknown(ctx, 'organization.domains is empty in the config: Rampart cannot tell internal from external accounts.');
    const active = activeUsers(ctx).filter((u) => u.email);
    const external = active.filter((u) => !isInternalEmail(u.email!, ctx.organizationDomains));
    const items = external.map((u) => {
      const item = accountItem(u, `domain ${u.email!.slice(u.email!.lastIndexOf('@') + 1)}`);
      const r = ctx.reviews.get(u.id) ?? (u.email ? ctx.reviews.get(u.email) : undefined);
      item.reviewed = r ? { by: r.by, at: r.at, reason: r.reason } : null;
      return item;
    });
    const pending = items.filter((i) => !i.reviewed).length;
    const counts = { activeWithEmail: active.length, external: external.length, reviewed: external.length - pending, notReviewed: pending };
    const ev = evidence(ctx, counts, items, [`Organisation domains: ${ctx.organizationDomains.join(', ')}.`]);
    const score = external.length ? pointsFor(this.maxScore, (external.length - pending) / external.length) : this.maxScore;
    return result(pending ? 'not_compliant' : 'compliant', score, ev);
  },
};
