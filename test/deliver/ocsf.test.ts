// OCSF export: toOcsfDetectionFinding() output validated with ajv against the class-2004 JSON Schema fixture.
import { readdirSync, readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { OCSF_VERSION, toOcsfDetectionFinding } from '../../src/deliver/ocsf.ts';
import { makeAlert } from './helpers.ts';

const dir = new URL('../fixtures/ocsf/', import.meta.url);
const schemaFiles = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));

// strict: a typo in the fixture (unknown keyword) fails loudly instead of silently validating nothing.
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, strictRequired: false });
ajv.addFormat('ipv4', (s: string) => isIPv4(s));
ajv.addFormat('ipv6', (s: string) => isIPv6(s));
ajv.addFormat('uri', (s: string) => URL.canParse(s));
const validators = schemaFiles.map((f) => ({ file: f, validate: ajv.compile(JSON.parse(readFileSync(new URL(f, dir), 'utf8'))) }));

function check(obj: unknown): string[] {
  const errs: string[] = [];
  for (const v of validators) if (!v.validate(obj)) errs.push(...(v.validate.errors ?? []).map((e) => `${v.file}: ${e.instancePath} ${e.message}`));
  return errs;
}

describe('OCSF Detection Finding export', () => {
  it('ships at least one class-2004 schema fixture', () => {
    expect(schemaFiles).toContain('detection_finding.schema.json');
  });

  it('maps a built-in detection alert and validates', () => {
    const alert = makeAlert({ mitreTactic: 'credential_access', severity: 'medium' });
    const f = toOcsfDetectionFinding(alert, { consoleBaseUrl: 'https://rampart.example' });
    expect(check(f)).toEqual([]);
    expect(f).toMatchObject({
      class_uid: 2004,
      category_uid: 2,
      activity_id: 1,
      type_uid: 200401,
      severity_id: 3,
      severity: 'Medium',
      status_id: 1,
      time: Date.parse(alert.time),
      metadata: { version: OCSF_VERSION, product: { name: 'Rampart', vendor_name: 'Rampart' } },
      finding_info: {
        uid: alert.id,
        title: alert.title,
        desc: alert.description,
        analytic: { uid: 'impossible_travel', type_id: 2 },
        attacks: [{ tactic: { uid: 'TA0006', name: 'Credential Access' } }],
        src_url: `https://rampart.example/alerts/${alert.id}`,
        related_events: [{ uid: 'act_1' }, { uid: 'act_2' }],
      },
    });
    expect(f.observables).toContainEqual({ name: 'evidences.src_endpoint.ip', type_id: 2, type: 'IP Address', value: '81.2.69.142' });
    expect(f.observables).toContainEqual({ name: 'evidences.actor.user.email_addr', type_id: 5, type: 'Email Address', value: 'alice@example.com' });
    expect(f.evidences).toContainEqual({ actor: { user: { name: 'alice@example.com', email_addr: 'alice@example.com', uid: '100042' } } });
    expect(f.resources).toEqual([{ uid: 'workplace', name: 'workplace', type: 'SaaS application', group: { name: 'acme' } }]);
  });

  it('maps a policy alert, a resolved false positive, no user, IPv6 and no tactic, and validates each', () => {
    const cases = [
      makeAlert({ detection: 'policy:mass-download', severity: 'low', mitreTactic: null }),
      makeAlert({ status: 'resolved', classification: 'false_positive', comment: 'pen test', updatedAt: '2026-11-27T09:00:00.000Z' }),
      makeAlert({ status: 'in_progress', count: 4, lastSeen: '2026-11-27T08:30:00.000Z', updatedAt: '2026-11-27T08:30:00.000Z' }),
      makeAlert({ user: null, userId: null, ips: ['2001:db8::7'], evidence: [], description: '', severity: 'informational' }),
    ];
    const [policy, fp, updated, bare] = cases.map((a) => toOcsfDetectionFinding(a));
    for (const f of [policy, fp, updated, bare]) expect(check(f)).toEqual([]);
    expect(policy.finding_info.analytic).toEqual({ uid: 'policy:mass-download', name: 'mass-download', type_id: 1, type: 'Rule' });
    expect(policy.finding_info.attacks).toBeUndefined();
    expect(fp).toMatchObject({ activity_id: 3, type_uid: 200403, status_id: 3, status: 'Suppressed', comment: 'pen test' });
    expect(updated).toMatchObject({ activity_id: 2, type_uid: 200402, status_id: 2, count: 4 });
    expect(bare).toMatchObject({ severity_id: 1 });
    expect(bare.observables).toContainEqual({ name: 'evidences.src_endpoint.ip', type_id: 2, type: 'IP Address', value: '2001:db8::7' });
  });

  it('the schema rejects findings that break the OCSF rules (so the check above can fail)', () => {
    const good = toOcsfDetectionFinding(makeAlert());
    const broken: Array<[string, (f: Record<string, any>) => void]> = [
      ['no finding_info.uid', (f) => delete f.finding_info.uid],
      ['no finding_info.title', (f) => delete f.finding_info.title],
      ['wrong class', (f) => (f.class_uid = 2001)],
      ['type_uid not class*100+activity', (f) => (f.type_uid = 200402)],
      ['no metadata.version', (f) => delete f.metadata.version],
      ['time as ISO string', (f) => (f.time = '2026-11-27T08:00:00Z')],
      ['unknown severity_id', (f) => (f.severity_id = 7)],
      ['unknown attribute', (f) => (f.severity_label = 'high')],
      ['attack without tactic/technique', (f) => (f.finding_info.attacks = [{ version: '15' }])],
      ['empty evidence artifact', (f) => (f.evidences = [{}])],
      ['analytic without type_id', (f) => delete f.finding_info.analytic.type_id],
    ];
    for (const [why, mutate] of broken) {
      const f = structuredClone(good) as Record<string, any>;
      mutate(f);
      expect(check(f), why).not.toEqual([]);
    }
  });
});
