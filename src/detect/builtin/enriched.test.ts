/**
 * The Panther cases again, with geo, ASN and IP verdicts derived by Rampart's own enrichment (src/enrich,
 * DB-IP Lite + ASN tables) from the IPs the samples give, instead of the hand-edited vendor geo.
 */
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../config/schema.ts';
import { createEnricher, type RampartEnricher } from '../../enrich/index.ts';
import { BUILTIN_DATA_DIR } from '../../enrich/intel.ts';
import type { Alert } from '../../schema/alert.ts';
import { DetectionEngine } from '../engine.ts';
import { makeActivity, type CaseActivity } from '../testing.ts';

const hasBuiltinIntel = existsSync(`${BUILTIN_DATA_DIR}tor.txt`);
let enricher: RampartEnricher;

beforeAll(async () => {
  if (!hasBuiltinIntel) console.warn(`built-in intel lists missing in ${BUILTIN_DATA_DIR}: Tor/anonymizer cases are skipped`);
  enricher = await createEnricher(ConfigSchema.parse({ enrich: { builtinIntel: hasBuiltinIntel } }));
});

/** Activities carry only the IP: the enrichment fills geo, asn, isp, ipCategory and ipTags. */
function runEnriched(steps: CaseActivity[], engine = new DetectionEngine()): Alert[] {
  const out: Alert[] = [];
  for (const s of steps) {
    const a = makeActivity({ ...s, geo: null });
    enricher.enrich(a);
    out.push(...engine.process(a));
  }
  return out;
}

const JACK = 'jack.naglieri@runpanther.io';

describe('Panther samples with Rampart enrichment', () => {
  it('okta-add-administrator scenario: brute force that worked (high), then a first-ever privilege grant; the French IP is new for the user', () => {
    const steps: CaseActivity[] = [
      { at: '2021-05-22T10:21:04.490Z', user: JACK, ip: '104.13.169.118' },
      ...['16', '18', '19', '20'].map((d) => ({ at: `2021-06-${d}T10:27:03.490Z`, user: JACK, ip: '136.24.229.58' })),
      ...[
        ['21:27', '195.154.58.200'], ['21:28', '157.7.164.178'], ['21:29', '94.177.183.28'], ['21:30', '195.154.58.200'], ['21:31', '194.88.246.242'],
        ['21:32', '194.88.246.242'], ['21:33', '194.88.246.242'], ['21:34', '194.88.246.242'], ['21:36', '194.88.246.242'],
      ].map(([t, ip]) => ({ at: `2021-06-25T${t}:03.490Z`, user: JACK, ip, outcome: 'failure' as const })),
      { at: '2021-06-25T21:41:03.490Z', user: JACK, ip: '194.88.246.242' },
      { at: '2021-06-26T21:27:03.490Z', user: JACK, ip: '194.88.246.242', admin: true, action: 'user.account.privilege.grant', category: 'admin' },
    ];
    const alerts = runEnriched(steps);
    const byDetection = new Map(alerts.map((a) => [a.detection, a])); // last update of each
    expect([...byDetection.keys()].sort()).toEqual(['failed_logins', 'infrequent_country', 'unusual_admin']);
    expect(byDetection.get('failed_logins')).toMatchObject({ severity: 'high', count: 3 });
    expect(byDetection.get('infrequent_country')!.details).toMatchObject({ country: 'FR', knownCountries: [{ country: 'US' }] });
    expect(byDetection.get('unusual_admin')!.details).toMatchObject({ unusualActionTypes: ['user.account.privilege.grant'] });
  });

  it('impossible travel: a London address then 12.12.12.12 (New York per DB-IP) one hour later alerts; the same via Intelsat in-flight Wi-Fi (AS22351) does not', () => {
    const base: CaseActivity[] = [
      { at: '2023-05-10T10:00:00Z', ip: '81.2.69.142' },
      { at: '2023-05-26T18:14:51Z', ip: '81.2.69.142' },
    ];
    const travel = runEnriched([...base, { at: '2023-05-26T19:14:51Z', ip: '12.12.12.12' }]).filter((a) => a.detection === 'impossible_travel');
    expect(travel).toHaveLength(1);
    expect(travel[0].details).toMatchObject({ from: { country: 'GB', ip: '81.2.69.142' }, to: { country: 'US', ip: '12.12.12.12', asn: 7018 } });
    const flight = runEnriched([...base, { at: '2023-05-26T19:14:51Z', ip: '164.86.38.26' }]).filter((a) => a.detection === 'impossible_travel');
    expect(flight).toEqual([]);
  });

  it('Panther "CloudTrail ConsoleLogin with history": 12.12.12.12 geolocates to New York, not Auckland, so after a New York sign-in nothing alerts', () => {
    const alerts = runEnriched([
      { at: '2023-05-18T18:14:51Z', ip: '12.12.12.12' },
      { at: '2023-05-26T18:14:51Z', ip: '104.13.169.118' },
      { at: '2023-05-26T20:14:51Z', ip: '12.12.12.12' },
    ]);
    expect(alerts.filter((a) => a.detection === 'impossible_travel')).toEqual([]);
  });

  it('documentation and private addresses (198.51.100.7) have no usable geo: no location alerts', () => {
    const alerts = runEnriched([
      { at: '2023-05-10T10:00:00Z', ip: '81.2.69.142' },
      { at: '2023-05-26T10:00:00Z', ip: '81.2.69.142' },
      { at: '2023-05-26T10:30:00Z', ip: '198.51.100.7' },
    ]);
    expect(alerts).toEqual([]);
  });

  it.skipIf(!hasBuiltinIntel)('a Tor exit (185.220.101.1) from the built-in lists raises anonymous_ip with no configuration', () => {
    const alerts = runEnriched([{ at: '2023-05-26T10:00:00Z', ip: '185.220.101.1' }]);
    expect(alerts.map((a) => a.detection)).toContain('anonymous_ip');
  });

  it.skipIf(!hasBuiltinIntel)('an organisation range labelled other over Tor exits does not silence anonymous_ip; a corporate one does', async () => {
    const withRange = async (category: 'other' | 'corporate') =>
      createEnricher(ConfigSchema.parse({ ipRanges: [{ name: 'Partner', category, subnets: ['185.220.101.0/24'], tags: ['Partner'] }] }));
    const run = (e: RampartEnricher) => {
      const engine = new DetectionEngine();
      const a = makeActivity({ at: '2023-05-26T10:00:00Z', ip: '185.220.101.1', geo: null });
      e.enrich(a);
      return engine.process(a);
    };
    const other = run(await withRange('other')).filter((al) => al.detection === 'anonymous_ip');
    expect(other).toHaveLength(1);
    expect(other[0]).toMatchObject({ title: 'Activity from a Tor exit node: 185.220.101.1', details: { reason: 'tag "Tor exit node"', ipCategory: 'other' } });
    expect(run(await withRange('corporate')).filter((al) => al.detection === 'anonymous_ip')).toEqual([]);
  });
});
