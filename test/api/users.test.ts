import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryUserSchema } from '../../src/schema/directory.ts';
import { activity, alert } from './fixtures.ts';
import { startHarness, type Harness, type Session } from './harness.ts';

let h: Harness;
let analyst: Session;
const HOUR = 3600_000;
const NOW = Date.now();
const ago = (ms: number) => new Date(NOW - ms).toISOString();

beforeAll(async () => {
  h = await startHarness();
  analyst = await h.account('ana@acme.example', 'analyst');
  const s = h.service.store;
  const user = 'uma@acme.example';
  await s.putAlert(alert({ user, severity: 'high', time: ago(2 * HOUR) }));
  await s.putAlert(alert({ user, severity: 'medium', time: ago(30 * HOUR) }));
  await s.putAlert(alert({ user, severity: 'low', time: ago(3 * HOUR), status: 'resolved', classification: 'false_positive', classificationReason: 'not_of_interest' }));
  await s.putAlert(alert({ user, severity: 'high', time: ago(10 * 24 * HOUR) })); // older than 7 days
  await s.putAlert(alert({ user: 'someone-else@acme.example', severity: 'high', time: ago(HOUR) }));
  await s.putActivities([
    ...[1, 2, 3].map((i) => activity({ user, outcome: 'failure', time: ago(i * HOUR), ip: '192.0.2.1', geo: { country: 'US', city: null, lat: null, lon: null } })),
    ...[4, 5].map((i) => activity({ user, ipCategory: 'tor', time: ago(i * HOUR), ip: '192.0.2.66', geo: { country: 'DE', city: null, lat: null, lon: null } })),
    activity({ user, impersonated: true, action: 'admin.change', category: 'admin', time: ago(6 * HOUR), ip: '192.0.2.1', device: { type: 'desktop', os: 'Linux', browser: 'Firefox', tags: [] } }),
    activity({ user, time: ago(20 * 24 * HOUR), ip: '192.0.2.9', geo: { country: 'FR', city: null, lat: null, lon: null } }),
    activity({ user, time: ago(9 * 24 * HOUR), outcome: 'failure' }), // risky but older than 7 days
  ]);
});
afterAll(async () => h?.close());

describe('users', () => {
  it('investigation priority = sum of alert and risky-activity weights over the last 7 days', async () => {
    const r = await h.call('GET', '/api/users/uma@acme.example', { session: analyst });
    expect(r.status).toBe(200);
    const p = r.body.priority;
    // high 20 + medium 10 (the false positive and the 10-day-old alert do not count) + 3 failed sign-ins x1 + 2 Tor x2 + 1 impersonated x1
    expect(p.score).toBe(20 + 10 + 3 + 4 + 1);
    expect(p.alerts).toBe(2);
    expect(p.riskyActivities).toBe(6);
    expect(p.breakdown).toContainEqual({ kind: 'risky_ip', count: 2, weight: 2, points: 4 });
    expect(p.truncated).toBe(false);
  });

  it('uses the weights from the settings', async () => {
    const admin = await h.login('admin@localhost', h.adminPassword);
    const set = await h.call('PATCH', '/api/settings', { session: admin, body: { priorityWeights: { alert: { informational: 1, low: 5, medium: 10, high: 50 }, riskyIp: 0, failedSignIn: 1, impersonated: 1 } } });
    expect(set.status).toBe(200);
    const r = await h.call('GET', '/api/users/uma@acme.example', { session: analyst });
    expect(r.body.priority.score).toBe(50 + 10 + 3 + 0 + 1);
    const bad = await h.call('PATCH', '/api/settings', { session: admin, body: { priorityWeights: { riskyIp: -1 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('body.priorityWeights');
  });

  it('lists countries, IPs and devices with first and last seen', async () => {
    const r = await h.call('GET', '/api/users/uma@acme.example', { session: analyst });
    const countries = Object.fromEntries(r.body.seen.countries.map((c: { value: string }) => [c.value, c]));
    expect(Object.keys(countries).sort()).toEqual(['DE', 'FR', 'US']);
    expect(countries.US.count).toBe(3);
    expect(countries.US.firstSeen < countries.US.lastSeen).toBe(true);
    expect(countries.DE.firstSeen).toBe(new Date(Date.parse(countries.DE.lastSeen) - HOUR).toISOString());
    expect(r.body.seen.ips.map((i: { value: string }) => i.value)).toContain('192.0.2.66');
    expect(r.body.seen.devices).toEqual([expect.objectContaining({ value: 'desktop / Linux / Firefox', count: 1 })]);
    expect(r.body.seen.activities).toBe(8);
  });

  it('ranks the users with the highest priority', async () => {
    const r = await h.call('GET', '/api/users/top?limit=5', { session: analyst });
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: { user: string }) => x.user)).toEqual(['uma@acme.example', 'someone-else@acme.example']);
    expect(r.body.items[0].priority.score).toBeGreaterThan(r.body.items[1].priority.score);
    expect(r.body.items[1].priority.score).toBe(50); // one high alert, with the weights set above
  });

  it('resets the priority score', async () => {
    const r = await h.call('POST', '/api/users/uma@acme.example/priority/reset', { session: analyst, body: {} });
    expect(r.status).toBe(200);
    const after = await h.call('GET', '/api/users/uma@acme.example', { session: analyst });
    expect(after.body.priority.score).toBe(0);
    expect(after.body.priority.resetAt).toBe(r.body.resetAt);
  });

  it("lists the user's alerts and activities, and baselines learned by the engine", async () => {
    const alerts = await h.call('GET', '/api/users/uma@acme.example/alerts', { session: analyst });
    expect(alerts.body.items).toHaveLength(4);
    const acts = await h.call('GET', '/api/users/uma@acme.example/activities?limit=3', { session: analyst });
    expect(acts.body.items).toHaveLength(3);
    expect(acts.body.next).not.toBeNull();
    // Detection learns from live traffic: an admin session builds the unusual_admin baseline.
    await h.service.pipeline.ingest([activity({ user: 'ivan@acme.example', action: 'admin.x', category: 'admin', isAdminActivity: true })]);
    await h.service.pipeline.drain();
    const ivan = await h.call('GET', '/api/users/ivan@acme.example', { session: analyst });
    expect(Object.keys(ivan.body.baselines)).toContain('unusual_admin');
    expect((await h.call('GET', '/api/users/nobody-seen@acme.example', { session: analyst })).body.baselines).toEqual({});
  });

  it('searches the directory', async () => {
    await h.service.store.putDirectoryUsers([
      DirectoryUserSchema.parse({ app: 'workplace', id: '100', email: 'uma@acme.example', name: 'Uma Ulm', active: true, updatedAt: ago(0) }),
      DirectoryUserSchema.parse({ app: 'workplace', id: '101', email: 'zed@acme.example', name: 'Zed Zane', active: true, updatedAt: ago(0) }),
    ]);
    const r = await h.call('GET', '/api/users?search=ulm', { session: analyst });
    expect(r.status).toBe(200);
    expect(r.body.items.map((u: { email: string }) => u.email)).toEqual(['uma@acme.example']);
    const page = await h.call('GET', '/api/users/uma@acme.example', { session: analyst });
    expect(page.body.directory[0].name).toBe('Uma Ulm');
  });
});
