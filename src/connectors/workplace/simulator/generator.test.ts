import { describe, expect, it } from 'vitest';
import { EVENT_NAMES, FACTS, SimClock, startWorkplaceSimulator } from './index.ts';
import { NETWORK } from './network.ts';

const START = Date.UTC(2025, 4, 20, 6, 0, 0);
const SAMPLE_KEYS = ['actor_community_id', 'actor_scim_company_id', 'actor_id', 'actor_email', 'target_id', 'target_email', 'target_community_id', 'target_company_id', 'ip', 'ip_country', 'timestamp', 'event', 'browser_name', 'browser_os', 'useragent'];

async function history(seed: number, users = 150, days = 30) {
  const sim = await startWorkplaceSimulator({ seed, users, clock: SimClock.manual(START), historyDays: days });
  const values = sim.events.map((e) => e.value);
  const org = sim.org.users.map((u) => ({ id: u.id, email: u.email, dept: u.department, admin: u.isAdmin, home: u.profile.home }));
  const live = sim.generator.live(50).map((e) => e.value);
  await sim.close();
  return { values, org, live };
}

describe('seeded generator', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const a = await history(21);
    const b = await history(21);
    const c = await history(22);
    expect(a.values.length).toBeGreaterThan(1000);
    expect(b.org).toEqual(a.org);
    expect(b.values).toEqual(a.values);
    expect(b.live).toEqual(a.live);
    expect(c.values).not.toEqual(a.values);
  });

  it('30 days of history: known events only, real sample keys, time-ordered, plausible travel', async () => {
    const { values } = await history(5, 200, 30);
    const counts = new Map<string, number>();
    for (const v of values) counts.set(v.event, (counts.get(v.event) ?? 0) + 1);
    for (const e of counts.keys()) expect(EVENT_NAMES).toContain(e);
    for (const e of ['USER_LOGIN', 'USER_LOGOUT', 'USER_LOGIN_FAILED', 'ADMIN_FORCE_LOG_OUT', 'FORCE_PASSWORD_RESET', 'ADMIN_CREATE_ACCOUNT', 'ADMIN_DEACTIVATE']) expect(counts.get(e) ?? 0).toBeGreaterThan(0);
    const login = values.find((v) => v.event === 'USER_LOGIN')!;
    for (const k of SAMPLE_KEYS) expect(login).toHaveProperty(k);
    expect(login.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    const times = values.map((v) => Date.parse(v.timestamp.replace('+0000', 'Z')));
    // (a second may be added to keep dedupe keys unique, so allow a few seconds)
    expect(times.every((t, i) => i === 0 || t >= times[i - 1] - 5000)).toBe(true);
    expect(times[0]).toBeGreaterThanOrEqual(START - 30 * 86_400_000);
    expect(times.at(-1)!).toBeLessThanOrEqual(START);
    const integ = values.find((v) => v.event === 'CUSTOM_INTEGRATION_EDIT');
    if (integ) expect(integ.integration_data).toHaveProperty('custom_integration_status');
    // Benign traffic never contains impossible travel: a change of country between a user's logins
    // (VPN egress included) comes at least 4 hours after the previous login.
    const last = new Map<string, { country: string; t: number }>();
    let countryChanges = 0;
    for (const v of values) {
      if (v.event !== 'USER_LOGIN') continue;
      const t = Date.parse(v.timestamp.replace('+0000', 'Z'));
      const prev = last.get(v.actor_id!);
      if (prev && prev.country !== v.ip_country) {
        countryChanges++;
        expect(t - prev.t).toBeGreaterThanOrEqual(4 * 3_600_000);
      }
      last.set(v.actor_id!, { country: v.ip_country!, t });
    }
    expect(countryChanges).toBeGreaterThan(10); // travel and commuting do happen
    // No benign activity by a deactivated account (that is an attack scenario of its own).
    const inactive = new Set<string>();
    for (const v of values) {
      if (v.event === 'ADMIN_DEACTIVATE') inactive.add(v.target_id!);
      else if (v.event === 'ADMIN_ACTIVATE_ACCOUNT') inactive.delete(v.target_id!);
      else if (v.actor_id === v.target_id) expect(inactive.has(v.actor_id!), `${v.event} by deactivated ${v.actor_id}`).toBe(false);
    }
    expect(counts.get('ADMIN_DEACTIVATE')).toBeGreaterThan(0);
    // Every address is inside the blocks of its stated country (or VPN/hosting blocks of that country).
    const countries = new Set(Object.keys(NETWORK.countries));
    for (const v of values.slice(0, 2000)) expect(countries.has(v.ip_country!)).toBe(true);
  });

  it('live(n) emits exactly n events, all at the clock\'s now (give or take dedupe seconds)', async () => {
    const sim = await startWorkplaceSimulator({ seed: 31, users: 50, clock: SimClock.manual(START) });
    try {
      for (const n of [1, 2, 3, 7, 500]) expect(sim.generator.live(n).length).toBe(n);
      const keys = new Set(sim.events.map((e) => `${e.value.timestamp}|${e.value.event}|${e.value.actor_id}|${e.value.target_id}`));
      expect(keys.size).toBe(sim.events.length); // dedupe keys never collide
    } finally {
      await sim.close();
    }
  });

  it('live traffic over a simulated week also travels plausibly', async () => {
    const clock = SimClock.manual(START);
    const sim = await startWorkplaceSimulator({ seed: 41, users: 60, clock });
    try {
      for (let i = 0; i < 7 * 24 * 6; i++) {
        sim.generator.live(12);
        clock.advance(10 * 60_000);
      }
      const last = new Map<string, { c: string; t: number }>();
      let changes = 0;
      for (const e of sim.events) {
        const v = e.value;
        if (v.actor_id !== v.target_id || !v.event.startsWith('USER_LOGIN')) continue;
        const prev = last.get(v.actor_id!);
        if (prev && prev.c !== v.ip_country) {
          changes++;
          expect(e.timeMs - prev.t, `${v.actor_email} ${prev.c} -> ${v.ip_country}`).toBeGreaterThanOrEqual(4 * 3_600_000);
        }
        last.set(v.actor_id!, { c: v.ip_country!, t: e.timeMs });
      }
      expect(changes).toBeGreaterThan(0);
    } finally {
      await sim.close();
    }
  });

  it('uses the facts.json field per event for webhook changes', () => {
    expect(FACTS.events.CUSTOM_INTEGRATION_EDIT.field).toBe('integrations');
    expect(FACTS.events.USER_LOGIN_FAILED.basis).toBe('C');
    expect(FACTS.events.ADMIN_ROLE_CHANGED.basis).toBe('C');
  });
});
