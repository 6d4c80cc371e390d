import { describe, expect, it } from 'vitest';
import { isRampartError } from '../../core/errors.ts';
import { DirectoryUserSchema, isTerminatedAt } from '../../schema/directory.ts';
import { DIRECTORY_ACTIONS, diffDirectory, parseScimListResponse } from './directory.ts';

/** workplace-api.md §7 sample (keys [R]), plus the start/term dates extension. */
const LIST = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
  totalResults: 2,
  itemsPerPage: 2,
  startIndex: 1,
  Resources: [
    {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: '100064094363063',
      externalId: 'E1234',
      userName: 'Ana@Example.com',
      active: true,
      name: { formatted: 'Ana Souza', givenName: 'Ana', familyName: 'Souza' },
      title: 'Engineer',
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'IT', employeeNumber: '1234', manager: { managerId: 100012764418780 } },
      'urn:ietf:params:scim:schemas:extension:facebook:accountstatusdetails:2.0:User': { invited: true, inviteDate: 1614589964, claimed: true, claimDate: 1614590000 },
      'urn:ietf:params:scim:schemas:extension:facebook:authmethod:2.0:User': { authMethod: 'sso' },
      'urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User': { startDate: 1577836800, termDate: 1767225600 },
    },
    { id: '100064094363064', userName: 'raj@example.com', active: false, displayName: 'Raj Patel' },
  ],
};

describe('SCIM directory mapping', () => {
  it('parses a SCIM 2.0 ListResponse export into directory users', () => {
    const [ana, raj] = parseScimListResponse(LIST, { tenant: 't1', updatedAt: '2026-01-01T00:00:00.000Z' });
    expect(DirectoryUserSchema.parse(ana)).toBeTruthy();
    expect(ana).toMatchObject({
      app: 'workplace',
      tenant: 't1',
      id: '100064094363063',
      email: 'ana@example.com',
      name: 'Ana Souza',
      externalId: 'E1234',
      active: true,
      department: 'IT',
      title: 'Engineer',
      managerId: '100012764418780',
      authMethod: 'sso',
      claimed: true,
      invited: true,
      inviteDate: '2021-03-01T09:12:44.000Z',
      startDate: '2020-01-01T00:00:00.000Z',
      termDate: '2026-01-01T00:00:00.000Z',
    });
    expect(isTerminatedAt(ana, '2026-02-01T00:00:00.000Z')).toBe(true);
    expect(isTerminatedAt(ana, '2025-02-01T00:00:00.000Z')).toBe(false);
    expect(raj).toMatchObject({ active: false, name: 'Raj Patel', authMethod: null, termDate: null });
  });

  it('refuses documents that are not a ListResponse', () => {
    for (const bad of [{}, { Resources: 'x' }, { schemas: ['urn:other'], Resources: [] }, { Resources: [{ userName: 'no id' }] }]) {
      try {
        parseScimListResponse(bad);
        expect.unreachable(JSON.stringify(bad));
      } catch (e) {
        expect(isRampartError(e) && e.code).toBe('RAMPART_ERR_INPUT_INVALID_RECORD');
      }
    }
  });

  /** The RAMPART_ERR_INPUT_INVALID_RECORD message parseScimListResponse throws for `resources`. */
  const refusal = (...resources: Record<string, unknown>[]) => {
    try {
      parseScimListResponse({ ...LIST, Resources: resources });
    } catch (e) {
      expect(isRampartError(e) && e.code).toBe('RAMPART_ERR_INPUT_INVALID_RECORD');
      return (e as Error).message;
    }
    return expect.unreachable(JSON.stringify(resources));
  };
  const TERM = 'urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User';

  it('reads active as a boolean or "true"/"false" in any case, and refuses anything else rather than call the user active', () => {
    const users = parseScimListResponse({
      ...LIST,
      Resources: [true, false, 'True', 'False', 'FALSE', 'true', undefined, null].map((active, i) => ({ id: `u${i}`, active })),
    });
    expect(users.map((u) => u.active)).toEqual([true, false, true, false, false, true, true, true]); // absent: active
    for (const active of [0, 1, 'no', 'yes', '', 'f', {}]) {
      expect(refusal({ id: 'u0', active: true }, { id: 'u1', active })).toBe(
        `record does not match the SCIM ListResponse format: Resources[1] (id u1): "active" is ${JSON.stringify(active)}: expected true or false`,
      );
    }
  });

  it('reads dates as ISO 8601 (a date is the UTC day; a date-time needs Z or an offset) or unix seconds, and refuses any other text', () => {
    const term = (termDate: unknown) => parseScimListResponse({ ...LIST, Resources: [{ id: 'u1', [TERM]: { termDate } }] })[0].termDate;
    expect(term(1767225600)).toBe('2026-01-01T00:00:00.000Z');
    expect(term('2025-12-31')).toBe('2025-12-31T00:00:00.000Z');
    expect(term('2025-12-31T23:30:00Z')).toBe('2025-12-31T23:30:00.000Z');
    expect(term('2026-01-01T01:30:00.5+02:00')).toBe('2025-12-31T23:30:00.500Z');
    expect(term('2021-03-29T12:00:20+0000')).toBe('2021-03-29T12:00:20.000Z'); // Workplace's own spelling
    for (const none of [null, undefined, '', 0]) expect(term(none)).toBeNull();
    for (const bad of ['31/12/2025', '02/01/2026', '2025-12-31T23:30:00', '2026-02-30', '2026-13-01', 'next tuesday', '1767225600', true]) {
      expect(refusal({ id: 'u1', [TERM]: { termDate: bad } })).toContain(`Resources[0] (id u1): "termDate" is ${JSON.stringify(bad)}: expected an ISO 8601 date`);
    }
  });

  it('names the Resources[i] of a user without an id', () => {
    expect(refusal({ id: 'u0' }, { userName: 'no-id@example.com' })).toBe('record does not match the SCIM ListResponse format: Resources[1]: missing "id"');
  });

  it('turns deactivation, reactivation and admin changes between syncs into activities with stable ids', () => {
    const t0 = '2026-01-01T00:00:00.000Z';
    const t1 = '2026-01-01T01:00:00.000Z';
    const prevUsers = parseScimListResponse(LIST, { updatedAt: t0 });
    prevUsers[0].isAdmin = true;
    const previous = new Map(prevUsers.map((u) => [u.id, u]));
    const fresh = parseScimListResponse(
      { ...LIST, Resources: [{ ...LIST.Resources[0], active: false }, { ...LIST.Resources[1], active: true }] },
      { updatedAt: t1 },
    );
    const diff = diffDirectory(previous, fresh, t1, 't');
    expect(diff.activities.map((a) => [a.action, a.target?.id]).sort()).toEqual(
      [
        [DIRECTORY_ACTIONS.deactivated, '100064094363063'],
        [DIRECTORY_ACTIONS.adminRevoked, '100064094363063'],
        [DIRECTORY_ACTIONS.reactivated, '100064094363064'],
      ].sort(),
    );
    expect(diff.activities.every((a) => a.source === 'directory' && a.category === 'account')).toBe(true);
    expect(fresh[0].deactivatedAt).toBe(t1);
    // The same transition computed again (a sync repeated after a crash) gives the same ids.
    const again = diffDirectory(previous, parseScimListResponse({ ...LIST, Resources: [{ ...LIST.Resources[0], active: false }] }, { updatedAt: t1 }), t1, 't');
    expect(again.activities.find((a) => a.action === DIRECTORY_ACTIONS.deactivated)?.id).toBe(
      diff.activities.find((a) => a.action === DIRECTORY_ACTIONS.deactivated)?.id,
    );
    // No change, no activity.
    expect(diffDirectory(new Map(fresh.map((u) => [u.id, u])), fresh, t1, 't').activities).toEqual([]);
  });

  it('uses real deactivation times when known and reports users gone from the listing as removed', () => {
    const t0 = '2026-01-01T00:00:00.000Z';
    const t1 = '2026-01-02T00:00:00.000Z';
    const prev = parseScimListResponse(LIST, { updatedAt: t0 });
    prev[1].active = true;
    const fresh = parseScimListResponse({ ...LIST, Resources: [{ ...LIST.Resources[0], active: false }] }, { updatedAt: t1 });
    const diff = diffDirectory(new Map(prev.map((u) => [u.id, u])), fresh, t1, 't', new Map([['100064094363063', '2026-01-01T12:00:00.000Z']]));
    expect(diff.users.find((u) => u.id === '100064094363063')?.deactivatedAt).toBe('2026-01-01T12:00:00.000Z');
    const gone = diff.users.find((u) => u.id === '100064094363064');
    expect(gone).toMatchObject({ active: false, deactivatedAt: t1 });
    expect(diff.activities.map((a) => a.action).sort()).toEqual([DIRECTORY_ACTIONS.deactivated, DIRECTORY_ACTIONS.removed].sort());
  });
});
