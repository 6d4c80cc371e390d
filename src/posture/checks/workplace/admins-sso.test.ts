import { describe, expect, it } from 'vitest';
import { adminsSso } from './admins-sso.ts';
import { evaluate, user } from '../../test/fixtures.ts';

describe('workplace.admins_few_sso', () => {
  it('is compliant when admins are at most maxAdmins and all use SSO', async () => {
    const r = await evaluate(adminsSso, { users: [user({ id: 'a', isAdmin: true }), user({ id: 'b', isAdmin: true }), user({ id: 'c', authMethod: 'password' })] });
    expect(r.status).toBe('compliant');
    expect(r.scoreEarned).toBe(8);
    expect(r.evidence.counts).toMatchObject({ admins: 2, adminsSso: 2 });
  });

  it('is not compliant when an admin signs in with a password (half the SSO points lost per share)', async () => {
    const r = await evaluate(adminsSso, { users: [user({ id: 'a', isAdmin: true }), user({ id: 'b', isAdmin: true, authMethod: 'password' })] });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(6);
    expect(r.evidence.accounts.map((a) => [a.id, a.detail])).toEqual([['b', 'administrator on password']]);
  });

  it('is not compliant when there are too many admins, even all on SSO', async () => {
    const users = Array.from({ length: 4 }, (_, i) => user({ id: `a${i}`, isAdmin: true }));
    const r = await evaluate(adminsSso, { users, config: { maxAdmins: 3 } });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(4);
    expect(r.evidence.accountsTotal).toBe(4);
  });

  it('is unknown with no directory, or no admins list', async () => {
    expect((await evaluate(adminsSso, {})).status).toBe('unknown');
    expect((await evaluate(adminsSso, { users: [user({ id: 'a' })] })).status).toBe('unknown');
  });
});
