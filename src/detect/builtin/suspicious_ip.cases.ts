/** Cases for suspicious_ip (threat intelligence tags and org `risky` ranges). */
import type { DetectionCase } from '../testing.ts';

export const cases: DetectionCase[] = [
  {
    name: 'Org range of category risky alerts, high severity, no learning period',
    config: { learningDays: 7 },
    steps: [{ at: 0, place: 'lagos', ip: '203.0.113.66', ipCategory: 'risky', expect: [{ severity: 'high', details: { reason: 'category risky' }, evidence: ['organisation range marked risky'] }] }],
  },
  {
    name: 'Threat-intel tag (Botnet) from a feed alerts',
    steps: [{ at: 0, place: 'lagos', ip: '203.0.113.67', ipTags: ['Botnet'], expect: [{ details: { reason: 'tag "Botnet"' } }] }],
  },
  {
    name: 'Threat-intel tag on an org VPN range is overridden (custom beats built-in)',
    steps: [{ at: 0, place: 'lagos', ip: '203.0.113.67', ipCategory: 'vpn', ipTags: ['Malware C&C server'] }],
  },
  { name: 'An anonymizer tag alone is not suspicious_ip (that is anonymous_ip)', steps: [{ at: 0, place: 'lagos', ip: '203.0.113.68', ipTags: ['Anonymous proxy'] }] },
  { name: 'A failed sign-in from a risky address does not alert', steps: [{ at: 0, place: 'lagos', ip: '203.0.113.66', ipCategory: 'risky', outcome: 'failure' }] },
  {
    name: 'Severity is configurable',
    config: { suspicious_ip: { severity: 'low' } },
    steps: [{ at: 0, place: 'lagos', ip: '203.0.113.66', ipCategory: 'risky', expect: [{ severity: 'low' }] }],
  },
  {
    name: 'Excluded user (pentester) does not alert',
    config: { suspicious_ip: { excludeUsers: ['Pentest@example.com'] } },
    steps: [{ at: 0, user: 'pentest@example.com', place: 'lagos', ip: '203.0.113.66', ipCategory: 'risky' }],
  },
];
