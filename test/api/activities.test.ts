import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity } from './fixtures.ts';
import { startHarness, type Harness, type Session } from './harness.ts';

let h: Harness;
let viewer: Session;
const T0 = Date.parse('2026-02-01T00:00:00Z');
const N = 2300;
let pivotId: string;

beforeAll(async () => {
  h = await startHarness();
  viewer = await h.account('vic@acme.example', 'viewer');
  const acts = [];
  for (let i = 0; i < N; i++) {
    const user = ['alice', 'bob', 'carol'][i % 3];
    acts.push(
      activity({
        user: `${user}@acme.example`,
        time: new Date(T0 + i * 60_000).toISOString(),
        action: i % 2 ? 'file.download' : 'login',
        category: i % 2 ? 'file' : 'login',
        ip: `192.0.2.${i % 7}`,
        geo: { country: i % 5 === 0 ? 'FR' : 'US', city: null, lat: null, lon: null },
        objects: i === 10 ? [{ type: 'file', id: 'f1', name: '=HYPERLINK("http://evil")' }] : [],
      }),
    );
  }
  // Written straight to the store: these are history, not new traffic.
  for (let i = 0; i < acts.length; i += 500) await h.service.store.putActivities(acts.slice(i, i + 500));
  pivotId = acts[1000].id;
});
afterAll(async () => h?.close());

describe('activities', () => {
  it('queries by simple parameters with a cursor', async () => {
    const r = await h.call('GET', '/api/activities?user=bob@acme.example&ip=192.0.2.3&limit=50', { session: viewer });
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeGreaterThan(0);
    for (const a of r.body.items) {
      expect(a.actor.email).toBe('bob@acme.example');
      expect(a.ip).toBe('192.0.2.3');
    }
    const times = r.body.items.map((a: { time: string }) => a.time);
    expect([...times].sort().reverse()).toEqual(times);
    // Paging through one user's whole history gives every one of their activities once.
    const ids = new Set<string>();
    let cursor: string | null = null;
    do {
      const p = await h.call('GET', `/api/activities?user=carol@acme.example&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { session: viewer });
      for (const a of p.body.items) ids.add(a.id);
      cursor = p.body.next;
    } while (cursor);
    expect(ids.size).toBe(Math.floor(N / 3));
  });

  it('queries with the policy filter language (GET parameter and POST body)', async () => {
    const filters = [
      { field: 'action', op: 'eq', value: 'file.download' },
      { field: 'geo.country', op: 'eq', value: 'FR' },
    ];
    const r = await h.call('GET', `/api/activities?limit=1000&filters=${encodeURIComponent(JSON.stringify(filters))}`, { session: viewer });
    expect(r.status).toBe(200);
    const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 2 === 1 && i % 5 === 0).length;
    expect(r.body.items.length).toBe(expected);
    for (const a of r.body.items) expect([a.action, a.geo.country]).toEqual(['file.download', 'FR']);
    const post = await h.call('POST', '/api/activities/query', { session: viewer, body: { filters, base: { user: 'alice@acme.example' }, limit: 1000 } });
    expect(post.status).toBe(200);
    expect(post.body.items.length).toBeGreaterThan(0);
    expect(post.body.items.every((a: { actor: { email: string } }) => a.actor.email === 'alice@acme.example')).toBe(true);
    expect(post.body.items.length).toBeLessThan(expected);
  });

  it('describes the filter language for filter builders', async () => {
    const r = await h.call('GET', '/api/filter-language', { session: viewer });
    expect(r.status).toBe(200);
    const fields = Object.fromEntries(r.body.fields.map((f: { name: string }) => [f.name, f]));
    expect(fields['user.email'].roles).toEqual(['actor', 'target', 'any']);
    expect(fields.ip.kind).toBe('ip');
    const ops = Object.fromEntries(r.body.operators.map((o: { name: string }) => [o.name, o]));
    expect(ops.neq.matchesMissing).toBe(true);
    expect(ops.cidr.kinds).toEqual(['ip']);
    expect(ops.is_set.arity).toBe('none');
  });

  it('rejects bad filters with 400 naming the problem', async () => {
    const badJson = await h.call('GET', '/api/activities?filters=%7Bnope', { session: viewer });
    expect(badJson.status).toBe(400);
    expect(badJson.body.message).toContain('query.filters');
    const badOp = await h.call('POST', '/api/activities/query', { session: viewer, body: { filters: [{ field: 'ip', op: 'sounds_like', value: 'x' }] } });
    expect(badOp.status).toBe(400);
    expect(badOp.body.message).toContain('body.filters.0.op');
    const badRegex = await h.call('POST', '/api/activities/query', { session: viewer, body: { filters: [{ field: 'action', op: 'regex', value: '(' }] } });
    expect(badRegex.status).toBe(400);
    expect(badRegex.body.message).toContain('filters');
    const badDate = await h.call('GET', '/api/activities?from=yesterday', { session: viewer });
    expect(badDate.body.message).toContain('query.from');
    // Dates are read strictly: no year-2001 guesses, no Feb 30 rolled into March, no host time zone.
    for (const from of ['1', '2026-02-30', '2026-03-01T09:00:00', 'Mar%201']) {
      const r = await h.call('GET', `/api/activities?from=${from}`, { session: viewer });
      expect(r.status, from).toBe(400);
    }
    expect((await h.call('GET', '/api/activities?from=2026-03-01', { session: viewer })).status).toBe(200);
    expect((await h.call('GET', '/api/activities?from=2026-03-01T10:00:00%2B01:00', { session: viewer })).status).toBe(200);
  });

  it('pivots from one activity: same user, IP, country, action, and the 48 hours around it', async () => {
    const a = (await h.call('GET', `/api/activities/${pivotId}`, { session: viewer })).body;
    const get = (p: string) => h.call('GET', `/api/activities/${pivotId}/pivot/${p}?limit=1000`, { session: viewer });
    const user = await get('user');
    expect(user.body.items.every((x: { actor: { email: string } }) => x.actor.email === a.actor.email)).toBe(true);
    const ip = await get('ip');
    expect(ip.body.items.length).toBeGreaterThan(0);
    expect(ip.body.items.every((x: { ip: string }) => x.ip === a.ip)).toBe(true);
    const country = await get('country');
    expect(country.body.items.every((x: { geo: { country: string } }) => x.geo.country === a.geo.country)).toBe(true);
    const action = await get('action');
    expect(action.body.items.every((x: { action: string }) => x.action === a.action)).toBe(true);
    const window = await get('window');
    const t = Date.parse(a.time);
    for (const x of window.body.items) expect(Math.abs(Date.parse(x.time) - t)).toBeLessThanOrEqual(24 * 3600_000);
    // The window holds everything within ±24 h of it (one activity a minute): 2880 minutes, capped by the page.
    expect(window.body.items.length).toBe(1000);
    expect(window.body.next).not.toBeNull();
    const bad = await h.call('GET', `/api/activities/${pivotId}/pivot/moon`, { session: viewer });
    expect(bad.status).toBe(400);
  });

  it('exports every match as NDJSON and CSV, streamed past one page, and audits the export', async () => {
    const nd = await h.call('GET', '/api/activities/export?format=ndjson', { session: viewer });
    expect(nd.status).toBe(200);
    expect(nd.headers.get('content-type')).toContain('application/x-ndjson');
    expect(nd.headers.get('content-disposition')).toMatch(/attachment; filename="rampart-activities-.*\.ndjson"/);
    const lines = nd.text.trim().split('\n');
    expect(lines.length).toBe(N);
    expect(new Set(lines.map((l) => JSON.parse(l).id)).size).toBe(N);

    const csv = await h.call('GET', `/api/activities/export?format=csv&user=bob@acme.example&order=asc`, { session: viewer });
    expect(csv.status).toBe(200);
    const rows = csv.text.trim().split('\r\n');
    expect(rows[0].split(',').slice(0, 3)).toEqual(['id', 'time', 'app']);
    expect(rows.length - 1).toBe(Array.from({ length: N }, (_, i) => i).filter((i) => i % 3 === 1).length);
    // A cell a spreadsheet would run as a formula is neutralised and quoted.
    expect(csv.text).toContain(`"'=HYPERLINK(""http://evil"")"`);

    const filtered = await h.call('GET', `/api/activities/export?format=ndjson&filters=${encodeURIComponent(JSON.stringify([{ field: 'geo.country', op: 'eq', value: 'FR' }]))}`, { session: viewer });
    expect(filtered.text.trim().split('\n').length).toBe(Math.ceil(N / 5));

    const admin = await h.login('admin@localhost', h.adminPassword);
    const audit = await h.call('GET', '/api/audit?action=activity.export', { session: admin });
    expect(audit.body.items.length).toBe(3);
    expect(audit.body.items[0].actor).toBe('vic@acme.example');
    // Queries by POST are reads: they do not fill the audit log.
    const all = await h.call('GET', '/api/audit?limit=1000', { session: admin });
    expect(all.body.items.filter((e: { route: string }) => e.route === '/api/activities/query')).toEqual([]);
  });
});
