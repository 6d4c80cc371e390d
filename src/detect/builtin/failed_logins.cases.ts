/**
 * Cases for failed_logins. Panther: test_scenarios/okta-add-administrator (legit logins, then brute force
 * logins ending in a success from the same IP), rules/standard_rules/brute_force_by_user.yml and
 * rules/microsoft_rules (M365 brute force by user), Apache-2.0 @daa10c88, converted to activities.
 */
import type { CaseStep, DetectionCase } from '../testing.ts';

const D = 1440;
const fail = (at: number | string, ip = '203.0.113.20', user = 'alice@example.com'): CaseStep => ({ at, user, ip, place: 'paris', outcome: 'failure' });

/** The Panther okta-add-administrator scenario, in time order (published times kept). */
const panther: CaseStep[] = [
  { at: '2021-05-22T10:21:04.490Z', user: 'jack.naglieri@runpanther.io', ip: '104.13.169.118', place: 'seattle' },
  ...['16', '18', '19', '20'].map((d) => ({ at: `2021-06-${d}T10:27:03.490Z`, user: 'jack.naglieri@runpanther.io', ip: '136.24.229.58', place: 'seattle' as const })),
  ...[
    ['21:27', '195.154.58.200'], ['21:28', '157.7.164.178'], ['21:29', '94.177.183.28'], ['21:30', '195.154.58.200'], ['21:31', '194.88.246.242'],
    ['21:32', '194.88.246.242'], ['21:33', '194.88.246.242'],
  ].map(([t, ip]) => ({ at: `2021-06-25T${t}:03.490Z`, user: 'jack.naglieri@runpanther.io', ip, place: 'paris' as const, outcome: 'failure' as const })),
];

export const cases: DetectionCase[] = [
  {
    name: 'Panther okta-add-administrator: 9 failures from 4 IPs alert (low), the success from 194.88.246.242 raises it to high',
    source: 'panther-analysis test_scenarios/okta-add-administrator/{legit_login,brute_force_logins}.yml',
    config: { learningDays: 7 },
    steps: [
      ...panther,
      { at: '2021-06-25T21:34:03.490Z', user: 'jack.naglieri@runpanther.io', ip: '194.88.246.242', place: 'paris', outcome: 'failure', expect: [{ severity: 'low', count: 1, details: { count: 8, windowSecs: 900 } }] },
      { at: '2021-06-25T21:36:03.490Z', user: 'jack.naglieri@runpanther.io', ip: '194.88.246.242', place: 'paris', outcome: 'failure', expect: [{ severity: 'low', count: 2, details: { count: 9 } }] },
      {
        at: '2021-06-25T21:41:03.490Z', user: 'jack.naglieri@runpanther.io', ip: '194.88.246.242', place: 'paris',
        expect: [{ severity: 'high', count: 3, title: 'followed by a successful login', details: { followedBySuccess: { ip: '194.88.246.242', match: 'same IP' } }, evidence: ['194.88.246.242 (5)', 'Followed by a successful sign-in'] }],
      },
    ],
  },
  {
    name: 'Panther brute_force_by_user "Okta - Successful Login": successes alone never count',
    source: 'panther-analysis rules/standard_rules/brute_force_by_user.yml',
    steps: Array.from({ length: 12 }, (_, i) => ({ at: i, ip: '203.0.113.20', place: 'paris' as const })),
  },
  {
    name: 'Panther M365 brute force by user "Failed Login event" x10 within an hour: counts toward the threshold and alerts in the 15-min window',
    source: 'panther-analysis rules/microsoft_rules/microsoft365_brute_force_login_by_user.yml',
    steps: [...Array.from({ length: 7 }, (_, i) => fail(i * 2)), { ...fail(14), expect: [{ count: 1, details: { count: 8 } }] }, { ...fail(15), expect: [{ count: 2, details: { count: 9 } }] }],
  },
  { name: '7 failures in the window stay under the floor (minFailures 8)', steps: Array.from({ length: 7 }, (_, i) => fail(i)) },
  { name: '8 failures spread over 2 hours never fill one 15-min window', steps: Array.from({ length: 8 }, (_, i) => fail(i * 17)) },
  {
    name: 'A user whose client normally fails 20 times a day (learned) does not alert on 20, but does on 26',
    config: { learningDays: 7 },
    steps: [
      ...Array.from({ length: 8 }, (_, d) => Array.from({ length: 20 }, (_, i) => fail(d * D + i / 2))).flat(),
      ...Array.from({ length: 25 }, (_, i) => fail(8 * D + i / 3)),
      { ...fail(8 * D + 9), expect: [{ details: { count: 26, baseline: { normal: 20, days: 8, threshold: 26 } }, evidence: ['Normal for this user: 20 failures per window'] }] },
    ],
  },
  {
    name: 'Password spray: one IP failing against 10 users in the window is reported as the IP (user null)',
    steps: [
      ...Array.from({ length: 9 }, (_, i) => fail(i, '198.51.100.99', `user${i}@example.com`)),
      { ...fail(9, '198.51.100.99', 'user9@example.com'), expect: [{ user: null, severity: 'medium', title: 'Password spray from 198.51.100.99', details: { kind: 'password_spray', users: 10 } }] },
    ],
  },
  {
    name: 'A success from a different network after the alert does not escalate',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(i)),
      { ...fail(7), expect: [{ severity: 'low' }] },
      { at: 9, ip: '192.0.2.55', place: 'paris' },
    ],
  },
  {
    name: 'A success from the same /24 network escalates',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(i)),
      { ...fail(7), expect: [{ severity: 'low' }] },
      { at: 9, ip: '203.0.113.99', place: 'paris', expect: [{ severity: 'high', details: { followedBySuccess: { match: 'same network' } } }] },
    ],
  },
  {
    name: 'IPv4-mapped addresses in different /24s are different networks (no escalation)',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(i, '::ffff:81.2.69.160')),
      { ...fail(7, '::ffff:81.2.69.160'), expect: [{ severity: 'low' }] },
      { at: 9, ip: '::ffff:12.12.12.12', place: 'paris' },
    ],
  },
  {
    name: 'An IPv4-mapped address and the plain IPv4 of the same /24 are the same network',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(i, '::ffff:203.0.113.20')),
      { ...fail(7, '::ffff:203.0.113.20'), expect: [{ severity: 'low' }] },
      { at: 9, ip: '203.0.113.7', place: 'paris', expect: [{ severity: 'high', details: { followedBySuccess: { match: 'same network' } } }] },
    ],
  },
  {
    name: 'IPv6 in the same /48, written compressed differently, escalates',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(i, '2a02:c7f::1')),
      { ...fail(7, '2a02:c7f::1'), expect: [{ severity: 'low' }] },
      { at: 9, ip: '2a02:c7f:0:5::1', place: 'paris', expect: [{ severity: 'high', details: { followedBySuccess: { match: 'same network' } } }] },
    ],
  },
  {
    name: 'IPv6 in another /48 does not escalate',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(i, '2a02:c7f::1')),
      { ...fail(7, '2a02:c7f::1'), expect: [{ severity: 'low' }] },
      { at: 9, ip: '2a02:c7f:1::1', place: 'paris' },
    ],
  },
  {
    name: 'The behaviour continuing for an hour is raised once (cool-down 1 h, sliding)',
    steps: Array.from({ length: 60 }, (_, i) => (i < 7 ? fail(i) : { ...fail(i), expect: [{ count: i - 6 }] })),
  },
  {
    name: 'Out of order (serve, a late batch): failures at 0-3, 120-123, then late 60-63 min never fill one window (no "from 11:00 to 10:03" alert)',
    steps: [0, 1, 2, 3, 120, 121, 122, 123, 60, 61, 62, 63].map((m) => fail(m)),
  },
  {
    name: 'Out of order: a late batch that is itself a brute force alerts on its own window',
    steps: [
      fail(120),
      ...Array.from({ length: 7 }, (_, i) => fail(60 + i)),
      { ...fail(67), expect: [{ details: { count: 8 }, evidence: ['8 failed sign-ins within 15 min (from 2026-03-02T09:00:00.000Z to 2026-03-02T09:07:00.000Z)'] }] },
    ],
  },
  {
    name: 'Out of order: a late failure that completes a window before the newest one counts with it',
    steps: [
      ...Array.from({ length: 7 }, (_, i) => fail(10 + i)),
      { ...fail(9), expect: [{ details: { count: 8 }, evidence: ['(from 2026-03-02T08:09:00.000Z to 2026-03-02T08:16:00.000Z)'] }] },
    ],
  },
  {
    name: 'Out of order: a late failure from an earlier day counts in that day\'s peak, not twice in the baseline',
    config: { learningDays: 4 },
    steps: [
      ...Array.from({ length: 4 }, (_, d) => Array.from({ length: 10 }, (_, i) => fail(d * D + i))).flat(),
      fail(2 * D + 30), // day 2, arriving late during day 3
      fail(3 * D + 60),
      ...Array.from({ length: 15 }, (_, i) => fail(5 * D + i / 2)),
      { ...fail(5 * D + 8), expect: [{ details: { count: 16, baseline: { normal: 10, days: 4, threshold: 16 } } }] },
    ],
  },
  {
    name: 'Password spray out of order: 5 users at 10:00 and 5 users late from 08:00 are not 10 in one window',
    steps: [
      ...Array.from({ length: 5 }, (_, i) => fail(120 + i, '198.51.100.99', `user${i}@example.com`)),
      ...Array.from({ length: 5 }, (_, i) => fail(i, '198.51.100.99', `user${5 + i}@example.com`)),
    ],
  },
  {
    name: 'Password spray out of order: a late user completing a window counts, with that window\'s targets',
    steps: [
      ...Array.from({ length: 9 }, (_, i) => fail(10 + i, '198.51.100.99', `user${i}@example.com`)),
      fail(40, '198.51.100.99', 'late1@example.com'),
      {
        ...fail(9, '198.51.100.99', 'late0@example.com'),
        expect: [{ user: null, title: 'Password spray', details: { users: 10, targets: [...Array.from({ length: 9 }, (_, i) => `user${i}@example.com`), 'late0@example.com'] } }],
      },
    ],
  },
  {
    name: 'Password spray respects scope: 10 users outside includeUsers do not make a spray',
    config: { failed_logins: { includeUsers: ['vip@example.com'] } },
    steps: Array.from({ length: 10 }, (_, i) => fail(i, '198.51.100.99', `user${i}@example.com`)),
  },
  {
    name: 'Password spray respects scope: an excluded user neither counts nor appears among the targets',
    config: { failed_logins: { excludeUsers: ['redteam@example.com'] } },
    steps: [
      fail(0, '198.51.100.99', 'redteam@example.com'),
      ...Array.from({ length: 9 }, (_, i) => fail(1 + i, '198.51.100.99', `user${i}@example.com`)),
      {
        ...fail(10, '198.51.100.99', 'user9@example.com'),
        expect: [{ user: null, details: { users: 10, targets: Array.from({ length: 10 }, (_, i) => `user${i}@example.com`) } }],
      },
    ],
  },
  {
    name: 'minFailures and windowSecs are configurable',
    config: { failed_logins: { minFailures: 3, marginFailures: 0, windowSecs: 60 } },
    steps: [fail(0), fail(0.5), { ...fail(0.9), expect: [{ details: { count: 3, windowSecs: 60 } }] }],
  },
];
