/** Cases for terminated_user: the directory (Workplace SCIM export / sync) says who is deactivated and since when. */
import type { DetectionCase } from '../testing.ts';

const gone = { email: 'leaver@example.com', id: '1001', active: false, deactivatedAt: '2026-03-02T09:00:00.000Z' };

export const cases: DetectionCase[] = [
  {
    name: 'Activity after deactivation alerts (high), on the first day: no learning period',
    config: { learningDays: 7 },
    directory: [gone],
    steps: [
      {
        at: '2026-03-02T10:00:00Z', user: 'leaver@example.com', action: 'post.create', category: 'content', interactive: true,
        expect: [{ severity: 'high', title: 'leaver@example.com', details: { active: false, deactivatedAt: '2026-03-02T09:00:00.000Z', secondsAfterEnd: 3600 }, evidence: ['active=false', '1 h 0 min after the account ended'] }],
      },
    ],
  },
  { name: 'Activity before the deactivation time does not alert', directory: [gone], steps: [{ at: '2026-03-02T08:59:00Z', user: 'leaver@example.com' }] },
  { name: 'Activity within the grace period after deactivation does not alert', directory: [gone], steps: [{ at: '2026-03-02T09:00:30Z', user: 'leaver@example.com', action: 'logout', category: 'logout' }] },
  {
    name: 'Matched by actor id when the activity has no email',
    directory: [gone],
    steps: [{ at: '2026-03-02T10:00:00Z', user: null, userId: '1001', expect: [{}] }],
  },
  {
    name: 'Matched by email in any letter case when the actor id is not the directory one',
    directory: [gone],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'Leaver@Example.COM', userId: 'other-app-id', expect: [{ title: 'leaver@example.com' }] }],
  },
  {
    name: 'A past term date alerts even while the account is still active',
    directory: [{ email: 'contractor@example.com', active: true, termDate: '2026-03-01T00:00:00.000Z' }],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'contractor@example.com', expect: [{ details: { termDate: '2026-03-01T00:00:00.000Z' } }] }],
  },
  {
    name: 'Inactive with no known deactivation time: any activity alerts',
    directory: [{ email: 'old@example.com', active: false }],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'old@example.com', expect: [{ details: { secondsAfterEnd: null } }] }],
  },
  { name: 'An active user does not alert', directory: [{ email: 'alice@example.com' }], steps: [{ at: '2026-03-02T10:00:00Z', user: 'alice@example.com' }] },
  { name: 'A user unknown to the directory does not alert', directory: [gone], steps: [{ at: '2026-03-02T10:00:00Z', user: 'stranger@example.com' }] },
  {
    name: 'Failed attempts on a dead account alert by default',
    directory: [gone],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'leaver@example.com', outcome: 'failure', expect: [{}] }],
  },
  {
    name: 'includeFailed: false ignores failed attempts',
    config: { terminated_user: { includeFailed: false } },
    directory: [gone],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'leaver@example.com', outcome: 'failure' }],
  },
  {
    name: 'Further activity folds into the open alert',
    directory: [gone],
    steps: [
      { at: '2026-03-02T10:00:00Z', user: 'leaver@example.com', expect: [{ count: 1 }] },
      { at: '2026-03-02T10:05:00Z', user: 'leaver@example.com', action: 'file.download', category: 'file', expect: [{ count: 2 }] },
    ],
  },
];
