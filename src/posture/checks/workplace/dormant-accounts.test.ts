import { describe, expect, it } from 'vitest';
import { dormantAccounts } from './dormant-accounts.ts';
import { ago, evaluate, event, oldLogStart, user } from '../../test/fixtures.ts';

describe('workplace.no_dormant_accounts', () => {
  const users = [
    user({ id: 'a' }),
    user({ id: 'b', email: 'b@acme.example' }),
    user({ id: 'new', claimDate: ago(10) }), // claimed inside the window: not dormant
    user({ id: 'unclaimed', claimed: false, claimDate: null }),
    user({ id: 'off', active: false }),
  ];

  it('is compliant when every claimed active account logged in within 90 days (by id or by email)', async () => {
    const r = await evaluate(dormantAccounts, {
      users,
      activities: [oldLogStart(), event('USER_LOGIN', 'a', ago(5)), event('USER_LOGIN', 'x', ago(80), { actor: { id: null, email: 'b@acme.example', name: null } })],
    });
    expect(r.status).toBe('compliant');
    expect(r.scoreEarned).toBe(6);
    expect(r.evidence.counts).toMatchObject({ claimedActive: 2, dormant: 0 });
  });

  it('is not compliant for an account whose last login is older than 90 days', async () => {
    const r = await evaluate(dormantAccounts, {
      users,
      activities: [oldLogStart(), event('USER_LOGIN', 'a', ago(5)), event('USER_LOGIN', 'b', ago(120)), event('USER_LOGOUT', 'b', ago(3))],
    });
    expect(r.status).toBe('not_compliant');
    expect(r.evidence.accounts.map((a) => a.id)).toEqual(['b']);
    expect(r.scoreEarned).toBe(3);
  });

  it('is unknown while the activity log covers less than 90 days', async () => {
    const r = await evaluate(dormantAccounts, { users, activities: [event('USER_LOGIN', 'a', ago(30))] });
    expect(r.status).toBe('unknown');
    expect(r.evidence.notes[0]).toMatch(/less than 90 days/);
    expect((await evaluate(dormantAccounts, { users })).status).toBe('unknown');
  });
});
