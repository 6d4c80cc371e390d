import { describe, expect, it } from 'vitest';
import { adoptSso } from './adopt-sso.ts';
import { evaluate, user } from '../../test/fixtures.ts';

describe('workplace.adopt_sso', () => {
  it('is compliant with full points when every active user is on SSO (inactive password users do not count)', async () => {
    const r = await evaluate(adoptSso, { users: [user({ id: 'a' }), user({ id: 'b' }), user({ id: 'c', active: false, authMethod: 'password' })] });
    expect(r.status).toBe('compliant');
    expect(r.scoreEarned).toBe(adoptSso.maxScore);
    expect(r.evidence.counts).toMatchObject({ activeUsers: 2, sso: 2, password: 0 });
    expect(r.evidence.accounts).toEqual([]);
  });

  it('is not compliant with points in proportion, listing the password users', async () => {
    const users = [user({ id: 'a' }), user({ id: 'b' }), user({ id: 'c', authMethod: 'password' }), user({ id: 'd', authMethod: 'password' })];
    const r = await evaluate(adoptSso, { users });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(5);
    expect(r.evidence.accounts.map((a) => a.id)).toEqual(['c', 'd']);
    expect(r.evidence.accounts[0].detail).toBe('password');
    expect(r.evidence.counts.ssoPct).toBe(50);
  });

  it('earns full points at the configured target', async () => {
    const users = [...['a', 'b', 'c'].map((id) => user({ id })), user({ id: 'd', authMethod: 'password' })];
    const at75 = await evaluate(adoptSso, { users, config: { ssoTargetPct: 75 } });
    expect(at75.status).toBe('compliant');
    expect(at75.scoreEarned).toBe(10);
    const at100 = await evaluate(adoptSso, { users });
    expect(at100.status).toBe('not_compliant');
    expect(at100.scoreEarned).toBe(7.5);
  });

  it('caps the listed accounts at evidenceLimit but keeps the full count', async () => {
    const users = Array.from({ length: 12 }, (_, i) => user({ id: `p${i}`, authMethod: 'password' }));
    const r = await evaluate(adoptSso, { users, config: { evidenceLimit: 5 } });
    expect(r.evidence.accounts).toHaveLength(5);
    expect(r.evidence.accountsTotal).toBe(12);
    expect(r.scoreEarned).toBe(0);
  });

  it('is unknown with no directory data, or when SCIM reports no auth method', async () => {
    expect((await evaluate(adoptSso, {})).status).toBe('unknown');
    const r = await evaluate(adoptSso, { users: [user({ id: 'a', authMethod: null })] });
    expect(r.status).toBe('unknown');
    expect(r.scoreEarned).toBe(0);
    expect(r.evidence.notes.join(' ')).toMatch(/no authMethod/);
  });
});
