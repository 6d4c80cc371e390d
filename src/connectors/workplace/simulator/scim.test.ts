import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCIM_SCHEMAS, startWorkplaceSimulator, type WorkplaceSimulator } from './index.ts';

type Json = Record<string, any>;
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('simulator SCIM 2.0 over HTTP', () => {
  let sim: WorkplaceSimulator;
  const call = async (method: string, path: string, body?: unknown, token = sim.accessToken) => {
    const res = await fetch(`${sim.scimUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/scim+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
  };

  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ users: 1050, seed: 5 });
  });
  afterAll(() => sim.close());

  it('pages /Users over > 1,000 users with startIndex/count', async () => {
    const ids: string[] = [];
    let startIndex = 1;
    let total = Infinity;
    while (startIndex <= total) {
      const r = await call('GET', `/Users?startIndex=${startIndex}&count=100`);
      expect(r.status).toBe(200);
      expect(r.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:ListResponse']);
      expect(r.body.startIndex).toBe(startIndex);
      total = r.body.totalResults;
      ids.push(...r.body.Resources.map((u: Json) => u.id));
      if (startIndex + r.body.itemsPerPage > total) break;
      startIndex += r.body.itemsPerPage;
    }
    expect(total).toBe(1050);
    expect(ids).toEqual(sim.org.users.map((u) => u.id));
    const small = await call('GET', '/Users');
    expect(small.body.itemsPerPage).toBe(10);
  });

  it('returns the core, enterprise and Facebook extension schemas', async () => {
    const u = sim.org.users.find((x) => x.managerId && x.claimed)!;
    const r = await call('GET', `/Users/${u.id}`);
    expect(r.body.schemas).toEqual(Object.values(SCIM_SCHEMAS));
    expect(r.body).toMatchObject({ id: u.id, userName: u.email, externalId: u.externalId, active: true });
    expect(r.body[SCIM_SCHEMAS.enterprise]).toMatchObject({ department: u.department, manager: { managerId: Number(u.managerId) } });
    expect(r.body[SCIM_SCHEMAS.accountStatus]).toMatchObject({ invited: true, claimed: true, claimDate: Math.floor(u.claimTime! / 1000) });
    expect(r.body[SCIM_SCHEMAS.startTermDates].startDate).toBe(u.startDate);
    expect(r.body[SCIM_SCHEMAS.authMethod]).toEqual({ authMethod: u.authMethod });
    expect((await call('GET', '/Users/42')).status).toBe(404);
  });

  it('filters on userName eq and externalId eq only', async () => {
    const u = sim.org.users[7];
    const byName = await call('GET', `/Users?filter=${encodeURIComponent(`userName eq "${u.email.toUpperCase()}"`)}`);
    expect(byName.body.totalResults).toBe(1);
    expect(byName.body.Resources[0].id).toBe(u.id);
    const byExt = await call('GET', `/Users?filter=${encodeURIComponent(`externalId eq "${u.externalId}"`)}`);
    expect(byExt.body.Resources.map((x: Json) => x.id)).toEqual([u.id]);
    const none = await call('GET', `/Users?filter=${encodeURIComponent('userName eq "nobody@example.com"')}`);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
    for (const f of ['title eq "Counsel"', 'userName co "ana"', 'userName eq ana']) {
      const bad = await call('GET', `/Users?filter=${encodeURIComponent(f)}`);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], scimType: 'invalidFilter', status: '400' });
    }
  });

  it('PATCH active:false deactivates: visible in Graph and as ADMIN_DEACTIVATE; PUT active:true reactivates', async () => {
    const u = sim.org.users.find((x) => x.active && x.claimed && !x.isAdmin)!;
    const before = sim.events.length;
    const r = await call('PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(false);
    const g = await fetch(`${sim.graphUrl}/${u.id}?fields=account_deactivate_time&access_token=${sim.accessToken}`);
    expect(((await g.json()) as Json).account_deactivate_time).toMatch(/\+0000$/);
    const former = (await (await fetch(`${sim.graphUrl}/community/former_members?limit=1000&access_token=${sim.accessToken}`)).json()) as Json;
    expect(former.data.map((m: Json) => m.id)).toContain(u.id);
    expect(sim.events.slice(before).map((e) => e.value.event)).toEqual(['ADMIN_DEACTIVATE']);
    // Meta's suspend/activate sample: PUT with only schemas + active.
    const put = await call('PUT', `/Users/${u.id}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], active: true });
    expect(put.body.active).toBe(true);
    expect(sim.events.at(-1)!.value.event).toBe('ADMIN_ACTIVATE_ACCOUNT');
    // Same state through Graph: deactivating again via SCIM after Graph reactivation is one more event, not two.
    await fetch(`${sim.graphUrl}/${u.id}?active=false&access_token=${sim.accessToken}`, { method: 'POST' });
    const again = await call('PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(again.body.active).toBe(false);
    expect(sim.events.slice(before).map((e) => e.value.event)).toEqual(['ADMIN_DEACTIVATE', 'ADMIN_ACTIVATE_ACCOUNT', 'ADMIN_DEACTIVATE']);
  });

  it("PATCHes authMethod with the URN path of Meta's sample, and enterprise/termDate attributes", async () => {
    const u = sim.org.users.find((x) => x.authMethod === 'sso')!;
    const r = await call('PATCH', `/Users/${u.id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'replace', path: `${SCIM_SCHEMAS.authMethod}:authMethod`, value: 'password' },
        { op: 'replace', path: `${SCIM_SCHEMAS.enterprise}:department`, value: 'Legal' },
        { op: 'add', value: { [SCIM_SCHEMAS.startTermDates]: { termDate: 1790000000 } } },
      ],
    });
    expect(r.status).toBe(200);
    expect(u.authMethod).toBe('password');
    expect(r.body[SCIM_SCHEMAS.enterprise].department).toBe('Legal');
    expect(r.body[SCIM_SCHEMAS.startTermDates].termDate).toBe(1790000000);
    const bad = await call('PATCH', `/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: `${SCIM_SCHEMAS.authMethod}:authMethod`, value: 'magic' }] });
    expect(bad.status).toBe(400);
    const noSchema = await call('PATCH', `/Users/${u.id}`, { Operations: [] });
    expect(noSchema.status).toBe(400);
  });

  it('creates users (409 on duplicates) and deletes only unclaimed ones (412 otherwise)', async () => {
    const created = await call('POST', '/Users', { schemas: [SCIM_SCHEMAS.core], userName: 'new.hire@example.com', name: { givenName: 'New', familyName: 'Hire' }, [SCIM_SCHEMAS.enterprise]: { department: 'HR' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userName: 'new.hire@example.com', name: { formatted: 'New Hire' } });
    expect(created.body[SCIM_SCHEMAS.accountStatus].claimed).toBe(false);
    expect(sim.events.at(-1)!.value).toMatchObject({ event: 'ADMIN_CREATE_ACCOUNT', target_email: 'new.hire@example.com' });
    expect((await call('POST', '/Users', { userName: 'new.hire@example.com' })).status).toBe(409);
    const claimed = sim.org.users.find((u) => u.claimed)!;
    const del = await call('DELETE', `/Users/${claimed.id}`);
    expect(del.status).toBe(412);
    expect(del.body.status).toBe('412');
    expect((await call('DELETE', `/Users/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/Users/${created.body.id}`)).status).toBe(404);
  });

  it('serves ServiceProviderConfigs and Schemas/Users, and rejects bad tokens and missing permission', async () => {
    const spc = await call('GET', '/ServiceProviderConfigs');
    expect(spc.body.patch.supported).toBe(true);
    expect(spc.body.filter).toMatchObject({ supported: true });
    const schemas = await call('GET', '/Schemas/Users');
    expect(schemas.body.Resources.map((s: Json) => s.id)).toContain(SCIM_SCHEMAS.authMethod);
    const bad = await call('GET', '/Users', undefined, 'DQVbad');
    expect(bad.status).toBe(401);
    expect(bad.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    sim.tokens.add('DQVnoscim', ['Read work profile']);
    expect((await call('GET', '/Users', undefined, 'DQVnoscim')).status).toBe(403);
    const badJson = await fetch(`${sim.scimUrl}/Users`, { method: 'POST', headers: { authorization: `Bearer ${sim.accessToken}`, 'content-type': 'application/scim+json' }, body: '{"userName":' });
    expect(badJson.status).toBe(400);
  });
});
