/**
 * Cases for infrequent_country. Panther cases: rules/notion_rules/notion_login_from_new_location.yml and
 * rules/standard_rules/sign_in_from_rogue_state.yml (Apache-2.0, @daa10c88), converted to activities: the
 * cached "previous location" is history in the first steps; fictional places become real countries.
 */
import type { CaseStep, DetectionCase } from '../testing.ts';

const D = 1440; // minutes per day
/** The user signs in from the US once a day for `days` days. */
const usHistory = (days: number, user = 'alice@example.com'): CaseStep[] =>
  Array.from({ length: days }, (_, i) => ({ at: i * D, user, place: 'newYork' as const, ip: '198.51.100.1' }));

export const cases: DetectionCase[] = [
  {
    name: 'Panther Notion "Login from normal location": a country seen before does not alert',
    source: 'panther-analysis rules/notion_rules/notion_login_from_new_location.yml',
    steps: [...usHistory(10), { at: 10 * D, place: 'chicago', ip: '198.51.100.2' }],
  },
  {
    name: 'Panther Notion "Login from different location" (Gondor -> Mordor): a new country after enough history alerts',
    source: 'panther-analysis rules/notion_rules/notion_login_from_new_location.yml',
    steps: [
      ...usHistory(10),
      {
        at: 10 * D + 60, place: 'moscow', ip: '203.0.113.66',
        expect: [{ severity: 'low', title: 'Russia', details: { country: 'RU', previouslySeen: null, knownCountries: [{ country: 'US' }] }, evidence: ['US (last 2026-03-11)'] }],
      },
    ],
  },
  {
    name: 'Panther Notion "No previous recorded login": a user\'s first activity never alerts',
    source: 'panther-analysis rules/notion_rules/notion_login_from_new_location.yml',
    steps: [{ at: 0, place: 'moscow', ip: '203.0.113.66' }],
  },
  {
    name: 'Panther Notion "Missing enrichment": no geo, no alert',
    source: 'panther-analysis rules/notion_rules/notion_login_from_new_location.yml',
    steps: [...usHistory(10), { at: 10 * D, ip: '203.0.113.66', geo: null }],
  },
  {
    name: 'Panther "Sign-In From Country That Doesn\'t Exist" (FAKE_COUNTRY, here "FAKE"): not a country code, no alert',
    source: 'panther-analysis rules/standard_rules/sign_in_from_rogue_state.yml',
    steps: [...usHistory(10), { at: 10 * D, ip: '203.0.113.66', geo: { country: 'FAKE' } }],
  },
  {
    name: 'Not enough history: a user seen for 2 days does not alert on a new country',
    steps: [...usHistory(2), { at: 2 * D + 60, place: 'paris', ip: '203.0.113.7' }],
  },
  {
    name: 'minHistoryDays is configurable: 1 day is enough',
    config: { infrequent_country: { minHistoryDays: 1 } },
    steps: [...usHistory(2), { at: 2 * D + 60, place: 'paris', ip: '203.0.113.7', expect: [{ details: { country: 'FR' } }] }],
  },
  {
    name: 'A country used recently does not alert again (and dedup folds a same-day repeat)',
    steps: [
      ...usHistory(9),
      { at: 9 * D, place: 'paris', ip: '203.0.113.7', expect: [{ count: 1 }] },
      { at: 9 * D + 30, place: 'paris', ip: '203.0.113.7' },
      { at: 10 * D, place: 'lyon', ip: '203.0.113.8' },
    ],
  },
  {
    name: 'A country not used within the lookback (last seen 40 days ago) alerts again, with its last-seen date',
    steps: [
      { at: 0, place: 'paris', ip: '203.0.113.7' },
      ...usHistory(41).slice(1),
      { at: 41 * D, place: 'paris', ip: '203.0.113.7', expect: [{ details: { country: 'FR', previouslySeen: '2026-03-02' }, evidence: ['not used France since 2026-03-02'] }] },
    ],
  },
  {
    name: 'Organisation scope: a country another user in the organisation uses does not alert',
    config: { infrequent_country: { scope: 'organization' } },
    steps: [
      ...usHistory(9),
      { at: 30, user: 'bob@example.com', place: 'paris', ip: '203.0.113.7' },
      { at: 9 * D, place: 'paris', ip: '203.0.113.8' },
    ],
  },
  {
    name: 'Organisation scope: a country nobody in the organisation used alerts',
    config: { infrequent_country: { scope: 'organization' } },
    steps: [
      ...usHistory(9),
      { at: 30, user: 'bob@example.com', place: 'paris', ip: '203.0.113.7' },
      { at: 9 * D, place: 'moscow', ip: '203.0.113.8', expect: [{ details: { scope: 'organization', country: 'RU' } }] },
    ],
  },
  {
    name: 'Organisation scope: the alert says nobody in the organisation used the country (no "has never used")',
    config: { infrequent_country: { scope: 'organization' } },
    steps: [
      ...usHistory(9),
      {
        at: 9 * D, place: 'lagos', ip: '203.0.113.8',
        expect: [{ details: { scope: 'organization', country: 'NG', organisationPreviouslySeen: null }, evidence: ['Nobody in the organisation has used Nigeria within the lookback (30 days)'] }],
      },
    ],
  },
  {
    name: "Organisation scope: the last use named is the organisation's (bob, day 2), not the user's own (day 0)",
    config: { lookbackDays: 10, infrequent_country: { scope: 'organization' } },
    steps: [
      { at: 0, place: 'moscow', ip: '203.0.113.8' },
      { at: 2 * D, user: 'bob@example.com', place: 'moscow', ip: '203.0.113.9' },
      ...Array.from({ length: 12 }, (_, i) => ({ at: (i + 1) * D, place: 'newYork' as const, ip: '198.51.100.1' })),
      {
        at: 13 * D - 60, place: 'moscow', ip: '203.0.113.8',
        expect: [{ details: { previouslySeen: '2026-03-02', organisationPreviouslySeen: '2026-03-04' }, evidence: ['Nobody in the organisation has used Russia since 2026-03-04 (lookback 10 days)'] }],
      },
    ],
  },
  {
    name: 'Excluded group (frequent travellers) does not alert',
    config: { infrequent_country: { excludeGroups: ['Frequent Travellers'] } },
    directory: [{ email: 'alice@example.com', groups: ['frequent travellers'] }],
    steps: [...usHistory(9), { at: 9 * D, place: 'moscow', ip: '203.0.113.8' }],
  },
  {
    name: 'Failed sign-ins from a new country are ignored',
    steps: [...usHistory(9), { at: 9 * D, place: 'moscow', ip: '203.0.113.8', outcome: 'failure' }],
  },
  {
    name: 'successOnly: false counts failed sign-ins',
    config: { infrequent_country: { successOnly: false } },
    steps: [...usHistory(9), { at: 9 * D, place: 'moscow', ip: '203.0.113.8', outcome: 'failure', expect: [{}] }],
  },
  {
    name: 'Non-interactive activities are ignored',
    steps: [...usHistory(9), { at: 9 * D, place: 'moscow', ip: '203.0.113.8', interactive: false, category: 'other', action: 'api.call' }],
  },
  {
    name: 'The organisation VPN exit in another country is not a visit to that country',
    steps: [...usHistory(9), { at: 9 * D, place: 'amsterdam', ip: '203.0.113.8', ipCategory: 'vpn' }],
  },
  {
    name: 'Private addresses are ignored even when geo is present',
    steps: [...usHistory(9), { at: 9 * D, place: 'moscow', ip: '10.1.2.3', ipCategory: 'private' }],
  },
];
