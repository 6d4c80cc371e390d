import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appsecretProof, startWorkplaceSimulator, type WorkplaceSimulator } from './index.ts';

type Json = Record<string, any>;

describe('simulator Graph API over HTTP', () => {
  let sim: WorkplaceSimulator;
  const get = async (path: string, token = sim.accessToken, init: RequestInit = {}) => {
    const res = await fetch(path.startsWith('http') ? path : `${sim.graphUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const post = (path: string, token = sim.accessToken) => get(path, token, { method: 'POST' });

  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ users: 1100, seed: 11 });
  });
  afterAll(() => sim.close());

  it('pages /community/members over > 1,000 users by following paging.next until it is absent', async () => {
    const active = sim.org.users.filter((u) => u.active).map((u) => u.id);
    expect(active.length).toBeGreaterThan(1000);
    const seen: string[] = [];
    let url: string | undefined = `${sim.graphUrl}/community/members?fields=id,name,email&limit=100`;
    let pages = 0;
    while (url) {
      const r = await get(url);
      expect(r.status).toBe(200);
      seen.push(...r.body.data.map((m: Json) => m.id));
      expect(r.body.data[0]).toHaveProperty('email');
      url = r.body.paging?.next;
      pages++;
    }
    expect(pages).toBe(Math.ceil(active.length / 100));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(active);
  });

  it('pages with cursors.after by hand and back with before', async () => {
    const first = await get('/community/members?limit=3');
    const after = first.body.paging.cursors.after;
    expect(after).toMatch(/^[A-Za-z0-9+/]+$/); // opaque base64
    expect(first.body.paging.previous).toBeUndefined();
    const second = await get(`/community/members?limit=3&after=${encodeURIComponent(after)}`);
    expect(second.body.data.map((m: Json) => m.id)).toEqual(sim.org.users.filter((u) => u.active).slice(3, 6).map((u) => u.id));
    const back = await get(`/community/members?limit=3&before=${encodeURIComponent(second.body.paging.cursors.before)}`);
    expect(back.body.data).toEqual(first.body.data);
    const both = await get(`/community/members?after=${after}&before=${after}`);
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe(100);
  });

  it('serves the community (alias company), default fields, version prefix, member by id and by email', async () => {
    const c = await get('/v17.0/community?fields=id,name,privacy');
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ id: sim.org.communityId, privacy: 'CLOSED' });
    expect((await get('/company')).body.id).toBe(sim.org.communityId);
    const u = sim.org.users[5];
    const byId = await get(`/${u.id}`);
    expect(Object.keys(byId.body).sort()).toEqual(['id', 'name']);
    const byEmail = await get(`/${encodeURIComponent(u.email)}?fields=email,department,account_claim_time`);
    expect(byEmail.body).toMatchObject({ id: u.id, email: u.email, department: u.department });
    if (u.claimTime) expect(byEmail.body.account_claim_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    const missing = await get('/100000000000001');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 100, type: 'GraphMethodException' });
    expect(missing.body.error.fbtrace_id).toBeTruthy();
    const badField = await get(`/${u.id}?fields=id,nope`);
    expect(badField.body.error.code).toBe(100);
    const admins = await get('/community/admins?fields=id,email');
    expect(admins.body.data.map((a: Json) => a.id).sort()).toEqual(sim.org.admins.map((a) => a.id).sort());
  });

  it('deactivates and reactivates with POST /{id}?active=, visible in former_members and as security events', async () => {
    const u = sim.org.users.find((x) => x.active && !x.isAdmin)!;
    const before = sim.events.length;
    const r = await post(`/${u.id}?active=false`);
    expect(r.body).toEqual({ success: true });
    const former = await get('/community/former_members?fields=id,account_deactivate_time&limit=1000');
    const entry = former.body.data.find((m: Json) => m.id === u.id);
    expect(entry.account_deactivate_time).toMatch(/\+0000$/);
    const members = await get('/community/members?limit=1000&fields=id');
    expect(members.body.data.some((m: Json) => m.id === u.id)).toBe(false);
    expect(sim.events.slice(before).map((e) => [e.value.event, e.value.target_id])).toEqual([['ADMIN_DEACTIVATE', u.id]]);
    await post(`/${u.id}?active=true`);
    expect(sim.events.at(-1)!.value).toMatchObject({ event: 'ADMIN_ACTIVATE_ACCOUNT', target_id: u.id, actor_id: sim.org.integrationId });
    expect((await get(`/${u.id}?fields=active`)).body.active).toBe(true);
  });

  it('logs a user out of all devices and counts it', async () => {
    const u = sim.org.users[10];
    expect(sim.loggedOut(u.id)).toBe(0);
    expect((await post(`/${u.id}/logout`)).body).toEqual({ success: true });
    expect(sim.loggedOut(u.id)).toBe(1);
    expect(sim.events.at(-1)!.value).toMatchObject({ event: 'ADMIN_FORCE_LOG_OUT', target_id: u.id });
  });

  it('deletes unclaimed accounts only', async () => {
    const claimed = sim.org.users.find((u) => u.claimed)!;
    const del = await get(`/${claimed.id}`, sim.accessToken, { method: 'DELETE' });
    expect(del.status).toBe(400);
    expect(del.body.error.code).toBe(100);
    const unclaimed = sim.org.users.find((u) => !u.claimed)!;
    expect((await get(`/${unclaimed.id}`, sim.accessToken, { method: 'DELETE' })).body).toEqual({ success: true });
    expect(sim.userById(unclaimed.id)).toBeUndefined();
  });

  it('fetches several nodes with ?ids=, lists organization_members, creates accounts and promotes admins', async () => {
    const [a, b] = sim.org.users.filter((u) => u.active);
    const multi = await get(`/?ids=${a.id},${b.id}&fields=email`);
    expect(multi.body).toEqual({ [a.id]: { id: a.id, email: a.email }, [b.id]: { id: b.id, email: b.email } });
    const created = await get('/community/accounts', sim.accessToken, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Grace Hopper', email: 'grace.hopper@example.com', department: 'IT', auth_method: 'password' }),
    });
    expect(created.body.id).toMatch(/^\d{15}$/);
    expect(sim.events.at(-1)!.value).toMatchObject({ event: 'ADMIN_CREATE_ACCOUNT', target_email: 'grace.hopper@example.com' });
    const g = await get(`/grace.hopper@example.com?fields=name,department,auth_method`);
    expect(g.body).toMatchObject({ name: 'Grace Hopper', department: 'IT', auth_method: 'password' });
    const promote = await get(`/community/admins?id=${created.body.id}`, sim.accessToken, { method: 'POST' });
    expect(promote.body).toEqual({ success: true });
    expect(sim.events.at(-1)!.value).toMatchObject({ event: 'ADMIN_ROLE_CHANGED', target_id: created.body.id });
    expect((await get('/community/admins?limit=100')).body.data.map((x: Json) => x.id)).toContain(created.body.id);
    await post(`/${b.id}?active=false`);
    const org = await get('/community/organization_members?inactive=1&limit=1000&fields=id,active');
    expect(org.body.data.map((m: Json) => m.id)).toContain(b.id);
    expect(org.body.data.every((m: Json) => m.active === false)).toBe(true);
    await post(`/${b.id}?active=true`);
    const reports = await get(`/${sim.org.users.find((u) => u.managerId)!.managerId}/reports?limit=500`);
    expect(reports.body.data.length).toBeGreaterThan(0);
  });

  it('answers 190 for a missing, unknown or revoked token, accepting access_token= as well', async () => {
    const none = await fetch(`${sim.graphUrl}/community`);
    expect(none.status).toBe(400);
    expect(((await none.json()) as Json).error).toMatchObject({ code: 190, type: 'OAuthException' });
    expect((await get('/community', 'DQVnotatoken')).body.error.code).toBe(190);
    const viaParam = await fetch(`${sim.graphUrl}/community?access_token=${sim.accessToken}`);
    expect(viaParam.status).toBe(200);
    sim.tokens.add('DQVrotated');
    expect((await get('/community', 'DQVrotated')).status).toBe(200);
    sim.tokens.revoke('DQVrotated');
    expect((await get('/community', 'DQVrotated')).body.error.code).toBe(190);
  });

  it('answers 10 / 200 when a token lacks the permission', async () => {
    sim.tokens.add('DQVlimited');
    sim.tokens.removePermission('DQVlimited', 'Manage accounts');
    const admins = await get('/community/admins', 'DQVlimited');
    expect(admins.status).toBe(403);
    expect(admins.body.error.code).toBe(10);
    const u = sim.org.users.find((x) => x.active)!;
    const deact = await post(`/${u.id}?active=false`, 'DQVlimited');
    expect(deact.body.error.code).toBe(200);
    expect(u.active).toBe(true);
    expect((await get('/community/members', 'DQVlimited')).status).toBe(200);
    sim.tokens.setPermissions('DQVlimited', []);
    expect((await get('/community/members', 'DQVlimited')).body.error.code).toBe(10);
  });

  it('sends usage headers and the throttling envelopes (4, 17, 32, 613, HTTP 429)', async () => {
    const ok = await get('/community');
    expect(JSON.parse(ok.headers.get('x-app-usage')!)).toHaveProperty('call_count');
    const buc = JSON.parse(ok.headers.get('x-business-use-case-usage')!);
    expect(buc[sim.org.companyId][0]).toHaveProperty('estimated_time_to_regain_access', 0);
    for (const code of [4, 17, 32, 613] as const) {
      sim.faults.next('graph', 'throttle', 1, { code });
      const r = await get('/community/members');
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe(code);
      expect(JSON.parse(r.headers.get('x-app-usage')!).call_count).toBe(100);
    }
    sim.faults.next('graph', '429');
    const r429 = await get('/community/members');
    expect(r429.status).toBe(429);
    expect(r429.headers.get('retry-after')).toBe('30');
    expect(r429.body.error.code).toBe(4);
    expect((await get('/community/members')).status).toBe(200);
  });
});

describe('Graph appsecret_proof and call budget', () => {
  it('requires a correct appsecret_proof when the integration setting is on', async () => {
    const sim = await startWorkplaceSimulator({ users: 5, requireAppsecretProof: true, appSecret: 's3cret' });
    try {
      const h = { authorization: `Bearer ${sim.accessToken}` };
      const missing = await fetch(`${sim.graphUrl}/community`, { headers: h });
      expect(((await missing.json()) as Json).error.code).toBe(100);
      const wrong = await fetch(`${sim.graphUrl}/community?appsecret_proof=${'0'.repeat(64)}`, { headers: h });
      expect(((await wrong.json()) as Json).error.message).toMatch(/appsecret_proof/);
      const proof = appsecretProof('s3cret', sim.accessToken);
      const right = await fetch(`${sim.graphUrl}/community?appsecret_proof=${proof}`, { headers: h });
      expect(right.status).toBe(200);
    } finally {
      await sim.close();
    }
  });

  it('accepts a non-numeric community id (demo config) and still derives numeric company and integration ids', async () => {
    const sim = await startWorkplaceSimulator({ users: 5, communityId: 'demo' });
    try {
      expect(sim.org.companyId).toMatch(/^\d+$/);
      expect(sim.org.integrationId).toMatch(/^\d+$/);
      const c = (await (await fetch(`${sim.graphUrl}/community?access_token=${sim.accessToken}`)).json()) as Json;
      expect(c.id).toBe('demo');
    } finally {
      await sim.close();
    }
  });

  it('throttles with code 4 once the hourly budget is spent', async () => {
    const sim = await startWorkplaceSimulator({ users: 5, graphCallsPerHour: 3 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${sim.graphUrl}/community?access_token=${sim.accessToken}`)).status);
      expect(statuses).toEqual([200, 200, 200, 400, 400]);
      sim.clock.advance(3_700_000);
      expect((await fetch(`${sim.graphUrl}/community?access_token=${sim.accessToken}`)).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
