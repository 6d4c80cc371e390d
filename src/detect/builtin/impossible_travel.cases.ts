/**
 * Cases for impossible_travel: alert and look-alike no-alert sequences. Panther cases come from
 * panther-analysis rules/standard_rules/impossible_travel_login.yml (Apache-2.0, @daa10c88), converted to
 * activities; the previous login that Panther mocks is the first step.
 */
import type { DetectionCase } from '../testing.ts';

const P = 'panther-analysis rules/standard_rules/impossible_travel_login.yml';

export const cases: DetectionCase[] = [
  {
    name: 'Panther "CloudTrail ConsoleLogin with history": New York then Auckland 2 h later alerts',
    source: P,
    steps: [
      { at: '2023-05-26T18:14:51Z', place: 'newYork', ip: '198.51.100.7' },
      {
        at: '2023-05-26T20:14:51Z', place: 'auckland', ip: '12.12.12.12',
        expect: [{ severity: 'medium', title: 'New York', details: { from: { country: 'US', ip: '198.51.100.7' }, to: { country: 'NZ', ip: '12.12.12.12' }, elapsedSecs: 7200 }, evidence: ['km/h needed', 'Auckland'] }],
      },
    ],
  },
  { name: 'Panther "ConsoleLogin no history": a first sign-in never alerts', source: P, steps: [{ at: '2023-05-26T20:14:51Z', place: 'auckland', ip: '12.12.12.12' }] },
  {
    name: 'Panther "Okta Not sign-in": a logout (not interactive sign-in) is ignored',
    source: P,
    steps: [
      { at: '2023-05-26T18:14:51Z', place: 'newYork', ip: '198.51.100.7' },
      { at: '2023-05-26T18:20:00Z', place: 'auckland', ip: '12.12.12.12', action: 'logout', category: 'logout', interactive: false },
    ],
  },
  {
    name: 'Panther "Short Distances and Short Timedeltas" (LA -> Anaheim, 130 s): Panther says LOW alert; Rampart: same country, under 500 km -> no alert',
    source: P,
    steps: [
      { at: '2023-06-12T22:23:51.964Z', place: 'losAngeles', ip: '198.51.100.8' },
      { at: '2023-06-12T22:26:01.951Z', place: 'anaheim', ip: '12.12.12.11' },
    ],
  },
  {
    name: 'Panther "Asana ImpossibleTravel" (NYC -> Anaheim in 1 h): same country -> no alert (MDCA country-level rule)',
    source: P,
    steps: [
      { at: '2023-06-12T21:26:01.951Z', place: 'newYork', ip: '198.51.100.9' },
      { at: '2023-06-12T22:26:01.951Z', place: 'anaheim', ip: '1.2.3.4' },
    ],
  },
  {
    name: 'Panther "VPN with service" (NYC -> LA over Private Internet Access): no alert',
    source: P,
    steps: [
      { at: '2023-05-26T18:14:51Z', place: 'newYork', ip: '198.51.100.7' },
      { at: '2023-05-26T20:18:51Z', place: 'losAngeles', ip: '12.12.12.12', ipCategory: 'anonymizer', ipTags: ['Anonymizing VPN'], isp: 'Private Internet Access' },
    ],
  },
  {
    name: 'Panther "Apple Private Relay": relay exits have no physical location -> no alert even across an ocean',
    source: P,
    steps: [
      { at: '2023-05-26T18:14:51Z', place: 'newYork', ip: '198.51.100.7' },
      { at: '2023-05-26T18:30:00Z', place: 'london', ip: '12.12.12.12', ipCategory: 'hosting', ipTags: ['Private relay'] },
    ],
  },
  {
    name: 'Panther "no VPN, Intelsat ASN" (in-flight Wi-Fi, AS22351): London -> Virginia in 2 h -> suppressed (satellite)',
    source: P,
    steps: [
      { at: '2023-05-26T18:14:51Z', place: 'london', ip: '198.51.100.7' },
      { at: '2023-05-26T20:18:51Z', place: 'tysonsCorner', ip: '164.86.38.26', asn: 22351, isp: 'INTELSAT GLOBAL SERVICE CORPORATION' },
    ],
  },
  {
    name: 'Panther "First hit from VPN should not fail": a first relay sign-in is not kept as the previous location',
    source: P,
    steps: [
      { at: '2023-05-26T20:18:51Z', place: 'losAngeles', ip: '12.12.12.12', ipCategory: 'hosting', ipTags: ['Private relay'] },
      { at: '2023-05-26T20:30:00Z', place: 'london', ip: '198.51.100.77' },
    ],
  },
  {
    name: 'Panther "Notion Impossible Travel" (private 192.168.x addresses, fictional countries): no usable geo -> no alert',
    source: P,
    steps: [
      { at: '2023-10-03T18:26:01.951Z', ip: '192.168.100.101', ipCategory: 'private', geo: { country: null } },
      { at: '2023-10-03T19:02:28.044Z', ip: '192.168.100.100', ipCategory: 'private', geo: { country: null } },
    ],
  },
  {
    name: 'Lisbon -> Warsaw in 1 h (2,760 km, not bordering) alerts',
    steps: [
      { at: 0, place: 'lisbon', ip: '198.51.100.1' },
      { at: 60, place: 'warsaw', ip: '203.0.113.5', expect: [{ details: { from: { country: 'PT' }, to: { country: 'PL' } } }] },
    ],
  },
  {
    name: 'Paris -> Sao Paulo in 1 h alerts: metropolitan France does not border Brazil (French Guiana, GF, does)',
    steps: [
      { at: 0, place: 'paris', ip: '198.51.100.1' },
      { at: 60, place: 'saoPaulo', ip: '203.0.113.5', expect: [{ details: { from: { country: 'FR' }, to: { country: 'BR' } } }] },
    ],
  },
  { name: 'Same IP on both sides never alerts', steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'tokyo', ip: '198.51.100.1' }] },
  {
    name: 'Bordering countries (cross-border commuter Strasbourg FR -> Kehl DE, 5 min) never alert',
    steps: [{ at: 0, place: 'strasbourg', ip: '198.51.100.1' }, { at: 5, place: 'kehl', ip: '203.0.113.9' }],
  },
  {
    name: 'Bordering countries far apart (Paris -> Munich 30 min, 680 km) do not alert',
    steps: [{ at: 0, place: 'paris', ip: '198.51.100.1' }, { at: 30, place: 'munich', ip: '203.0.113.9' }],
  },
  {
    name: 'Distance under the minimum (Brussels -> London, 320 km in 10 min) does not alert',
    steps: [{ at: 0, place: 'brussels', ip: '198.51.100.1' }, { at: 10, place: 'london', ip: '203.0.113.9' }],
  },
  {
    name: 'A real flight (London -> New York 9 h later, 620 km/h) does not alert',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 540, place: 'newYork', ip: '203.0.113.9' }],
  },
  {
    name: 'maxSpeedKmh is configurable: the same flight alerts at 500 km/h',
    config: { impossible_travel: { maxSpeedKmh: 500 } },
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 540, place: 'newYork', ip: '203.0.113.9', expect: [{ details: { thresholds: { maxSpeedKmh: 500 } } }] }],
  },
  {
    name: 'Org VPN range on one side suppresses',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', ipCategory: 'vpn' }],
  },
  {
    name: 'Cloud provider range suppresses',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', ipCategory: 'cloud_provider' }],
  },
  {
    name: 'Hosting network suppresses',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'singapore', ip: '203.0.113.9', ipCategory: 'hosting' }],
  },
  {
    name: 'Satellite tag suppresses',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'johannesburg', ip: '203.0.113.9', ipTags: ['Satellite provider'] }],
  },
  {
    name: 'Untagged VPN hop between (not cached): London, VPN exit in Tokyo, London again -> no alert',
    steps: [
      { at: 0, place: 'london', ip: '198.51.100.1' },
      { at: 10, place: 'tokyo', ip: '203.0.113.9', ipCategory: 'vpn' },
      { at: 20, place: 'london', ip: '198.51.100.2' },
    ],
  },
  {
    name: 'Both sides corporate at medium sensitivity: trusted travel, no alert',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1', ipCategory: 'corporate' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', ipCategory: 'corporate' }],
  },
  {
    name: 'Both sides corporate at high sensitivity alerts',
    config: { impossible_travel: { sensitivity: 'high' } },
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1', ipCategory: 'corporate' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', ipCategory: 'corporate', expect: [{ details: { from: { safe: true }, to: { safe: true } } }] }],
  },
  {
    name: 'Both sides corporate at high sensitivity: the evidence does not say only one side is trusted',
    config: { impossible_travel: { sensitivity: 'high' } },
    steps: [
      { at: 0, place: 'london', ip: '198.51.100.1', ipCategory: 'corporate' },
      { at: 30, place: 'tokyo', ip: '203.0.113.9', ipCategory: 'corporate', expect: [{ evidence: ['Both sides are organisation-trusted ranges: trusted travel, alerted because sensitivity is high'] }] },
      { at: 90, place: 'newYork', ip: '198.51.100.2', expect: [{ evidence: ['One side is an organisation-trusted range (first sign-in)'] }] },
    ],
  },
  {
    name: 'Only one side corporate: evaluated as normal, alerts',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1', ipCategory: 'corporate' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', expect: [{ evidence: ['organisation-trusted range'] }] }],
  },
  {
    name: 'User suppression (medium): Tokyo is a location the user commonly uses -> no alert',
    steps: [
      { at: 0, place: 'tokyo', ip: '203.0.113.9' },
      { at: 1440, place: 'tokyo', ip: '203.0.113.9' },
      { at: 2880, place: 'tokyo', ip: '203.0.113.9' },
      { at: 4320, place: 'london', ip: '198.51.100.1' },
      { at: 4380, place: 'tokyo', ip: '203.0.113.10' },
    ],
  },
  {
    name: 'High sensitivity drops the user suppression: the same sequence alerts',
    config: { impossible_travel: { sensitivity: 'high' } },
    steps: [
      { at: 0, place: 'tokyo', ip: '203.0.113.9' },
      { at: 1440, place: 'tokyo', ip: '203.0.113.9' },
      { at: 2880, place: 'tokyo', ip: '203.0.113.9' },
      { at: 4320, place: 'london', ip: '198.51.100.1' },
      { at: 4380, place: 'tokyo', ip: '203.0.113.10', expect: [{ details: { sensitivity: 'high' } }] },
    ],
  },
  {
    name: 'Tenant suppression (low): an ISP already alerted on in the organisation does not alert again for another user',
    config: { impossible_travel: { sensitivity: 'low' } },
    steps: [
      { at: 0, user: 'ann@example.com', place: 'london', ip: '198.51.100.1' },
      { at: 30, user: 'ann@example.com', place: 'moscow', ip: '203.0.113.50', asn: 64500, expect: [{ user: 'ann@example.com' }] },
      { at: 40, user: 'bob@example.com', place: 'london', ip: '198.51.100.2' },
      { at: 70, user: 'bob@example.com', place: 'moscow', ip: '203.0.113.51', asn: 64500 },
    ],
  },
  {
    name: 'Tenant suppression (low) counts only raised alerts: an excluded user\'s travel on an ISP does not silence another user\'s',
    config: { impossible_travel: { sensitivity: 'low', excludeUsers: ['redteam@example.com'] } },
    steps: [
      { at: 0, user: 'redteam@example.com', place: 'london', ip: '198.51.100.1' },
      { at: 30, user: 'redteam@example.com', place: 'moscow', ip: '203.0.113.50', asn: 64500 },
      { at: 40, user: 'bob@example.com', place: 'london', ip: '198.51.100.2' },
      { at: 70, user: 'bob@example.com', place: 'moscow', ip: '203.0.113.51', asn: 64500, expect: [{ user: 'bob@example.com' }] },
    ],
  },
  {
    name: 'Tenant suppression (low) with includeGroups: an out-of-scope user\'s travel does not silence a member\'s',
    config: { impossible_travel: { sensitivity: 'low', includeGroups: ['Finance'] } },
    directory: [{ email: 'bob@example.com', groups: ['Finance'] }],
    steps: [
      { at: 0, user: 'ann@example.com', place: 'london', ip: '198.51.100.1' },
      { at: 30, user: 'ann@example.com', place: 'moscow', ip: '203.0.113.50', asn: 64500 },
      { at: 40, user: 'bob@example.com', place: 'london', ip: '198.51.100.2' },
      { at: 70, user: 'bob@example.com', place: 'moscow', ip: '203.0.113.51', asn: 64500, expect: [{ user: 'bob@example.com' }] },
    ],
  },
  {
    name: 'Medium sensitivity keeps tenant-alerted ISPs: the second user alerts too',
    steps: [
      { at: 0, user: 'ann@example.com', place: 'london', ip: '198.51.100.1' },
      { at: 30, user: 'ann@example.com', place: 'moscow', ip: '203.0.113.50', asn: 64500, expect: [{ user: 'ann@example.com' }] },
      { at: 40, user: 'bob@example.com', place: 'london', ip: '198.51.100.2' },
      { at: 70, user: 'bob@example.com', place: 'moscow', ip: '203.0.113.51', asn: 64500, expect: [{ user: 'bob@example.com' }] },
    ],
  },
  {
    name: 'Mobile carrier hopping regional gateways (same ASN both sides, Lisbon -> Warsaw) does not alert',
    steps: [
      { at: 0, place: 'lisbon', ip: '198.51.100.1', asn: 64501, deviceType: 'mobile' },
      { at: 20, place: 'warsaw', ip: '198.51.100.200', asn: 64501, deviceType: 'mobile' },
    ],
  },
  {
    name: 'Failed sign-ins are ignored',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', outcome: 'failure' }],
  },
  {
    name: 'Non-interactive activities are ignored',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', interactive: false, action: 'api.call', category: 'other' }],
  },
  {
    name: 'interactiveOnly: false counts non-interactive activities',
    config: { impossible_travel: { interactiveOnly: false } },
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, place: 'tokyo', ip: '203.0.113.9', interactive: false, action: 'api.call', category: 'other', expect: [{}] }],
  },
  {
    name: 'No geo (unknown location) never alerts',
    steps: [{ at: 0, place: 'london', ip: '198.51.100.1' }, { at: 30, ip: '203.0.113.9', geo: null }],
  },
  {
    name: 'Repeated travel between the same countries folds into one alert within the cool-down',
    steps: [
      { at: 0, place: 'london', ip: '198.51.100.1' },
      { at: 30, place: 'tokyo', ip: '203.0.113.9', expect: [{ count: 1 }] },
      { at: 60, place: 'london', ip: '198.51.100.1', expect: [{ count: 1, title: 'Tokyo' }] },
      { at: 90, place: 'tokyo', ip: '203.0.113.9', expect: [{ count: 2 }] },
    ],
  },
];
