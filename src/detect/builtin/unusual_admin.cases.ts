/**
 * Cases for unusual_admin. Panther: test_scenarios/okta-add-administrator/admin_privs_assigned.yml and
 * rules/okta_rules/okta_admin_role_assigned.yml, rules/standard_rules/admin_assigned.yml (Apache-2.0,
 * @daa10c88): a first-ever admin action type for the user, after learning, alerts.
 */
import type { CaseStep, DetectionCase } from '../testing.ts';

const D = 1440;
/** `n` admin actions of the given types, one a minute from `at` (one session). */
const session = (at: number, n: number, types = ['group.update', 'user.update'], user = 'admin@example.com'): CaseStep[] =>
  Array.from({ length: n }, (_, i) => ({ at: at + i, user, admin: true, action: types[i % types.length], category: 'admin' as const, place: 'berlin' as const }));

export const cases: DetectionCase[] = [
  {
    name: 'Panther okta-add-administrator "admin_privs_assigned": jack\'s first-ever privilege grant, after weeks of plain logins, alerts',
    source: 'panther-analysis test_scenarios/okta-add-administrator/admin_privs_assigned.yml',
    config: { learningDays: 7 },
    steps: [
      { at: '2021-05-22T10:21:04.490Z', user: 'jack.naglieri@runpanther.io', ip: '104.13.169.118', place: 'seattle' },
      { at: '2021-06-20T10:27:03.490Z', user: 'jack.naglieri@runpanther.io', ip: '136.24.229.58', place: 'seattle' },
      {
        at: '2021-06-26T21:27:03.490Z', user: 'jack.naglieri@runpanther.io', ip: '194.88.246.242', place: 'paris', admin: true, action: 'user.account.privilege.grant', category: 'admin',
        expect: [{ severity: 'medium', title: 'first-time action types', details: { kind: 'new_action_types', unusualActionTypes: ['user.account.privilege.grant'] }, evidence: ['"user.account.privilege.grant"'] }],
      },
    ],
  },
  {
    name: 'Panther okta_admin_role_assigned "Admin Access Assigned": an admin who grants roles every day does not alert on another grant',
    source: 'panther-analysis rules/okta_rules/okta_admin_role_assigned.yml',
    config: { learningDays: 7 },
    steps: [
      ...Array.from({ length: 8 }, (_, d) => session(d * D, 3, ['user.account.privilege.grant'], 'jack@acme.io')).flat(),
      ...session(8 * D, 3, ['user.account.privilege.grant'], 'jack@acme.io'),
    ],
  },
  {
    name: 'Panther admin_assigned "GSuite - Privileges Assigned" (ASSIGN_ROLE) by a user with other admin history: new type alerts; repeats in the session fold in',
    source: 'panther-analysis rules/standard_rules/admin_assigned.yml',
    config: { learningDays: 7 },
    steps: [
      ...Array.from({ length: 8 }, (_, d) => session(d * D, 4)).flat(),
      { at: 8 * D, user: 'admin@example.com', admin: true, action: 'ASSIGN_ROLE', category: 'admin', place: 'berlin', expect: [{ count: 1, details: { unusualActionTypes: ['ASSIGN_ROLE'] } }] },
      { at: 8 * D + 1, user: 'admin@example.com', admin: true, action: 'CHANGE_PASSWORD', category: 'admin', place: 'berlin', expect: [{ count: 2, details: { unusualActionTypes: ['ASSIGN_ROLE', 'CHANGE_PASSWORD'] } }] },
      { at: 8 * D + 2, user: 'admin@example.com', admin: true, action: 'ASSIGN_ROLE', category: 'admin', place: 'berlin' },
    ],
  },
  {
    name: 'Panther admin_assigned "GSuite - Other Admin Action" look-alike: a non-admin activity is ignored',
    source: 'panther-analysis rules/standard_rules/admin_assigned.yml',
    config: { learningDays: 7 },
    steps: [...Array.from({ length: 8 }, (_, d) => session(d * D, 4)).flat(), { at: 8 * D, user: 'admin@example.com', action: 'RENAME_ROLE', category: 'other', place: 'berlin' }],
  },
  {
    name: 'A steady admin with 40 admin actions every day does not alert on a day of 40',
    config: { learningDays: 7 },
    steps: [...Array.from({ length: 10 }, (_, d) => session(d * D, 40)).flat(), ...session(10 * D, 40)],
  },
  {
    name: 'The same steady admin alerts on a session of 150 (volume far above median + 5 x MAD)',
    config: { learningDays: 7 },
    steps: [
      ...Array.from({ length: 10 }, (_, d) => session(d * D, 40)).flat(),
      ...session(10 * D, 90),
      { at: 10 * D + 90, user: 'admin@example.com', admin: true, action: 'group.update', category: 'admin', place: 'berlin', expect: [{ details: { kind: 'volume', sessionCount: 91, baseline: { median: 40, threshold: 90 } }, evidence: ['91 administrative actions', 'median 40'] }] },
    ],
  },
  {
    name: 'Admin actions during the learning period never alert',
    config: { learningDays: 7 },
    steps: [...session(0, 100, ['a.one', 'a.two', 'a.three'])],
  },
  {
    name: 'Failed admin attempts are not counted',
    steps: [{ at: 0, user: 'mallory@example.com', admin: true, action: 'user.delete', category: 'admin', outcome: 'failure' }],
  },
  {
    name: 'newActionTypes: false turns novelty alerts off',
    config: { unusual_admin: { newActionTypes: false } },
    steps: [{ at: 0, user: 'mallory@example.com', admin: true, action: 'user.delete', category: 'admin' }],
  },
  {
    name: 'Out of order (serve, a late batch): sessions of 10 at 09:00 and 11:00, then 10 late from 10:00, are never one session of 20',
    config: { unusual_admin: { newActionTypes: false } },
    steps: [...session(60, 10), ...session(180, 10), ...session(120, 10)],
  },
  {
    name: 'Out of order: activities late but inside the current session (09:10 within 09:00-09:24) still count in it',
    config: { unusual_admin: { newActionTypes: false } },
    steps: [
      ...session(60, 10),
      ...session(80, 5),
      ...session(70, 5).map((st, i) => ({ ...st, expect: [{ details: { kind: 'volume', sessionCount: 16 + i, sessionStart: '2026-03-02T09:00:00.000Z' } }] })),
    ],
  },
];
