import { describe, expect, it } from 'vitest';
import { externalAccounts, isInternalEmail } from './external-accounts.ts';
import { evaluate, user } from '../../test/fixtures.ts';

const users = [user({ id: 'a' }), user({ id: 'sub', email: 'x@eu.acme.example' }), user({ id: 'ext', email: 'pat@partner.example' }), user({ id: 'gone', email: 'z@other.example', active: false })];

describe('workplace.external_accounts', () => {
  it('matches domains and subdomains only', () => {
    expect(isInternalEmail('a@ACME.example', ['acme.example'])).toBe(true);
    expect(isInternalEmail('a@eu.acme.example', ['acme.example'])).toBe(true);
    expect(isInternalEmail('a@notacme.example', ['acme.example'])).toBe(false);
  });

  it('is compliant when every active account is internal, or each external one was reviewed', async () => {
    const none = await evaluate(externalAccounts, { users: users.slice(0, 2), domains: ['acme.example'] });
    expect(none.status).toBe('compliant');
    expect(none.scoreEarned).toBe(3);
    const reviewed = await evaluate(externalAccounts, { users, domains: ['acme.example'], reviews: [{ item: 'ext', by: 'ana', at: '2026-05-01T00:00:00.000Z', reason: 'contractor until Q4' }] });
    expect(reviewed.status).toBe('compliant');
    expect(reviewed.evidence.accounts).toMatchObject([{ id: 'ext', reviewed: { reason: 'contractor until Q4' } }]);
  });

  it('is not compliant with an unreviewed external account, listing it', async () => {
    const r = await evaluate(externalAccounts, { users, domains: ['acme.example'] });
    expect(r.status).toBe('not_compliant');
    expect(r.scoreEarned).toBe(0);
    expect(r.evidence.accounts.map((a) => [a.id, a.detail])).toEqual([['ext', 'domain partner.example']]);
  });

  it('is unknown when organization.domains is empty or there is no directory', async () => {
    expect((await evaluate(externalAccounts, { users })).status).toBe('unknown');
    expect((await evaluate(externalAccounts, { domains: ['acme.example'] })).status).toBe('unknown');
  });
});
