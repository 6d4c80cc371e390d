import { describe, expect, it } from 'vitest';
import { noInactiveAdmins } from './no-inactive-admins.ts';
import { ago, evaluate, user } from '../../test/fixtures.ts';

describe('workplace.no_inactive_admins', () => {
  it('is compliant when every admin is active and before any term date', async () => {
    const r = await evaluate(noInactiveAdmins, { users: [user({ id: 'a', isAdmin: true, termDate: ago(-30) }), user({ id: 'b', active: false })] });
    expect(r.status).toBe('compliant');
    expect(r.scoreEarned).toBe(noInactiveAdmins.maxScore);
  });

  it('is not compliant for a deactivated admin and for an admin past the term date', async () => {
    const r = await evaluate(noInactiveAdmins, {
      users: [
        user({ id: 'a', isAdmin: true }),
        user({ id: 'gone', isAdmin: true, active: false, deactivatedAt: ago(3) }),
        user({ id: 'left', isAdmin: true, termDate: ago(10) }),
      ],
    });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(0);
    expect(r.evidence.accounts.map((a) => [a.id, a.detail])).toEqual([
      ['gone', `deactivated ${ago(3).slice(0, 10)}`],
      ['left', `term date ${ago(10).slice(0, 10)}`],
    ]);
  });

  it('is unknown with no directory data', async () => {
    expect((await evaluate(noInactiveAdmins, {})).status).toBe('unknown');
  });
});
