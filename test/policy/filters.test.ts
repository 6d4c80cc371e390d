import { describe, expect, it } from 'vitest';
import { compileFilter, FilterCompileError, storePushdown, type FilterConditionInput } from '../../src/detect/policy/filters.ts';
import { DirectoryIndex, FIELD_NAMES, type FilterEnv } from '../../src/detect/policy/fields.ts';
import { DirectoryUserSchema } from '../../src/schema/directory.ts';
import type { Activity } from '../../src/schema/activity.ts';
import { act } from './helpers.ts';

const matches = (filters: FilterConditionInput[], a: Activity, env: FilterEnv = {}) => compileFilter(filters, env).test(a);

const rich = act({
  action: 'FILE_DOWNLOAD',
  app: 'workplace',
  tenant: 'acme',
  source: 'webhook',
  category: 'file',
  outcome: 'success',
  interactive: true,
  isAdminActivity: true,
  impersonated: true,
  actor: { id: 'u1', email: 'Alice@Example.com', name: 'Alice Smith' },
  target: { type: 'user', id: 'u2', email: 'bob@partner.org', name: 'Bob' },
  objects: [{ type: 'file', id: 'f-77', name: 'Q3 board deck.pdf' }],
  ip: '203.0.113.9',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121.0',
  geo: { country: 'FR', city: 'Paris', lat: null, lon: null },
  asn: 64500,
  isp: 'Example Telecom',
  ipCategory: 'risky',
  ipTags: ['Tor', 'Anonymous proxy'],
  device: { type: 'Mobile', os: 'iOS', browser: 'Safari', tags: ['Valid client certificate'] },
  userAgentTags: ['Native client'],
  at: '2026-03-02T10:00:00.000Z',
});
const bare = act({ action: 'USER_LOGIN', actor: { id: 'u9', email: null, name: null } });

const directory = new DirectoryIndex([
  DirectoryUserSchema.parse({ app: 'workplace', id: 'u1', email: 'alice@example.com', active: true, department: 'Finance', groups: ['Admins', 'Finance team'], updatedAt: '2026-01-01T00:00:00Z' }),
  DirectoryUserSchema.parse({ app: 'workplace', id: 'u2', email: 'bob@partner.org', active: true, department: 'Sales', groups: ['External users'], updatedAt: '2026-01-01T00:00:00Z' }),
]);
const env: FilterEnv = { directoryUser: directory.lookup, orgDomains: ['example.com'] };

/** For every field: a condition the rich activity satisfies, one it does not, and one that proves eq fails on the bare activity. */
const CASES: Record<string, { yes: FilterConditionInput; no: FilterConditionInput }> = {
  action: { yes: { field: 'action', op: 'eq', value: 'file_download' }, no: { field: 'action', op: 'eq', value: 'FILE_UPLOAD' } },
  app: { yes: { field: 'app', op: 'eq', value: 'Workplace' }, no: { field: 'app', op: 'eq', value: 'slack' } },
  tenant: { yes: { field: 'tenant', op: 'eq', value: 'acme' }, no: { field: 'tenant', op: 'eq', value: 'other' } },
  source: { yes: { field: 'source', op: 'in', value: ['webhook', 'pull'] }, no: { field: 'source', op: 'eq', value: 'scan' } },
  category: { yes: { field: 'category', op: 'eq', value: 'file' }, no: { field: 'category', op: 'eq', value: 'login' } },
  outcome: { yes: { field: 'outcome', op: 'eq', value: 'success' }, no: { field: 'outcome', op: 'eq', value: 'failure' } },
  isAdminActivity: { yes: { field: 'isAdminActivity', op: 'eq', value: true }, no: { field: 'isAdminActivity', op: 'eq', value: false } },
  impersonated: { yes: { field: 'impersonated', op: 'eq', value: true }, no: { field: 'impersonated', op: 'eq', value: 'false' } },
  interactive: { yes: { field: 'interactive', op: 'eq', value: true }, no: { field: 'interactive', op: 'eq', value: false } },
  time: { yes: { field: 'time', op: 'between', value: ['2026-03-02', '2026-03-03'] }, no: { field: 'time', op: 'before', value: '2026-03-01' } },
  'user.email': { yes: { field: 'user.email', op: 'eq', value: 'alice@example.com' }, no: { field: 'user.email', op: 'eq', value: 'bob@partner.org' } },
  'user.id': { yes: { field: 'user.id', op: 'eq', value: 'u1' }, no: { field: 'user.id', op: 'eq', value: 'u2' } },
  'user.name': { yes: { field: 'user.name', op: 'contains', value: 'smith' }, no: { field: 'user.name', op: 'contains', value: 'smit' } },
  'user.domain': { yes: { field: 'user.domain', op: 'eq', value: 'example.com' }, no: { field: 'user.domain', op: 'eq', value: 'partner.org' } },
  'user.group': { yes: { field: 'user.group', op: 'eq', value: 'admins' }, no: { field: 'user.group', op: 'eq', value: 'External users' } },
  'user.department': { yes: { field: 'user.department', op: 'eq', value: 'Finance' }, no: { field: 'user.department', op: 'eq', value: 'Sales' } },
  'user.external': { yes: { field: 'user.external', op: 'eq', value: false }, no: { field: 'user.external', op: 'eq', value: true } },
  ip: { yes: { field: 'ip', op: 'cidr', value: '203.0.113.0/24' }, no: { field: 'ip', op: 'cidr', value: '198.51.100.0/24' } },
  ipCategory: { yes: { field: 'ipCategory', op: 'eq', value: 'risky' }, no: { field: 'ipCategory', op: 'eq', value: 'corporate' } },
  ipTags: { yes: { field: 'ipTags', op: 'eq', value: 'tor' }, no: { field: 'ipTags', op: 'eq', value: 'Botnet' } },
  'geo.country': { yes: { field: 'geo.country', op: 'in', value: ['FR', 'DE'] }, no: { field: 'geo.country', op: 'eq', value: 'US' } },
  'geo.city': { yes: { field: 'geo.city', op: 'eq', value: 'paris' }, no: { field: 'geo.city', op: 'eq', value: 'Lyon' } },
  isp: { yes: { field: 'isp', op: 'contains', value: 'telecom' }, no: { field: 'isp', op: 'contains', value: 'tele' } },
  asn: { yes: { field: 'asn', op: 'eq', value: 64500 }, no: { field: 'asn', op: 'eq', value: 64501 } },
  'device.type': { yes: { field: 'device.type', op: 'eq', value: 'mobile' }, no: { field: 'device.type', op: 'eq', value: 'PC' } },
  'device.os': { yes: { field: 'device.os', op: 'eq', value: 'iOS' }, no: { field: 'device.os', op: 'eq', value: 'Android' } },
  'device.browser': { yes: { field: 'device.browser', op: 'starts_with', value: 'saf' }, no: { field: 'device.browser', op: 'eq', value: 'Chrome' } },
  'device.tags': { yes: { field: 'device.tags', op: 'eq', value: 'Valid client certificate' }, no: { field: 'device.tags', op: 'eq', value: 'Intune compliant' } },
  userAgent: { yes: { field: 'userAgent', op: 'contains', value: 'Linux' }, no: { field: 'userAgent', op: 'contains', value: 'Firefox' } },
  userAgentTags: { yes: { field: 'userAgentTags', op: 'eq', value: 'Native client' }, no: { field: 'userAgentTags', op: 'eq', value: 'Robot' } },
  'object.id': { yes: { field: 'object.id', op: 'eq', value: 'f-77' }, no: { field: 'object.id', op: 'eq', value: 'f-78' } },
  'object.name': { yes: { field: 'object.name', op: 'contains', value: 'board deck' }, no: { field: 'object.name', op: 'contains', value: 'deck board' } },
  'object.type': { yes: { field: 'object.type', op: 'eq', value: 'file' }, no: { field: 'object.type', op: 'eq', value: 'folder' } },
};

describe('filters over every field', () => {
  it('covers every registered field', () => {
    expect(Object.keys(CASES).sort()).toEqual([...FIELD_NAMES].sort());
  });
  for (const [field, c] of Object.entries(CASES)) {
    it(`${field}: matches, does not match, NOT inverts`, () => {
      expect(matches([c.yes], rich, env)).toBe(true);
      expect(matches([c.no], rich, env)).toBe(false);
      expect(matches([{ ...c.yes, not: true }], rich, env)).toBe(false);
      expect(matches([{ ...c.no, not: true }], rich, env)).toBe(true);
    });
  }
});

describe('missing attributes and the "does not equal" quirk', () => {
  it('neq MATCHES an event where the attribute is missing (documented MDCA behaviour)', () => {
    expect(bare.geo).toBeNull();
    expect(matches([{ field: 'geo.country', op: 'neq', value: 'US' }], bare)).toBe(true);
    expect(matches([{ field: 'geo.country', op: 'neq', value: 'US' }], rich)).toBe(true);
    expect(matches([{ field: 'geo.country', op: 'neq', value: 'FR' }], rich)).toBe(false);
  });
  it('an is_set companion filters the missing ones out', () => {
    const f: FilterConditionInput[] = [
      { field: 'geo.country', op: 'neq', value: 'US' },
      { field: 'geo.country', op: 'is_set' },
    ];
    expect(matches(f, bare)).toBe(false);
    expect(matches(f, rich)).toBe(true);
  });
  it('missing: no_match / match override the operator rule', () => {
    expect(matches([{ field: 'geo.country', op: 'neq', value: 'US', missing: 'no_match' }], bare)).toBe(false);
    expect(matches([{ field: 'geo.country', op: 'eq', value: 'US', missing: 'match' }], bare)).toBe(true);
    expect(matches([{ field: 'geo.country', op: 'eq', value: 'US', missing: 'match' }], rich)).toBe(false);
  });
  it('positive operators never match a missing attribute; NOT of them does', () => {
    for (const f of [
      { field: 'ip', op: 'cidr', value: '0.0.0.0/0' },
      { field: 'userAgent', op: 'regex', value: '.*' },
      { field: 'ipTags', op: 'eq', value: 'tor' },
      { field: 'user.email', op: 'starts_with', value: '' },
    ] as FilterConditionInput[]) {
      expect(matches([f], bare)).toBe(false);
      expect(matches([{ ...f, not: true }], bare)).toBe(true);
    }
  });
  it('is_set / is_not_set; an empty list or empty string counts as missing', () => {
    expect(matches([{ field: 'ip', op: 'is_set' }], bare)).toBe(false);
    expect(matches([{ field: 'ip', op: 'is_not_set' }], bare)).toBe(true);
    expect(matches([{ field: 'ipTags', op: 'is_not_set' }], bare)).toBe(true);
    expect(matches([{ field: 'ipTags', op: 'is_set' }], rich)).toBe(true);
    expect(matches([{ field: 'tenant', op: 'is_set' }], bare)).toBe(false); // tenant defaults to ''
    expect(matches([{ field: 'user.email', op: 'is_not_set' }], bare)).toBe(true);
  });
});

describe('combinations', () => {
  it('all conditions must hold (AND); several values are OR', () => {
    const f: FilterConditionInput[] = [
      { field: 'category', op: 'eq', value: ['login', 'file'] },
      { field: 'geo.country', op: 'eq', value: ['US', 'FR'] },
    ];
    expect(matches(f, rich)).toBe(true);
    expect(matches([...f, { field: 'outcome', op: 'eq', value: 'failure' }], rich)).toBe(false);
  });
  it('the same field may appear more than once', () => {
    const f: FilterConditionInput[] = [
      { field: 'ip', op: 'cidr', value: '203.0.0.0/8' },
      { field: 'ip', op: 'cidr', value: '203.0.113.0/29', not: true },
    ];
    expect(matches(f, rich)).toBe(true);
    expect(matches(f, act({ ip: '203.0.113.1' }))).toBe(false);
  });
  it('no conditions match everything', () => {
    expect(matches([], bare)).toBe(true);
  });
});

describe('user roles', () => {
  it('as actor (default), as target, as any', () => {
    const f = (as?: 'actor' | 'target' | 'any'): FilterConditionInput => ({ field: 'user.domain', op: 'eq', value: 'partner.org', ...(as ? { as } : {}) });
    expect(matches([f()], rich)).toBe(false);
    expect(matches([f('actor')], rich)).toBe(false);
    expect(matches([f('target')], rich)).toBe(true);
    expect(matches([f('any')], rich)).toBe(true);
    // neq with any: neither role has the value
    expect(matches([{ field: 'user.domain', op: 'neq', value: 'partner.org', as: 'any' }], rich)).toBe(false);
    expect(matches([{ field: 'user.domain', op: 'neq', value: 'other.org', as: 'any' }], rich)).toBe(true);
  });
  it('group and department come from the directory, for the target too', () => {
    expect(matches([{ field: 'user.group', op: 'eq', value: 'External users', as: 'target' }], rich, env)).toBe(true);
    expect(matches([{ field: 'user.department', op: 'eq', value: 'Sales', as: 'target' }], rich, env)).toBe(true);
    expect(matches([{ field: 'user.department', op: 'eq', value: 'Sales', as: 'any' }], rich, env)).toBe(true);
    // without a directory the attribute is missing
    expect(matches([{ field: 'user.group', op: 'eq', value: 'Admins' }], rich)).toBe(false);
  });
  it('a target that is not a user has no user attributes', () => {
    const a = act({ target: { type: 'group', id: 'g1', email: null, name: 'Engineering' } });
    expect(matches([{ field: 'user.id', op: 'eq', value: 'g1', as: 'target' }], a)).toBe(false);
    expect(matches([{ field: 'object.id', op: 'eq', value: 'g1' }], a)).toBe(true);
  });
  it('external: domain outside organization.domains; subdomains are internal; unknown without config', () => {
    const ext: FilterConditionInput = { field: 'user.external', op: 'eq', value: true };
    expect(matches([ext], act({ actor: { id: 'x', email: 'eve@evil.net', name: null } }), env)).toBe(true);
    expect(matches([ext], act({ actor: { id: 'x', email: 'ann@eu.example.com', name: null } }), env)).toBe(false);
    expect(matches([ext], act({ actor: { id: 'x', email: 'ann@notexample.com', name: null } }), env)).toBe(true);
    expect(matches([ext], act({ actor: { id: 'x', email: 'eve@evil.net', name: null } }), {})).toBe(false);
  });
});

describe('compile errors', () => {
  const issuesOf = (f: unknown[]) => {
    try {
      compileFilter(f as FilterConditionInput[]);
    } catch (e) {
      expect(e).toBeInstanceOf(FilterCompileError);
      return (e as FilterCompileError).issues;
    }
    throw new Error('expected a compile error');
  };
  it('reports every bad condition with its path', () => {
    const issues = issuesOf([
      { field: 'ip', op: 'cidr', value: ['10.0.0.0/8', 'nope'] },
      { field: 'isAdminActivity', op: 'regex', value: 'x' },
      { field: 'app', op: 'eq' },
      { field: 'app', op: 'is_set', value: 'x' },
      { field: 'app', op: 'eq', value: 'x', as: 'target' },
      { field: 'time', op: 'between', value: ['2026-01-01'] },
    ]);
    expect(issues.map((i) => i.path)).toEqual([[0, 'value', 1], [1, 'op'], [2, 'value'], [3, 'value'], [4, 'as'], [5, 'value']]);
  });
  it('rejects unknown fields, operators and keys (strict)', () => {
    expect(issuesOf([{ field: 'colour', op: 'eq', value: 'x' }])[0].path).toEqual([0, 'field']);
    expect(issuesOf([{ field: 'app', op: 'like', value: 'x' }])[0].path).toEqual([0, 'op']);
    expect(issuesOf([{ field: 'app', op: 'eq', value: 'x', extra: 1 }])[0].message).toMatch(/Unrecognized key/);
  });
});

describe('explain and push-down', () => {
  it('explains each condition with the value seen', () => {
    const lines = compileFilter([{ field: 'geo.country', op: 'neq', value: 'US' }, { field: 'ip', op: 'is_set' }]).explain(rich);
    expect(lines).toEqual(['geo.country does not equal "US" (was FR)', 'ip is set (was 203.0.113.9)']);
  });
  it('pushes down only conditions a store can answer without losing rows', () => {
    expect(
      storePushdown(
        compileFilter([
          { field: 'category', op: 'eq', value: 'LOGIN' },
          { field: 'outcome', op: 'in', value: ['failure'] },
          { field: 'action', op: 'eq', value: 'USER_LOGIN_FAILED' },
          { field: 'time', op: 'between', value: ['2026-03-01', '2026-03-05'] },
          { field: 'time', op: 'after', value: '2026-03-02' },
          { field: 'user.email', op: 'eq', value: 'a@b.c', as: 'target' },
          { field: 'geo.country', op: 'eq', value: 'FR', not: true },
        ]).conditions.map((c) => ({ field: c.field, op: c.op, value: [...c.values], not: c.not, as: c.role })),
      ),
    ).toEqual({ category: 'login', outcome: 'failure', from: '2026-03-02T00:00:00.000Z', to: '2026-03-05T00:00:00.000Z' });
  });
});
