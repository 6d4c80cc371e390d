import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatIssue, loadPolicies, loadPolicyFile } from '../../src/detect/policy/load.ts';
import { PolicySet } from '../../src/detect/policy/compile.ts';
import { TEMPLATES_DIR } from '../../src/detect/policy/index.ts';
import { policyJsonSchema } from '../../src/detect/policy/schema.ts';
import type { Activity } from '../../src/schema/activity.ts';
import { act } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rampart-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

describe('loading policy files', () => {
  it('reports schema and filter errors at file:line:col with RAMPART_ERR_POLICY_INVALID', () => {
    const file = write(
      'bad.yaml',
      [
        'name: bad-one', // 1
        'severity: critical', // 2
        'filters:', // 3
        '  - field: ip', // 4
        '    op: cidr', // 5
        '    value: [10.0.0.0/8, 300.0.0.0/8]', // 6
        '  - field: userAgent', // 7
        '    op: regex', // 8
        '    value: "(?<=a)b"', // 9
        'actOn:', // 10
        '  mode: repeated', // 11
        '  minCount: 10', // 12
        '  windowSecs: 60', // 13
        '  perApp: true', // 14
      ].join('\n'),
    );
    const { policies, issues } = loadPolicyFile(file);
    expect(policies).toHaveLength(0);
    const lines = issues.map(formatIssue);
    expect(lines).toEqual([
      `${file}:2:11: error RAMPART_ERR_POLICY_INVALID: severity: ${issues[0].message}`,
      `${file}:6:25: error RAMPART_ERR_POLICY_INVALID: filters.0.value.1: "300.0.0.0/8" is not an IPv4 or IPv6 CIDR`,
      `${file}:9:12: error RAMPART_ERR_POLICY_INVALID: filters.1.value: lookaround assertions are not allowed (matching runs in linear time)`,
      `${file}:14:3: error RAMPART_ERR_POLICY_INVALID: actOn: Unrecognized key: "perApp"`,
    ]);
    expect(issues[0].message).toMatch(/informational|low|medium|high/);
  });

  it('reports YAML syntax errors with their position', () => {
    const file = write('syntax.yml', 'name: x\nfilters:\n  - field: app\n   op: eq\n');
    const { issues } = loadPolicyFile(file);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ level: 'error', code: 'RAMPART_ERR_POLICY_INVALID', file, line: 4 });
    expect(issues[0].col).toBeGreaterThan(0);
  });

  it('one bad file never prevents the others from loading; names are unique across files; several documents per file', () => {
    const sub = mkdtempSync(join(dir, 'set-'));
    writeFileSync(join(sub, 'a.yaml'), 'name: one\nfilters:\n  - { field: app, op: eq, value: box }\n---\nname: two\n');
    writeFileSync(join(sub, 'b.yml'), 'name: [broken\n');
    writeFileSync(join(sub, 'c.yaml'), 'name: one\n');
    writeFileSync(join(sub, 'd.yaml'), 'name: three\nseverity: low\n');
    writeFileSync(join(sub, 'notes.txt'), 'not a policy');
    const r = loadPolicies([sub]);
    expect(r.files.map((f) => f.slice(sub.length + 1))).toEqual(['a.yaml', 'b.yml', 'c.yaml', 'd.yaml']);
    expect(r.policies.map((p) => [p.policy.name, p.line])).toEqual([
      ['one', 1],
      ['two', 5],
      ['three', 1],
    ]);
    const errors = r.issues.filter((i) => i.level === 'error');
    expect(errors.map((e) => e.file.slice(sub.length + 1))).toEqual(['b.yml', 'c.yaml']);
    expect(errors[1].message).toMatch(/already used in .*a\.yaml:1/);
  });

  it('warns (not errors) when "does not equal" has no "is set" companion, at the condition', () => {
    const file = write(
      'warn.yaml',
      ['name: w', 'filters:', '  - field: geo.country', '    op: neq', '    value: US', '  - field: ipCategory', '    op: neq', '    value: corporate', '  - field: ipCategory', '    op: is_set', '  - field: isp', '    op: eq', '    value: x', '    not: true', '  - field: asn', '    op: neq', '    value: 1', '    missing: no_match'].join('\n'),
    );
    const { policies, issues } = loadPolicyFile(file);
    expect(policies).toHaveLength(1);
    expect(issues.map((i) => [i.level, i.line, i.col, i.path])).toEqual([
      ['warning', 3, 5, 'filters.0'],
      ['warning', 11, 5, 'filters.3'],
    ]);
    expect(issues[0].message).toMatch(/also matches events where geo.country is missing/);
  });

  it('refuses files over the size limit', () => {
    const { issues } = loadPolicyFile('big.yaml', {}, 'x'.repeat(1024 * 1024 + 1));
    expect(issues[0].message).toMatch(/larger than/);
  });

  it('prints a JSON Schema of the policy document', () => {
    const schema = policyJsonSchema() as { properties: Record<string, unknown>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'filters', 'actOn', 'alerts', 'actions', 'category']));
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('shipped templates', () => {
  const env = { orgDomains: ['example.com'] };
  const loaded = loadPolicies([TEMPLATES_DIR], env);
  const byName = (name: string) => {
    const p = loaded.policies.find((x) => x.policy.name === name);
    if (!p) throw new Error(`template ${name} missing`);
    return new PolicySet([p.policy], { env });
  };
  const alerts = (set: PolicySet, acts: Activity[]) => acts.flatMap((a) => set.evaluate(a)).length;

  it('all load without errors or warnings (with organization.domains set)', () => {
    expect(loaded.issues).toEqual([]);
    expect(loaded.policies.map((p) => p.policy.name).sort()).toEqual([
      'activity-by-external-user',
      'admin-activity-from-non-corporate-ip',
      'logon-from-risky-ip',
      'mass-download-by-single-user',
      'multiple-failed-sign-ins',
    ]);
  });

  it('mass download: more than 50 downloads within 1 minute by one user', () => {
    const dl = (i: number, spacing: number) => act({ action: 'FILE_DOWNLOAD', category: 'file', at: i * spacing, objects: [{ type: 'file', id: `f${i}`, name: null }] });
    expect(alerts(byName('mass-download-by-single-user'), Array.from({ length: 51 }, (_, i) => dl(i, 1)))).toBe(1);
    expect(alerts(byName('mass-download-by-single-user'), Array.from({ length: 50 }, (_, i) => dl(i, 1)))).toBe(0);
    expect(alerts(byName('mass-download-by-single-user'), Array.from({ length: 51 }, (_, i) => dl(i, 1.2)))).toBe(0); // 61 s
    expect(alerts(byName('mass-download-by-single-user'), Array.from({ length: 51 }, (_, i) => act({ action: 'FILE_UPLOAD', at: i })))).toBe(0);
  });

  it('failed sign-ins: more than 10 failures within 5 minutes in one app', () => {
    const fail = (i: number, over: Parameters<typeof act>[0] = {}) => act({ action: 'USER_LOGIN_FAILED', category: 'login', outcome: 'failure', at: i * 25, ...over });
    expect(alerts(byName('multiple-failed-sign-ins'), Array.from({ length: 11 }, (_, i) => fail(i)))).toBe(1);
    expect(alerts(byName('multiple-failed-sign-ins'), Array.from({ length: 10 }, (_, i) => fail(i)))).toBe(0);
    expect(alerts(byName('multiple-failed-sign-ins'), Array.from({ length: 11 }, (_, i) => fail(i, { app: i % 2 ? 'box' : 'workplace' })))).toBe(0);
    expect(alerts(byName('multiple-failed-sign-ins'), Array.from({ length: 11 }, (_, i) => fail(i, { outcome: 'success' })))).toBe(0);
  });

  it('administrative activity from a non-corporate IP', () => {
    const set = byName('admin-activity-from-non-corporate-ip');
    const admin = (over: Parameters<typeof act>[0]) => act({ action: 'ADMIN_ROLE_CHANGED', category: 'admin', isAdminActivity: true, ip: '198.51.100.4', ...over });
    expect(alerts(set, [admin({})])).toBe(1); // public address without a category
    expect(alerts(set, [admin({ ipCategory: 'hosting' })])).toBe(1);
    expect(alerts(set, [admin({ ipCategory: 'corporate' })])).toBe(0);
    expect(alerts(set, [admin({ ipCategory: 'vpn' })])).toBe(0);
    expect(alerts(set, [admin({ ip: null })])).toBe(0);
    expect(alerts(set, [admin({ isAdminActivity: false })])).toBe(0);
  });

  it('log on from a risky IP', () => {
    const set = byName('logon-from-risky-ip');
    const login = (over: Parameters<typeof act>[0]) => act({ category: 'login', outcome: 'success', ip: '185.220.101.1', ...over });
    expect(alerts(set, [login({ ipCategory: 'tor' }), login({ ipCategory: 'risky' }), login({ ipCategory: 'anonymizer' })])).toBe(3);
    expect(alerts(set, [login({ ipCategory: 'tor', outcome: 'failure' })])).toBe(0);
    expect(alerts(set, [login({ ipCategory: 'corporate' })])).toBe(0);
    expect(alerts(set, [login({})])).toBe(0);
  });

  it('activity by an external user', () => {
    const set = byName('activity-by-external-user');
    expect(alerts(set, [act({ actor: { id: 'x', email: 'eve@evil.net', name: null } })])).toBe(1);
    expect(alerts(set, [act({ actor: { id: 'x', email: 'ann@example.com', name: null } })])).toBe(0);
    expect(alerts(set, [act({ actor: { id: 'x', email: 'ann@mail.example.com', name: null } })])).toBe(0);
    expect(alerts(set, [act({ actor: { id: 'x', email: null, name: null } })])).toBe(0);
  });
});

describe('policies as objects (API)', () => {
  it('checkPolicyObject returns the policy, errors with paths, and warnings', async () => {
    const { checkPolicyObject } = await import('../../src/detect/policy/load.ts');
    const ok = checkPolicyObject({ name: 'api', filters: [{ field: 'geo.country', op: 'neq', value: 'US' }] });
    expect(ok.policy?.name).toBe('api');
    expect(ok.errors).toEqual([]);
    expect(ok.warnings.map((w) => w.path)).toEqual(['filters.0']);
    const bad = checkPolicyObject({ name: 'api', filters: [{ field: 'ip', op: 'cidr', value: ['1.2.3.0/24', 'x'] }], actOn: { mode: 'sometimes' } });
    expect(bad.policy).toBeNull();
    expect(bad.errors.map((e) => e.path)).toEqual(['actOn.mode', 'filters.0.value.1']);
    expect(checkPolicyObject(null).errors.length).toBe(1);
  });
});
