import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FACTS, SCENARIOS, SimClock, startWorkplaceSimulator, type WorkplaceSimulator } from './index.ts';
import { NETWORK, utcOffsetHours } from './network.ts';

const ts = (s: string) => Date.parse(s.replace('+0000', 'Z'));
const inBlock = (ip: string, cidr: string) => {
  const [base, bits] = cidr.split('/');
  const n = (x: string) => x.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(bits));
  return n(ip) >= n(base) && n(ip) < n(base) + size;
};

describe('attack scenarios', () => {
  let sim: WorkplaceSimulator;
  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ users: 120, seed: 8, clock: SimClock.manual(Date.UTC(2025, 3, 1, 9)) });
  });
  afterAll(() => sim.close());

  it('every scenario returns labelled events that are also in the security log', async () => {
    for (const name of SCENARIOS) {
      const before = sim.events.length;
      const r = await sim.inject(name);
      expect(r.scenario).toBe(name);
      expect(r.label.length).toBeGreaterThan(10);
      expect(r.values.length).toBeGreaterThan(0);
      expect(sim.events.slice(before).map((e) => e.value)).toEqual(r.values);
    }
    await expect(sim.inject('nope' as never)).rejects.toThrow(/unknown scenario/);
  });

  it('credential stuffing: failures from one hosting address, then success for the victim', async () => {
    const r = await sim.inject('credential_stuffing', { count: 9 });
    const victim = r.values.filter((v) => v.actor_id === r.userId);
    expect(victim.filter((v) => v.event === 'USER_LOGIN_FAILED').length).toBe(9);
    expect(victim.at(-1)!.event).toBe('USER_LOGIN');
    expect(new Set(r.values.map((v) => v.ip))).toEqual(new Set(r.ips));
    expect(Object.values(NETWORK.hosting).flat().some((c) => inBlock(r.ips[0], c))).toBe(true);
  });

  it('impossible travel: two logins far apart within 25 minutes', async () => {
    const r = await sim.inject('impossible_travel');
    const [a, b] = r.values;
    expect(a.ip_country).not.toBe(b.ip_country);
    expect(ts(b.timestamp) - ts(a.timestamp)).toBe(25 * 60_000);
    expect(Math.abs(utcOffsetHours(a.ip_country!) - utcOffsetHours(b.ip_country!))).toBeGreaterThanOrEqual(7);
  });

  it('tor login comes from a Tor exit operator network', async () => {
    const r = await sim.inject('tor_login');
    expect(NETWORK.tor.exits.some((x) => inBlock(r.values[0].ip!, x.cidr))).toBe(true);
  });

  it('admin burst: a compromised admin deactivates users for real and grants admin roles', async () => {
    const r = await sim.inject('admin_burst', { count: 9 });
    expect(sim.userById(r.userId)!.isAdmin).toBe(true);
    const deact = r.values.filter((v) => v.event === 'ADMIN_DEACTIVATE');
    expect(deact.length).toBe(3);
    for (const v of deact) expect(sim.userById(v.target_id!)!.active).toBe(false);
    const roles = r.values.filter((v) => v.event === 'ADMIN_ROLE_CHANGED');
    expect(roles[0][FACTS.constructed.roleChange.key]).toMatchObject({ new_role: 'System Administrator' });
    expect(r.values.every((v) => v.actor_id === r.userId)).toBe(true);
  });

  it('deactivated activity: the account is inactive and still acts', async () => {
    const r = await sim.inject('deactivated_activity');
    expect(sim.userById(r.userId)!.active).toBe(false);
    const acts = r.values.filter((v) => v.actor_id === r.userId);
    expect(acts.map((v) => v.event)).toEqual(['USER_LOGIN', 'PASSWORD_CHANGE']);
  });

  it('impersonation: events carry the constructed impersonator keys', async () => {
    const r = await sim.inject('impersonation');
    const k = FACTS.constructed.impersonation;
    for (const v of r.values) {
      expect(v.actor_id).toBe(r.userId);
      expect(v[k.integrationIdKey]).toBeTruthy();
      expect(v[k.integrationNameKey]).toBe('Shadow Export Tool');
    }
  });

  it('a chosen victim and time are honoured', async () => {
    const u = sim.org.users.find((x) => x.active && !x.isAdmin)!;
    const at = Date.UTC(2025, 3, 1, 3);
    const r = await sim.inject('tor_login', { userId: u.email, atMs: at });
    expect(r.userId).toBe(u.id);
    expect(ts(r.values[0].timestamp)).toBe(at);
  });
});
