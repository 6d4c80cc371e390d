import { describe, expect, it } from 'vitest';
import { adminTwoFactorDisabled } from './admin-two-factor-disabled.ts';
import { ago, evaluate, event, oldLogStart, user } from '../../test/fixtures.ts';

const users = [user({ id: 'admin', isAdmin: true }), user({ id: 'bob' })];

describe('workplace.admin_two_factor_disabled', () => {
  it('is compliant when only non-admins disabled 2FA, or an admin did long ago', async () => {
    const r = await evaluate(adminTwoFactorDisabled, {
      users,
      activities: [oldLogStart(), event('TWO_FACTOR_DISABLED', 'bob', ago(3), { target: { type: 'user', id: 'bob' } }), event('TWO_FACTOR_DISABLED', 'admin', ago(120))],
    });
    expect(r.status).toBe('compliant');
    expect(r.scoreEarned).toBe(5);
  });

  it('is not compliant when 2FA was disabled for an admin, or by an admin for someone else', async () => {
    const forAdmin = event('TWO_FACTOR_DISABLED', 'admin', ago(3), { target: { type: 'user', id: 'admin' } });
    const r = await evaluate(adminTwoFactorDisabled, { users, activities: [oldLogStart(), forAdmin] });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(0);
    expect(r.evidence.accounts.map((a) => [a.id, a.detail])).toEqual([['admin', `2FA disabled ${ago(3).slice(0, 10)} by themselves`]]);
    expect(r.evidence.accounts[0].activityIds).toEqual([forAdmin.id]);

    const byAdmin = event('TWO_FACTOR_DISABLED', 'admin', ago(2), { target: { type: 'user', id: 'bob' } });
    const r2 = await evaluate(adminTwoFactorDisabled, { users, activities: [byAdmin] }); // short log, but found: known
    expect(r2.status).toBe('not_compliant');
    expect(r2.evidence.accounts[0].detail).toMatch(/by administrator admin@acme.example/);
  });

  it('is unknown when nothing was found but the log covers less than 90 days, or there is no directory', async () => {
    const r = await evaluate(adminTwoFactorDisabled, { users, activities: [event('USER_LOGIN', 'bob', ago(20))] });
    expect(r.status).toBe('unknown');
    expect((await evaluate(adminTwoFactorDisabled, { activities: [oldLogStart()] })).status).toBe('unknown');
  });
});
