import { describe, expect, it } from 'vitest';
import { lintPolicy } from '../../src/detect/policy/lint.ts';
import { PolicySchema, type PolicyInput } from '../../src/detect/policy/schema.ts';

const lint = (p: Omit<PolicyInput, 'name'>, env = {}) => lintPolicy(PolicySchema.parse({ name: 'p', ...p }), env).map((w) => `${w.path.join('.')}: ${w.message}`);

describe('lint', () => {
  it('warns on neq / NOT without an is_set companion on the same field and role', () => {
    expect(lint({ filters: [{ field: 'user.domain', op: 'neq', value: 'example.com' }] })).toEqual([
      expect.stringMatching(/^filters\.0: user\.domain "does not equal" also matches events where user\.domain is missing/),
    ]);
    expect(lint({ filters: [{ field: 'geo.country', op: 'in', value: ['US'], not: true }] })[0]).toMatch(/NOT in/);
    // companion on the same field and role: fine
    expect(lint({ filters: [{ field: 'user.domain', op: 'neq', value: 'x' }, { field: 'user.domain', op: 'is_set' }] })).toEqual([]);
    // companion on another role does not count
    expect(lint({ filters: [{ field: 'user.domain', op: 'neq', value: 'x', as: 'target' }, { field: 'user.domain', op: 'is_set' }] })).toHaveLength(1);
    // explicit missing: no warning either way
    expect(lint({ filters: [{ field: 'user.domain', op: 'neq', value: 'x', missing: 'match' }] })).toEqual([]);
    expect(lint({ filters: [{ field: 'user.domain', op: 'neq', value: 'x', missing: 'no_match' }] })).toEqual([]);
    // is_not_set and NOT is_set mean "missing" on purpose
    expect(lint({ filters: [{ field: 'ip', op: 'is_not_set' }] })).toEqual([]);
    expect(lint({ filters: [{ field: 'ip', op: 'is_set', not: true }] })).toEqual([]);
  });

  it('warns on an empty filter list, user.external without domains, and contains values that are never one word', () => {
    expect(lint({ filters: [] })).toEqual(['filters: the policy has no filters and matches every activity']);
    expect(lint({ filters: [{ field: 'user.external', op: 'eq', value: true }] })[0]).toMatch(/organization\.domains/);
    expect(lint({ filters: [{ field: 'user.external', op: 'eq', value: true }] }, { orgDomains: ['example.com'] })).toEqual([]);
    expect(lint({ filters: [{ field: 'userAgent', op: 'contains', value: ['Chrome/120', 'Linux'] }] })).toEqual([expect.stringMatching(/^filters\.0\.value: contains matches whole words/)]);
    expect(lint({ filters: [{ field: 'userAgent', op: 'contains', value: '"Chrome/120"' }] })).toEqual([]);
  });
});
