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
    name: 'minFailures and windowSecs are configurable',
    config: { failed_logins: { minFailures: 3, marginFailures: 0, windowSecs: 60 } },
    steps: [fail(0), fail(0.5), { ...fail(0.9), expect: [{ details: { count: 3, windowSecs: 60 } }] }],
  },
];
