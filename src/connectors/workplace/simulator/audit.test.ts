import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimClock, startWorkplaceSimulator, type WorkplaceSimulator } from './index.ts';

type Json = Record<string, any>;

describe('simulator Admin Center security_audit_logs over HTTP', () => {
  let sim: WorkplaceSimulator;
  const clock = SimClock.manual(Date.UTC(2025, 5, 2, 12));
  const token = async (id = sim.auditClientId, secret = sim.auditClientSecret) => {
    const res = await fetch(`${sim.auditUrl}/work_get_token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `access_token=${encodeURIComponent(`${id}|${secret}`)}&grant_type=client_credentials`,
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const logs = async (query: string, tok: string) => {
    const res = await fetch(`${sim.auditUrl}/security_audit_logs?${query}`, { headers: { authorization: `Bearer ${tok}` } });
    return { status: res.status, body: (await res.json()) as Json };
  };

  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ users: 60, seed: 3, clock, historyDays: 3, auditTokenTtlSecs: 600 });
  });
  afterAll(() => sim.close());

  it('exchanges client credentials for an expiring token; bad credentials are refused', async () => {
    const t = await token();
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ token_type: 'bearer', expires_in: 600 });
    const bad = await token(sim.auditClientId, 'wrong');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe(101);
  });

  it('expires tokens on the simulated clock (190) and keeps one active token per integration', async () => {
    const t1 = (await token()).body.access_token;
    expect((await logs('limit=1', t1)).status).toBe(200);
    const t2 = (await token()).body.access_token;
    expect(t2).not.toBe(t1);
    const old = await logs('limit=1', t1);
    expect(old.body.error.code).toBe(190);
    expect((await logs('limit=1', t2)).status).toBe(200);
    clock.advance(601_000);
    const expired = await logs('limit=1', t2);
    expect(expired.status).toBe(400);
    expect(expired.body.error).toMatchObject({ code: 190, error_subcode: 463, type: 'OAuthException' });
    // Graph integration tokens are not audit tokens, and vice versa.
    expect((await logs('limit=1', sim.accessToken)).body.error.code).toBe(190);
  });

  it('pages with after cursors, then resumes from the last cursor with no gap and no duplicate', async () => {
    const tok = (await token()).body.access_token;
    const seen: string[] = [];
    let lastAfter: string | undefined;
    let url: string | undefined = `${sim.auditUrl}/security_audit_logs?limit=37&fields=id,event,creation_time`;
    while (url) {
      const r = (await (await fetch(url, { headers: { authorization: `Bearer ${tok}` } })).json()) as Json;
      seen.push(...r.data.map((e: Json) => e.id));
      lastAfter = r.paging?.cursors?.after ?? lastAfter;
      url = r.paging?.next;
    }
    expect(seen.length).toBe(sim.events.length);
    expect(new Set(seen).size).toBe(seen.length);
    // New activity arrives; the client resumes from its stored cursor.
    const before = sim.events.length;
    const inj = await sim.inject('credential_stuffing');
    sim.generator.live(25);
    const added = sim.events.length - before;
    expect(added).toBeGreaterThanOrEqual(inj.values.length);
    const resumed: Json[] = [];
    let cursor = lastAfter!;
    let next: string | undefined = `${sim.auditUrl}/security_audit_logs?limit=10&fields=id,event&after=${encodeURIComponent(lastAfter!)}`;
    while (next) {
      const r = (await (await fetch(next, { headers: { authorization: `Bearer ${tok}` } })).json()) as Json;
      resumed.push(...r.data);
      cursor = r.paging?.cursors?.after ?? cursor;
      next = r.paging?.next;
    }
    expect(resumed.length).toBe(added);
    expect(resumed.map((e) => e.event)).toEqual(sim.events.slice(before).map((e) => e.value.event));
    expect(resumed.filter((e) => seen.includes(e.id))).toEqual([]);
    // Nothing new since: an empty page without paging (the client keeps its cursor).
    const empty = await logs(`after=${encodeURIComponent(cursor)}&limit=500`, tok);
    expect(empty.body).toEqual({ data: [] });
  });

  it('rejects before and after together, filters by start_time/end_time, selects fields, pages back with before', async () => {
    const tok = (await token()).body.access_token;
    const first = await logs('limit=5', tok);
    const c = first.body.paging.cursors.after;
    const both = await logs(`before=${c}&after=${c}`, tok);
    expect(both.status).toBe(400);
    expect(both.body.error.code).toBe(100);
    const e = sim.events[Math.floor(sim.events.length / 2)];
    const s = Math.floor(e.timeMs / 1000);
    const windowed = await logs(`start_time=${s}&end_time=${s + 3600}&limit=500&fields=id,creation_time`, tok);
    expect(windowed.body.data.length).toBeGreaterThan(0);
    for (const r of windowed.body.data) {
      const t = Date.parse(r.creation_time.replace('+0000', 'Z')) / 1000;
      expect(t).toBeGreaterThanOrEqual(s);
      expect(t).toBeLessThanOrEqual(s + 3600);
    }
    const expected = sim.events.filter((x) => Math.floor(x.timeMs / 1000) >= s && Math.floor(x.timeMs / 1000) <= s + 3600).length;
    expect(windowed.body.data.length).toBe(Math.min(expected, 500));
    const def = first.body.data[0];
    for (const k of Object.keys(def)) expect(['actor', 'creation_time', 'event_type', 'id', 'ip_address', 'target']).toContain(k);
    expect(def).toHaveProperty('id');
    expect(def).toHaveProperty('creation_time');
    expect(def.event_type).toBe('Login');
    const second = await logs(`limit=5&after=${c}`, tok);
    const back = await logs(`limit=5&before=${encodeURIComponent(second.body.paging.cursors.before)}`, tok);
    expect(back.body.data).toEqual(first.body.data);
    expect((await logs('fields=id,bogus', tok)).body.error.code).toBe(100);
  });

  it('enforces the integration IP allow-list', async () => {
    const tok = (await token()).body.access_token;
    sim.auditIpAllowList.add('10.9.8.7');
    try {
      const r = await logs('limit=1', tok);
      expect(r.status).toBe(403);
      expect(r.body.error.message).toContain('127.0.0.1');
      expect((await token()).status).toBe(403);
      sim.auditIpAllowList.add('127.0.0.1');
      expect((await logs('limit=1', tok)).status).toBe(200);
    } finally {
      sim.auditIpAllowList.clear();
    }
  });

  it('answers code 10 when the integration lacks Read security audit logs', async () => {
    const tok = (await token()).body.access_token;
    sim.auditPermissions.delete('Read security audit logs');
    try {
      const r = await logs('limit=1', tok);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe(10);
    } finally {
      sim.auditPermissions.add('Read security audit logs');
    }
  });
});

describe('security log retention', () => {
  it('drops the oldest events past maxLogEvents while cursors keep their meaning', async () => {
    const sim = await startWorkplaceSimulator({ users: 20, seed: 6, maxLogEvents: 100, clock: SimClock.manual(Date.UTC(2025, 0, 6, 12)) });
    try {
      const tok = ((await (await fetch(`${sim.auditUrl}/work_get_token?grant_type=client_credentials&access_token=${sim.auditClientId}|${sim.auditClientSecret}`, { method: 'POST' })).json()) as Json).access_token;
      const h = { authorization: `Bearer ${tok}` };
      sim.generator.live(80);
      const page = (await (await fetch(`${sim.auditUrl}/security_audit_logs?limit=500&fields=id`, { headers: h })).json()) as Json;
      const cursor = page.paging.cursors.after;
      const lastId = Number(page.data.at(-1).id);
      sim.generator.live(400);
      expect(sim.events.length).toBeLessThanOrEqual(110);
      expect(sim.events.at(-1)!.seq).toBe(480);
      // A cursor older than the retained window resumes at the oldest retained event (retention is a gap by design).
      const r = (await (await fetch(`${sim.auditUrl}/security_audit_logs?limit=500&fields=id&after=${encodeURIComponent(cursor)}`, { headers: h })).json()) as Json;
      expect(r.data.length).toBe(sim.events.length);
      expect(Number(r.data[0].id)).toBeGreaterThan(lastId);
      expect(Number(r.data.at(-1).id) - Number(r.data[0].id)).toBe(sim.events.length - 1);
    } finally {
      await sim.close();
    }
  });
});
