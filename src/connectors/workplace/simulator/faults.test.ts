import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultController, startWorkplaceSimulator, type Surface, type WorkplaceSimulator } from './index.ts';

type Json = Record<string, any>;

describe('simulator fault injection on HTTP surfaces', () => {
  let sim: WorkplaceSimulator;
  let auditToken: string;
  const url = (s: Exclude<Surface, 'webhook'>) =>
    s === 'graph' ? `${sim.graphUrl}/community/members` : s === 'scim' ? `${sim.scimUrl}/Users` : `${sim.auditUrl}/security_audit_logs`;
  const auth = (s: Exclude<Surface, 'webhook'>) => ({ authorization: `Bearer ${s === 'audit' ? auditToken : sim.accessToken}` });

  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ users: 30, seed: 4, historyDays: 1 });
    const t = await fetch(`${sim.auditUrl}/work_get_token?grant_type=client_credentials&access_token=${sim.auditClientId}|${sim.auditClientSecret}`, { method: 'POST' });
    auditToken = ((await t.json()) as Json).access_token;
  });
  afterAll(() => sim.close());

  for (const s of ['graph', 'scim', 'audit'] as const) {
    it(`${s}: 5xx, 429, throttle, malformed, drop and slow, each for the next request only`, async () => {
      sim.faults.next(s, '5xx', 1, { status: 503 });
      const r5 = await fetch(url(s), { headers: auth(s) });
      expect(r5.status).toBe(503);
      const b5 = (await r5.json()) as Json;
      if (s === 'scim') expect(b5.status).toBe('503');
      else expect(b5.error.code).toBe(2);

      sim.faults.next(s, '429');
      const r429 = await fetch(url(s), { headers: auth(s) });
      expect(r429.status).toBe(429);
      expect(r429.headers.get('retry-after')).toBeTruthy();

      sim.faults.next(s, 'throttle', 1, { code: 17 });
      const rt = await fetch(url(s), { headers: auth(s) });
      if (s === 'scim') expect(rt.status).toBe(429);
      else expect(((await rt.json()) as Json).error.code).toBe(17);

      sim.faults.next(s, 'malformed');
      const rm = await fetch(url(s), { headers: auth(s) });
      expect(rm.status).toBe(200);
      const text = await rm.text();
      expect(() => JSON.parse(text)).toThrow();

      sim.faults.next(s, 'drop');
      await expect(fetch(url(s), { headers: auth(s) })).rejects.toThrow();

      sim.faults.next(s, 'slow', 1, { delayMs: 50 });
      expect((await fetch(url(s), { headers: auth(s) })).status).toBe(200);
      expect((await fetch(url(s), { headers: auth(s) })).status).toBe(200);
      const faulted = sim.requests.filter((r) => r.surface === s && r.fault);
      expect(faulted.map((r) => r.fault)).toEqual(['5xx', '429', 'throttle', 'malformed', 'drop', 'slow']);
      expect(faulted.find((r) => r.fault === 'drop')!.status).toBe(0);
    });
  }

  it('a dropped request is not processed; a slow one is', async () => {
    const u = sim.org.users.find((x) => x.active && !x.isAdmin)!;
    sim.faults.next('graph', 'drop');
    await expect(fetch(`${sim.graphUrl}/${u.id}?active=false&access_token=${sim.accessToken}`, { method: 'POST' })).rejects.toThrow();
    expect(sim.userById(u.id)!.active).toBe(true);
    sim.faults.next('graph', 'slow', 1, { delayMs: 20 });
    expect((await fetch(`${sim.graphUrl}/${u.id}?active=false&access_token=${sim.accessToken}`, { method: 'POST' })).status).toBe(200);
    expect(sim.userById(u.id)!.active).toBe(false);
  });

  it('a surface rule does not touch other surfaces; path filters narrow it; clear removes rules', async () => {
    sim.faults.add({ surface: 'scim', kind: '5xx', path: '/ServiceProviderConfigs' });
    expect((await fetch(url('graph'), { headers: auth('graph') })).status).toBe(200);
    expect((await fetch(url('scim'), { headers: auth('scim') })).status).toBe(200);
    expect((await fetch(`${sim.scimUrl}/ServiceProviderConfigs`, { headers: auth('scim') })).status).toBe(500);
    sim.faults.clear('scim');
    expect((await fetch(`${sim.scimUrl}/ServiceProviderConfigs`, { headers: auth('scim') })).status).toBe(200);
  });

  it('probabilistic faults are seeded: the same seed hits the same requests', () => {
    const pattern = (seed: number) => {
      const f = new FaultController(seed);
      f.random('graph', '5xx', 0.3);
      return Array.from({ length: 200 }, () => (f.pick('graph', '/graph/x') ? 1 : 0)).join('');
    };
    const a = pattern(12);
    expect(pattern(12)).toBe(a);
    expect(pattern(13)).not.toBe(a);
    const hits = [...a].filter((c) => c === '1').length;
    expect(hits).toBeGreaterThan(30);
    expect(hits).toBeLessThan(90);
    const f = new FaultController(1);
    f.add({ surface: '*', kind: 'slow', times: 2 });
    expect([f.pick('scim', '/'), f.pick('audit', '/'), f.pick('graph', '/')].map((r) => r?.kind ?? null)).toEqual(['slow', 'slow', null]);
    expect(f.stats()).toEqual({ 'scim:slow': 1, 'audit:slow': 1 });
  });
});
