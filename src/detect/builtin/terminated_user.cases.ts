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
  {
    name: 'Deactivated with a term date still ahead: the account has ended (time unknown), so activity alerts',
    directory: [{ email: 'notice@example.com', active: false, termDate: '2026-04-30' }],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'notice@example.com', expect: [{ details: { active: false, termDate: '2026-04-30', secondsAfterEnd: null } }] }],
  },
  {
    name: 'Active with a term date still ahead does not alert',
    directory: [{ email: 'leaving@example.com', active: true, termDate: '2026-04-30' }],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'leaving@example.com' }],
  },
  {
    name: 'Deactivation times with an offset are compared as instants (09:30Z is after 10:00+02:00)',
    directory: [{ email: 'carol@example.com', active: false, deactivatedAt: '2026-03-02T10:00:00+02:00' }],
    steps: [
      { at: '2026-03-02T07:59:00Z', user: 'carol@example.com' },
      { at: '2026-03-02T09:30:00Z', user: 'carol@example.com', expect: [{ details: { secondsAfterEnd: 5400 } }] },
    ],
  },
  {
    name: 'A re-registered user (new active account, same email) is not matched to the old account by email',
    directory: [
      { email: 'bob@example.com', id: '1001', active: false, deactivatedAt: '2026-01-10T00:00:00Z' },
      { email: 'bob@example.com', id: '2002', active: true },
    ],
    steps: [{ at: '2026-03-02T10:00:00Z', user: 'bob@example.com', userId: '2002' }],
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
