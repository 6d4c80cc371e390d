/**
 * Custom integrations installed or edited in the last `posture.lookbackDays` (90) days were reviewed:
 * Workplace reports them only as CUSTOM_INTEGRATION_EDIT security events (workplace-api.md §8); an
 * admin marks each one reviewed (PUT .../reviews/<integration id>). An edit after the review needs a new one.
 */
import { dateOnly, daysBefore, evidence, logCovers, pointsFor, result, unknown, type EvidenceItem, type PostureCheck } from '../../check.ts';

export const INTEGRATION_ACTIONS = ['CUSTOM_INTEGRATION_EDIT'] as const;

export const customIntegrationsReviewed: PostureCheck = {
  id: 'workplace.custom_integrations_reviewed',
  title: 'Review custom integrations installed or edited in the last 90 days',
  app: 'workplace',
  category: 'Apps',
  actionType: 'Review',
  maxScore: 5,
  rank: 7,
  remediation:
    'For each listed integration, check in Admin Panel > Integrations who created it, its permissions and whether it is still needed; ' +
    'delete it or reduce its permissions, then mark it reviewed in Rampart.',
  remediationImpact: 'Removed integrations stop working.',
  implementationCost: 'low',
  userImpact: 'low',
  threats: ['dataExfiltration', 'elevationOfPrivilege', 'maliciousInsider'],
  tier: 'Defense in Depth',
  actionUrl: 'https://www.workplace.com/work/admin/?section=apps',
  observes: 'CUSTOM_INTEGRATION_EDIT events in the activity log, and the reviews recorded in Rampart.',
  reviewable: 'integration',
  async evaluate(ctx) {
    const days = ctx.config.lookbackDays;
    const window = await ctx.activities(INTEGRATION_ACTIONS, daysBefore(ctx.now, days));
    const seen = new Map<string, { item: EvidenceItem; lastEdit: string }>();
    for (const a of window.items) {
      const ref = a.target?.type === 'integration' ? a.target : a.objects.find((o) => o.type === 'integration');
      const id = ref?.id ?? ref?.name;
      if (!id) continue;
      const entry = seen.get(id) ?? { item: { kind: 'integration', id, email: null, name: ref?.name ?? null, detail: '', activityIds: [] }, lastEdit: a.time };
      entry.lastEdit = a.time > entry.lastEdit ? a.time : entry.lastEdit;
      entry.item.detail = `edited ${dateOnly(entry.lastEdit)} by ${a.actor.email ?? a.actor.id ?? 'unknown'}`;
      if (entry.item.activityIds!.length < 20) entry.item.activityIds!.push(a.id);
      seen.set(id, entry);
    }
    const all = [...seen.values()];
    let reviewed = 0;
    for (const { item, lastEdit } of all) {
      const r = ctx.reviews.get(item.id);
      item.reviewed = r && r.at >= lastEdit ? { by: r.by, at: r.at, reason: r.reason } : null;
      if (item.reviewed) reviewed++;
    }
    const pending = all.filter((e) => !e.item.reviewed).map((e) => e.item);
    const counts = { integrations: all.length, reviewed, notReviewed: pending.length, lookbackDays: days };
    const notes = window.truncated ? ['More integration events matched than one evaluation reads; the oldest were read.'] : [];
    // Reviewed ones are listed too (after the pending ones), so the page shows the whole picture.
    const items = all.map((e) => e.item);
    if (all.length === 0 && !logCovers(ctx, days)) {
      return unknown(ctx, `No integration event, but the activity log starts ${dateOnly(ctx.activityLogFrom)}, less than ${days} days ago.`, counts);
    }
    const score = all.length ? pointsFor(this.maxScore, reviewed / all.length) : this.maxScore;
    return result(pending.length ? 'not_compliant' : 'compliant', score, evidence(ctx, counts, items, notes));
  },
};
