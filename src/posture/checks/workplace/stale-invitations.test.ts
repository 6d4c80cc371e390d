import { describe, expect, it } from 'vitest';
import { staleInvitations } from './stale-invitations.ts';
import { ago, evaluate, user } from '../../test/fixtures.ts';

describe('workplace.stale_invitations', () => {
  it('is compliant when pending invitations are younger than 30 days', async () => {
    const r = await evaluate(staleInvitations, { users: [user({ id: 'a' }), user({ id: 'p', claimed: false, claimDate: null, inviteDate: ago(10) })] });
    expect(r.status).toBe('compliant');
    expect(r.scoreEarned).toBe(3);
    expect(r.evidence.counts).toMatchObject({ pendingInvitations: 1, stale: 0 });
  });

  it('is not compliant for an invitation unclaimed for more than 30 days (deactivated ones do not count)', async () => {
    const r = await evaluate(staleInvitations, {
      users: [
        user({ id: 'a' }),
        user({ id: 'old', claimed: false, claimDate: null, inviteDate: ago(45) }),
        user({ id: 'off', active: false, claimed: false, claimDate: null, inviteDate: ago(45) }),
      ],
    });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(0);
    expect(r.evidence.accounts.map((a) => a.id)).toEqual(['old']);
  });

  it('is unknown with no directory or no account status in SCIM', async () => {
    expect((await evaluate(staleInvitations, {})).status).toBe('unknown');
    expect((await evaluate(staleInvitations, { users: [user({ id: 'a', invited: null, claimed: null })] })).status).toBe('unknown');
  });
});
