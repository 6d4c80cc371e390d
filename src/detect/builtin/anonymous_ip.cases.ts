/**
 * Cases for anonymous_ip. Panther cases: rules/okta_rules/okta_anonymizing_vpn_login.yml (Apache-2.0,
 * @daa10c88): Okta `securityContext.isProxy: true` is the enrichment tag "Anonymous proxy" here.
 */
import type { CaseStep, DetectionCase } from '../testing.ts';

const P = 'panther-analysis rules/okta_rules/okta_anonymizing_vpn_login.yml';
/** `n` different users sign in normally (the organisation's size for the share suppression). */
const org = (n: number): CaseStep[] => Array.from({ length: n }, (_, i) => ({ at: i, user: `u${i}@example.com`, place: 'london' as const, ip: `198.51.100.${i + 1}` }));

export const cases: DetectionCase[] = [
  {
    name: 'Panther "Anonymizing Proxy Used" (isProxy, outcome FAILURE): Rampart ignores failed sign-ins -> no alert',
    source: P,
    steps: [{ at: '2022-06-22T18:18:29.015Z', user: 'homer.simpson@duff.com', ip: '1.3.2.4', place: 'chicago', asn: 701, isp: 'verizon', ipTags: ['Anonymous proxy'], outcome: 'failure' }],
  },
  {
    name: 'Panther "Anonymizing Proxy Used", as a successful sign-in: alerts',
    source: P,
    config: { learningDays: 7 },
    steps: [
      {
        at: '2022-06-22T18:18:29.015Z', user: 'homer.simpson@duff.com', ip: '1.3.2.4', place: 'chicago', asn: 701, isp: 'verizon', ipTags: ['Anonymous proxy'],
        expect: [{ severity: 'medium', user: 'homer.simpson@duff.com', details: { ip: '1.3.2.4', reason: 'tag "Anonymous proxy"' }, evidence: ['Anonymizing proxy or VPN service: 1.3.2.4'] }],
      },
    ],
  },
  {
    name: 'Panther "Apple Private Relay Used": a privacy relay is not an anonymizer for this detection (widespread benign use) -> no alert',
    source: P,
    steps: [{ at: '2022-06-22T18:18:29.015Z', user: 'homer.simpson@duff.com', ip: '1.3.2.4', place: 'chicago', ipCategory: 'hosting', ipTags: ['Private relay'] }],
  },
  { name: 'Panther "Other Event": an ordinary sign-in does not alert', source: P, steps: [{ at: 0, place: 'chicago', ip: '198.51.100.4' }] },
  {
    name: 'Tor exit (category tor) alerts on the first day: no learning period',
    config: { learningDays: 7 },
    steps: [{ at: 0, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor', ipTags: ['Tor exit node'], expect: [{ title: 'Tor exit node', details: { ipCategory: 'tor' } }] }],
  },
  {
    name: 'Commercial anonymizing VPN (category anonymizer) alerts',
    steps: [{ at: 0, place: 'amsterdam', ip: '203.0.113.200', ipCategory: 'anonymizer', ipTags: ['Anonymizing VPN'], expect: [{ details: { reason: 'category anonymizer' } }] }],
  },
  {
    name: 'Org corporate range overrides a built-in anonymizer tag (custom beats built-in)',
    steps: [{ at: 0, place: 'amsterdam', ip: '203.0.113.200', ipCategory: 'corporate', ipTags: ['Anonymous proxy'] }],
  },
  {
    name: 'Org vpn range overrides a built-in Tor tag',
    steps: [{ at: 0, place: 'amsterdam', ip: '203.0.113.200', ipCategory: 'vpn', ipTags: ['Tor exit node'] }],
  },
  {
    name: 'Org range of category other with a custom "Anonymous proxy" tag alerts',
    steps: [{ at: 0, place: 'amsterdam', ip: '203.0.113.200', ipCategory: 'other', ipTags: ['Anonymous proxy'], expect: [{}] }],
  },
  {
    name: 'A tag that merely contains "tor" ("Vendor monitoring") does not make an anonymous proxy a Tor exit in the title',
    steps: [
      {
        at: 0, place: 'paris', ip: '203.0.113.200', ipCategory: 'other', ipTags: ['Anonymous proxy', 'Vendor monitoring'],
        expect: [{ title: 'Activity from an anonymous IP address: 203.0.113.200', evidence: ['Anonymizing proxy or VPN service: 203.0.113.200'] }],
      },
    ],
  },
  {
    name: 'The tag "Tor exit node" (any case) still titles the alert as a Tor exit',
    steps: [{ at: 0, place: 'berlin', ip: '203.0.113.201', ipTags: ['tor exit node'], expect: [{ title: 'Activity from a Tor exit node: 203.0.113.201' }] }],
  },
  {
    name: 'An anonymizer address widely used by the organisation (5 of 10 users) stops alerting from the 5th user on',
    steps: [
      ...org(10),
      ...[0, 1, 2, 3].map((i) => ({ at: 60 + i, user: `u${i}@example.com`, place: 'amsterdam' as const, ip: '203.0.113.200', ipCategory: 'anonymizer' as const, expect: [{ user: `u${i}@example.com` }] })),
      { at: 70, user: 'u4@example.com', place: 'amsterdam', ip: '203.0.113.200', ipCategory: 'anonymizer' },
      { at: 71, user: 'u5@example.com', place: 'amsterdam', ip: '203.0.113.200', ipCategory: 'anonymizer' },
    ],
  },
  {
    name: 'orgShareSuppression: 0 turns the share suppression off',
    config: { anonymous_ip: { orgShareSuppression: 0 } },
    steps: [
      ...org(5),
      ...[0, 1, 2, 3, 4].map((i) => ({ at: 60 + i, user: `u${i}@example.com`, place: 'amsterdam' as const, ip: '203.0.113.200', ipCategory: 'anonymizer' as const, expect: [{}] })),
    ],
  },
  {
    name: 'Non-interactive activity from Tor is ignored',
    steps: [{ at: 0, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor', interactive: false, action: 'api.call', category: 'other' }],
  },
  {
    name: 'Repeated activity from the same Tor exit folds into one alert',
    steps: [
      { at: 0, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor', expect: [{ count: 1 }] },
      { at: 5, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor', expect: [{ count: 2 }] },
    ],
  },
];
