import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alert, activity } from './fixtures.ts';
import { startHarness, type Harness, type Session } from './harness.ts';

let h: Harness;
let analyst: Session;
let viewer: Session;
beforeAll(async () => {
  h = await startHarness();
  analyst = await h.account('ana@acme.example', 'analyst');
  viewer = await h.account('vic@acme.example', 'viewer');
});
afterAll(async () => h?.close());

describe('alerts', () => {
  it('lists with filters and pages with the cursor', async () => {
    const t0 = Date.parse('2026-03-01T00:00:00Z');
    for (let i = 0; i < 5; i++) {
      await h.service.store.putAlert(alert({ severity: i % 2 ? 'high' : 'low', user: 'pager@acme.example', time: new Date(t0 + i * 60_000).toISOString() }));
    }
    const high = await h.call('GET', '/api/alerts?severity=high&user=pager@acme.example', { session: viewer });
    expect(high.status).toBe(200);
    expect(high.body.items.map((a: { severity: string }) => a.severity)).toEqual(['high', 'high']);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await h.call('GET', `/api/alerts?user=pager@acme.example&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { session: viewer });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((a: { id: string }) => a.id));
      cursor = r.body.next;
    } while (cursor);
    expect(seen.length).toBe(5);
    expect(new Set(seen).size).toBe(5);
    const bad = await h.call('GET', '/api/alerts?severity=urgent', { session: viewer });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('RAMPART_ERR_API_BAD_REQUEST');
    expect(bad.body.message).toContain('query.severity');
  });

  it('sorts by severity over every matching alert (not one page), paging with the cursor of that sort', async () => {
    const t0 = Date.parse('2026-03-02T00:00:00Z');
    const user = 'sorter@acme.example';
    // The high alert is the oldest: a page of the newest would miss it.
    await h.service.store.putAlert(alert({ id: 'sort-high', severity: 'high', user, time: new Date(t0).toISOString() }));
    for (let i = 1; i <= 4; i++) await h.service.store.putAlert(alert({ id: `sort-low-${i}`, severity: 'low', user, time: new Date(t0 + i * 60_000).toISOString() }));
    await h.service.store.putAlert(alert({ id: 'sort-medium', severity: 'medium', user, time: new Date(t0 + 10 * 60_000).toISOString() }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await h.call('GET', `/api/alerts?user=${user}&sort=severity&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { session: viewer });
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((a: { id: string }) => a.id));
      cursor = r.body.next;
    } while (cursor);
    expect(seen).toEqual(['sort-high', 'sort-medium', 'sort-low-4', 'sort-low-3', 'sort-low-2', 'sort-low-1']);
    const byTime = await h.call('GET', `/api/alerts?user=${user}&limit=2`, { session: viewer });
    expect(byTime.body.items.map((a: { id: string }) => a.id)).toEqual(['sort-medium', 'sort-low-4']);
    // A cursor of another sort is refused, as is an unknown sort.
    const mixed = await h.call('GET', `/api/alerts?user=${user}&sort=severity&cursor=${encodeURIComponent(byTime.body.next)}`, { session: viewer });
    expect(mixed.status).toBe(400);
    const unknown = await h.call('GET', '/api/alerts?sort=loudest', { session: viewer });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toContain('query.sort');
  });

  it('triages: assign, in progress, resolve with MDCA reason, history of who/when/what, reopen clears the verdict', async () => {
    const a = alert();
    await h.service.store.putAlert(a);
    const u1 = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { status: 'in_progress', assignee: 'ana@acme.example' } });
    expect(u1.status).toBe(200);
    expect(u1.body).toMatchObject({ status: 'in_progress', assignee: 'ana@acme.example' });

    const noReason = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'false_positive' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.message).toContain('body.reason');
    const wrongReason = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'false_positive', reason: 'triggered_by_test' } });
    expect(wrongReason.status).toBe(400);
    expect(wrongReason.body.message).toContain('not a reason for false_positive');
    const tpReason = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'true_positive', reason: 'other' } });
    expect(tpReason.status).toBe(400);
    const unknownAssignee = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { assignee: 'ghost@acme.example' } });
    expect(unknownAssignee.status).toBe(400);
    expect(unknownAssignee.body.message).toContain('body.assignee');

    const resolved = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'benign_true_positive', reason: 'triggered_by_test', comment: 'pen test week' } });
    expect(resolved.status).toBe(200);
    expect(resolved.body).toMatchObject({ status: 'resolved', classification: 'benign_true_positive', classificationReason: 'triggered_by_test', comment: 'pen test week' });
    expect((await h.service.store.getAlert(a.id))!.status).toBe('resolved');

    const reopened = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { status: 'new' } });
    expect(reopened.body).toMatchObject({ status: 'new', classification: null, classificationReason: null });

    const hist = await h.call('GET', `/api/alerts/${a.id}/history`, { session: viewer });
    expect(hist.status).toBe(200);
    expect(hist.body.items).toHaveLength(3);
    expect(hist.body.items[0]).toMatchObject({ by: 'ana@acme.example', changes: { status: { from: 'new', to: 'in_progress' }, assignee: { from: null, to: 'ana@acme.example' } } });
    expect(hist.body.items[1].changes.classification).toEqual({ from: null, to: 'benign_true_positive' });
    expect(hist.body.items[1].comment).toBe('pen test week');
    expect(hist.body.items[2].changes.status).toEqual({ from: 'resolved', to: 'new' });
    for (const e of hist.body.items) expect(Date.parse(e.at)).not.toBeNaN();

    const audit = await h.call('GET', `/api/audit?action=alert.update`, { session: await h.login('admin@localhost', h.adminPassword) });
    expect(audit.body.items.filter((e: { target: string; outcome: string }) => e.target === a.id && e.outcome === 'success')).toHaveLength(3);
    expect(audit.body.items.some((e: { target: string; outcome: string; status: number }) => e.target === a.id && e.outcome === 'failure' && e.status === 400)).toBe(true);
  });

  it('viewers cannot triage', async () => {
    const a = alert();
    await h.service.store.putAlert(a);
    const r = await h.call('PATCH', `/api/alerts/${a.id}`, { session: viewer, body: { status: 'resolved' } });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('RAMPART_ERR_API_FORBIDDEN');
    expect((await h.service.store.getAlert(a.id))!.status).toBe('new');
  });

  it('bulk-resolves many with one classification and reports the ones it could not', async () => {
    const alerts = [alert(), alert(), alert()];
    for (const a of alerts) await h.service.store.putAlert(a);
    const r = await h.call('POST', '/api/alerts/bulk', {
      session: analyst,
      body: { ids: [...alerts.map((a) => a.id), 'no-such-alert'], update: { classification: 'false_positive', reason: 'too_many_similar_alerts' } },
    });
    expect(r.status).toBe(200);
    expect(r.body.updated).toBe(3);
    expect(r.body.failed).toBe(1);
    expect(r.body.results.find((x: { id: string }) => x.id === 'no-such-alert').error.code).toBe('RAMPART_ERR_STORE_NOT_FOUND');
    for (const a of alerts) expect((await h.service.store.getAlert(a.id))!.classification).toBe('false_positive');
    const tooMany = await h.call('POST', '/api/alerts/bulk', { session: analyst, body: { ids: Array.from({ length: 1001 }, (_, i) => `x${i}`), update: { status: 'resolved' } } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain('body.ids');
  });

  it('a repeat re-published by detection keeps the triage a person made', async () => {
    const a = alert();
    await h.service.store.putAlert(a);
    await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'true_positive', comment: 'confirmed' } });
    await h.service.pipeline.publish({ ...a, count: 2, lastSeen: new Date().toISOString() });
    const stored = (await h.service.store.getAlert(a.id))!;
    expect(stored.count).toBe(2);
    expect(stored).toMatchObject({ status: 'resolved', classification: 'true_positive', comment: 'confirmed' });
  });

  it('lists the activities behind an alert', async () => {
    const acts = [activity({ time: '2026-03-02T10:00:00Z' }), activity({ time: '2026-03-02T09:00:00Z' })];
    await h.service.store.putActivities(acts);
    const a = alert({ activityIds: [acts[0].id, acts[1].id, 'pruned-one'] });
    await h.service.store.putAlert(a);
    const r = await h.call('GET', `/api/alerts/${a.id}/activities`, { session: viewer });
    expect(r.status).toBe(200);
    expect(r.body.items.map((x: { id: string }) => x.id)).toEqual([acts[1].id, acts[0].id]);
    expect(r.body.missing).toEqual(['pruned-one']);
    expect((await h.call('GET', '/api/alerts/nope', { session: viewer })).status).toBe(404);
  });
});

describe('alert stats', () => {
  it('counts alerts per day by severity, and totals by detection and status', async () => {
    const day = Date.parse('2025-06-10T00:00:00Z');
    const mk = (d: number, severity: 'low' | 'high', detection: string) => alert({ severity, detection, time: new Date(day + d * 86_400_000 + 3_600_000).toISOString() });
    for (const a of [mk(0, 'low', 'failed_logins'), mk(0, 'high', 'impossible_travel'), mk(2, 'high', 'impossible_travel')]) await h.service.store.putAlert(a);
    const r = await h.call('GET', '/api/alerts/stats?from=2025-06-10T00:00:00Z&to=2025-06-13T00:00:00Z', { session: viewer });
    expect(r.status).toBe(200);
    expect(r.body.buckets).toEqual([
      { start: '2025-06-10T00:00:00.000Z', total: 2, bySeverity: { low: 1, high: 1 } },
      { start: '2025-06-11T00:00:00.000Z', total: 0, bySeverity: {} },
      { start: '2025-06-12T00:00:00.000Z', total: 1, bySeverity: { high: 1 } },
    ]);
    expect(r.body.byDetection).toEqual({ impossible_travel: 2, failed_logins: 1 });
    expect(r.body.byStatus).toEqual({ new: 3 });
    expect(r.body.total).toBe(3);
    const hourly = await h.call('GET', '/api/alerts/stats?from=2025-06-10T00:00:00Z&to=2025-06-11T00:00:00Z&interval=hour', { session: viewer });
    expect(hourly.body.buckets).toHaveLength(24);
    expect(hourly.body.buckets[1].total).toBe(2);
    const tooMany = await h.call('GET', '/api/alerts/stats?from=2020-01-01T00:00:00Z&to=2025-01-01T00:00:00Z&interval=hour', { session: viewer });
    expect(tooMany.status).toBe(400);
  });
});

describe('suppressions from triage feedback', () => {
  it('a false positive can suppress the same detection for this user and IP; matches are stored resolved, counted, listed', async () => {
    const a = alert({ detection: 'suspicious_ip', user: 'sam@acme.example', ips: ['192.0.2.200'] });
    await h.service.store.putAlert(a);
    const onlyWithVerdict = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { status: 'resolved', suppress: ['ip'] } });
    expect(onlyWithVerdict.status).toBe(400);
    expect(onlyWithVerdict.body.message).toContain('body.suppress');
    const r = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'false_positive', reason: 'alert_not_accurate', suppress: ['user', 'ip'], comment: 'office NAT' } });
    expect(r.status).toBe(200);
    const list = await h.call('GET', '/api/suppressions', { session: viewer });
    const sup = list.body.items.find((x: { fromAlert: string }) => x.fromAlert === a.id);
    expect(sup).toMatchObject({ detection: 'suspicious_ip', user: 'sam@acme.example', ip: '192.0.2.200', isp: null, createdBy: 'ana@acme.example', hits: 0 });
    expect(sup.expiresAt).toBeNull();
    const hist = await h.call('GET', `/api/alerts/${a.id}/history`, { session: viewer });
    expect(hist.body.items[0].changes.suppression).toEqual({ from: null, to: sup.id });

    const sameIp = alert({ detection: 'suspicious_ip', user: 'sam@acme.example', ips: ['192.0.2.200'] });
    const otherIp = alert({ detection: 'suspicious_ip', user: 'sam@acme.example', ips: ['192.0.2.201'] });
    const otherDetection = alert({ detection: 'anonymous_ip', user: 'sam@acme.example', ips: ['192.0.2.200'] });
    for (const x of [sameIp, otherIp, otherDetection]) await h.service.pipeline.publish(x);
    expect(await h.service.store.getAlert(sameIp.id)).toMatchObject({ status: 'resolved', classification: 'false_positive', comment: `suppressed by ${sup.id}` });
    expect((await h.service.store.getAlert(otherIp.id))!.status).toBe('new');
    expect((await h.service.store.getAlert(otherDetection.id))!.status).toBe('new');
    expect(h.service.metrics.get('rampart_alerts_suppressed_total', { detection: 'suspicious_ip' })).toBe(1);
    const after = (await h.call('GET', '/api/suppressions', { session: viewer })).body.items.find((x: { id: string }) => x.id === sup.id);
    expect(after.hits).toBe(1);
    expect(after.lastHitAt).not.toBeNull();

    expect((await h.call('DELETE', `/api/suppressions/${sup.id}`, { session: viewer })).status).toBe(403);
    expect((await h.call('DELETE', `/api/suppressions/${sup.id}`, { session: analyst })).status).toBe(200);
    const again = alert({ detection: 'suspicious_ip', user: 'sam@acme.example', ips: ['192.0.2.200'] });
    await h.service.pipeline.publish(again);
    expect((await h.service.store.getAlert(again.id))!.status).toBe('new');
  });

  it('suppressForDays sets when the suppression lapses; it needs suppress, and stays within 1..3650 days', async () => {
    const a = alert({ detection: 'anonymous_ip', user: 'kim@acme.example', ips: ['192.0.2.50'] });
    await h.service.store.putAlert(a);
    const alone = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'false_positive', reason: 'alert_not_accurate', suppressForDays: 7 } });
    expect(alone.status).toBe(400);
    expect(alone.body.message).toContain('body.suppressForDays');
    const tooLong = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'false_positive', reason: 'alert_not_accurate', suppress: ['user'], suppressForDays: 4000 } });
    expect(tooLong.status).toBe(400);
    const before = Date.now();
    const r = await h.call('PATCH', `/api/alerts/${a.id}`, { session: analyst, body: { classification: 'false_positive', reason: 'alert_not_accurate', suppress: ['user'], suppressForDays: 7 } });
    expect(r.status).toBe(200);
    const sup = (await h.call('GET', '/api/suppressions', { session: viewer })).body.items.find((x: { fromAlert: string }) => x.fromAlert === a.id);
    const lapses = Date.parse(sup.expiresAt) - before;
    expect(lapses).toBeGreaterThanOrEqual(7 * 86_400_000 - 1000);
    expect(lapses).toBeLessThanOrEqual(7 * 86_400_000 + 60_000);
  });
});

describe('live events (SSE)', () => {
  it('pushes an alert raised by the pipeline, then its update', async () => {
    const admin = await h.login('admin@localhost', h.adminPassword);
    // An org range marks the address risky with a Tor tag: the enricher applies it live, detection alerts.
    const range = await h.call('POST', '/api/ip-ranges', { session: admin, body: { name: 'bad-exit', category: 'risky', subnets: ['198.51.100.0/24'], tags: ['Tor'] } });
    expect(range.status).toBe(201);

    const ac = new AbortController();
    const res = await fetch(`${h.url}/api/events`, { headers: { cookie: viewer.cookie }, signal: ac.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    const nextEvent = async (type: string): Promise<any> => {
      for (;;) {
        const m = new RegExp(`event: ${type}\\ndata: (.*)\\n\\n`).exec(buf);
        if (m) {
          buf = buf.slice(m.index + m[0].length);
          return JSON.parse(m[1]);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buf += dec.decode(value, { stream: true });
      }
    };
    await h.service.pipeline.ingest([activity({ user: 'mallory@acme.example', ip: '198.51.100.7' })]);
    const raised = await nextEvent('alert\\.raised');
    expect(raised.user).toBe('mallory@acme.example');
    expect(raised.ips).toContain('198.51.100.7');
    expect((await h.service.store.getAlert(raised.id))?.id).toBe(raised.id);

    await h.call('PATCH', `/api/alerts/${raised.id}`, { session: analyst, body: { status: 'in_progress' } });
    const updated = await nextEvent('alert\\.updated');
    expect(updated).toMatchObject({ id: raised.id, status: 'in_progress' });
    ac.abort();
  });

  it('service close ends open streams instead of waiting for them', async () => {
    const other = await startHarness();
    const s = await other.account('v@acme.example', 'viewer');
    const res = await fetch(`${other.url}/api/events`, { headers: { cookie: s.cookie } });
    const reader = res.body!.getReader();
    await reader.read(); // the ": connected" comment
    expect(other.service.api.stream.clientCount).toBe(1);
    await other.close();
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) break;
    }
    expect(other.service.api.stream.clientCount).toBe(0);
  });

  it('ends a stream whose token is revoked before the next alert reaches it, and holds 8 streams per token at most', async () => {
    const admin = await h.login('admin@localhost', h.adminPassword);
    if ((await h.call('GET', '/api/ip-ranges/bad-exit', { session: admin })).status === 404) {
      await h.call('POST', '/api/ip-ranges', { session: admin, body: { name: 'bad-exit', category: 'risky', subnets: ['198.51.100.0/24'], tags: ['Tor'] } });
    }
    const made = await h.call('POST', '/api/tokens', { session: admin, body: { name: 'sse-viewer', role: 'viewer' } });
    const token: string = made.body.token;
    const open = () => fetch(`${h.url}/api/events`, { headers: { authorization: `Bearer ${token}` } });
    const streams = await Promise.all(Array.from({ length: 8 }, open));
    expect(streams.map((r) => r.status)).toEqual(Array(8).fill(200));
    const ninth = await open();
    expect(ninth.status).toBe(429);
    expect(((await ninth.json()) as { code: string }).code).toBe('RAMPART_ERR_API_TOO_MANY_STREAMS');
    for (const r of streams.slice(1)) await r.body!.cancel();
    const revokedReader = streams[0].body!.getReader();
    // A viewer session's stream beside it shows that the alert was published.
    const ac = new AbortController();
    const witness = (await fetch(`${h.url}/api/events`, { headers: { cookie: viewer.cookie }, signal: ac.signal })).body!.getReader();

    expect((await h.call('DELETE', `/api/tokens/${made.body.info.id}`, { session: admin })).status).toBe(200);
    await h.service.pipeline.ingest([activity({ user: 'sse-revoked@acme.example', ip: '198.51.100.9' })]);
    const dec = new TextDecoder();
    let seen = '';
    while (!seen.includes('sse-revoked@acme.example')) {
      const { value, done } = await witness.read();
      if (done) throw new Error('witness stream ended');
      seen += dec.decode(value, { stream: true });
    }
    let revokedGot = '';
    for (;;) {
      const { value, done } = await revokedReader.read();
      if (done) break;
      revokedGot += dec.decode(value, { stream: true });
    }
    expect(revokedGot).toContain(': connected');
    expect(revokedGot).not.toContain('alert.raised');
    ac.abort();
  });

  it('refuses the stream without credentials', async () => {
    const r = await h.call('GET', '/api/events');
    expect(r.status).toBe(401);
  });
});
