import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sign, startWorkplaceSimulator, type WorkplaceSimulator } from './index.ts';
import { startTestReceiver, type TestReceiver } from './testkit.ts';

type Json = Record<string, any>;
const SECRET = 'app-secret-for-tests';
const VERIFY = 'verify-me';

describe('simulator webhook sender', () => {
  let sim: WorkplaceSimulator;
  let rx: TestReceiver;
  const fast = { backoffBaseMs: 5, backoffMaxMs: 20 };

  beforeAll(async () => {
    sim = await startWorkplaceSimulator({ users: 80, seed: 9, appSecret: SECRET });
  });
  afterAll(() => sim.close());
  afterEach(async () => {
    sim.faults.clear();
    await rx?.close();
  });

  it('performs the hub.challenge handshake and refuses a receiver that does not echo it', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    const sub = await sim.webhooks.subscribe(rx.url, VERIFY);
    expect(sub.callbackUrl).toBe(rx.url);
    await expect(sim.webhooks.subscribe(rx.url, 'wrong-token')).rejects.toThrow(/verification failed/);
    rx.challengeOverride = 'not-the-challenge';
    await expect(sim.webhooks.subscribe(rx.url, VERIFY)).rejects.toThrow(/verification failed/);
  });

  it('delivers workplace_security bodies signed with both sha1 and sha256 over the raw body', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { batchSize: 4, ...fast });
    const values = sim.generator.live(10).map((e) => e.value);
    const report = await sim.webhooks.deliver(values);
    expect(report.sent).toBe(values.length);
    expect(report.acked.length).toBe(values.length);
    expect(report.bodies).toBe(Math.ceil(values.length / 4));
    expect(rx.deliveries.every((d) => d.sha1Valid && d.sha256Valid)).toBe(true);
    const body = rx.deliveries[0].body as Json;
    expect(body.object).toBe('workplace_security');
    expect(body.entry[0]).toMatchObject({ id: sim.org.companyId });
    expect(typeof body.entry[0].time).toBe('number');
    expect(body.entry[0].changes[0].value).toEqual(values[0]);
    expect(body.entry[0].changes[0].field).toBe('sessions');
    expect(rx.ackedValues()).toEqual(values);
    // The exported signer agrees with the receiver's independent check.
    expect(sign('sha256', SECRET, rx.deliveries[0].raw)).toMatch(/^sha256=[0-9a-f]{64}$/);
    // batchLayout 'changes' puts a batch in one entry.
    await sim.webhooks.subscribe(rx.url, VERIFY, { batchSize: 5, batchLayout: 'changes', field: 'security' });
    await sim.webhooks.deliver(values.slice(0, 5));
    const last = rx.deliveries.at(-1)!.body as Json;
    expect(last.entry.length).toBe(1);
    expect(last.entry[0].changes.map((c: Json) => c.field)).toEqual(Array(5).fill('security'));
  });

  it('retries on 500 with backoff, then succeeds; gives up after maxAttempts and reports unacked', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { maxAttempts: 4, concurrency: 1, ...fast });
    rx.respond = (_d, i) => (i < 2 ? 500 : 200);
    const [value] = sim.generator.live(1).map((e) => e.value);
    const ok = await sim.webhooks.deliver([value]);
    expect(ok.results[0]).toMatchObject({ acked: true, attempts: 3, lastStatus: 200 });
    expect(rx.deliveries.map((d) => d.status)).toEqual([500, 500, 200]);
    rx.respond = () => 503;
    const failed = await sim.webhooks.deliver([value]);
    expect(failed.results[0]).toMatchObject({ acked: false, attempts: 4, lastStatus: 503 });
    expect(failed.unacked).toEqual([value]);
    expect(failed.ackedKeys.size).toBe(0);
  });

  it('retries after a timeout and after a refused connection', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { maxAttempts: 3, timeoutMs: 300, concurrency: 1, ...fast });
    rx.respond = (_d, i) => (i === 0 ? 'hang' : 200);
    const [value] = sim.generator.live(1).map((e) => e.value);
    const r = await sim.webhooks.deliver([value]);
    expect(r.results[0].acked).toBe(true);
    expect(r.results[0].attempts).toBe(2);
    const url = rx.url;
    await rx.close();
    const refused = await sim.webhooks.deliver([value], { callbackUrl: url });
    expect(refused.results[0].acked).toBe(false);
    expect(refused.results[0].lastError).toBeTruthy();
    expect(refused.results[0].attempts).toBe(3);
  });

  it('fault duplicate: an acknowledged body is delivered again', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, fast);
    sim.faults.next('webhook', 'duplicate', 2);
    const values = sim.generator.live(5).map((e) => e.value);
    const r = await sim.webhooks.deliver(values);
    expect(r.duplicates).toBe(2);
    expect(rx.deliveries.length).toBe(values.length + 2);
    const raws = rx.deliveries.map((d) => d.raw);
    expect(new Set(raws).size).toBe(values.length);
  });

  it('fault out_of_order: bodies arrive shuffled, all acknowledged', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { concurrency: 1, ...fast });
    sim.faults.next('webhook', 'out_of_order');
    const values = sim.generator.live(30).map((e) => e.value);
    const r = await sim.webhooks.deliver(values);
    expect(r.acked.length).toBe(values.length);
    const got = rx.ackedValues();
    expect(got).not.toEqual(values);
    expect(new Set(got.map((v) => JSON.stringify(v)))).toEqual(new Set(values.map((v) => JSON.stringify(v))));
  });

  it('fault drop: the connection is cut mid-body, the body is retried and acknowledged', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { concurrency: 1, ...fast });
    sim.faults.next('webhook', 'drop', 1);
    const [value] = sim.generator.live(1).map((e) => e.value);
    const r = await sim.webhooks.deliver([value]);
    expect(r.results[0]).toMatchObject({ acked: true, attempts: 2 });
    await new Promise((res) => setTimeout(res, 50));
    expect(rx.deliveries.filter((d) => d.status === 200).length).toBe(1);
    expect(rx.deliveries.some((d) => d.aborted || d.body === null)).toBe(true);
  });

  it('fault malformed: an extra unparseable (but signed) delivery precedes the real one', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, fast);
    sim.faults.next('webhook', 'malformed', 1);
    const [value] = sim.generator.live(1).map((e) => e.value);
    const r = await sim.webhooks.deliver([value]);
    expect(r.results[0].acked).toBe(true);
    expect(rx.deliveries.map((d) => d.status)).toEqual([400, 200]);
    expect(rx.deliveries[0].sha256Valid).toBe(true);
  });

  it('autoDeliver sends what the tenant records, e.g. a deactivation made through Graph', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { autoDeliver: true, ...fast });
    const u = sim.org.users.find((x) => x.active && !x.isAdmin)!;
    await fetch(`${sim.graphUrl}/${u.id}?active=false&access_token=${sim.accessToken}`, { method: 'POST' });
    await sim.webhooks.flush();
    expect(rx.ackedValues().map((v) => [v.event, v.target_id])).toEqual([['ADMIN_DEACTIVATE', u.id]]);
    sim.webhooks.unsubscribe();
  });

  it('stream with out_of_order faults still delivers every event once', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { batchSize: 1, concurrency: 1, ...fast });
    sim.faults.random('webhook', 'out_of_order', 0.5);
    const sent: string[] = [];
    const s = sim.webhooks.stream({
      ratePerSec: 100_000,
      total: 200,
      source: (n) => {
        const evs = sim.generator.live(n);
        sent.push(...evs.map((e) => JSON.stringify(e.value)));
        return evs;
      },
    });
    const stats = await s.done;
    const got = rx.ackedValues().map((v) => JSON.stringify(v));
    expect(stats.acked).toBe(sent.length);
    expect(new Set(got)).toEqual(new Set(sent));
    expect(got.length).toBe(sent.length);
    expect(got).not.toEqual(sent);
  });

  it('streams generated traffic at a rate and reports acked counts', async () => {
    rx = await startTestReceiver(SECRET, VERIFY);
    await sim.webhooks.subscribe(rx.url, VERIFY, { batchSize: 10, concurrency: 2, ...fast });
    const results: boolean[] = [];
    const s = sim.webhooks.stream({ ratePerSec: 5000, total: 400, source: (n) => sim.generator.live(n), onResult: (r) => results.push(r.acked) });
    const stats = await s.done;
    expect(stats.generated).toBeGreaterThanOrEqual(400);
    expect(stats.acked).toBe(stats.generated);
    expect(results.length).toBe(stats.generated);
    expect(rx.ackedValues().length).toBe(stats.generated);
  });
});
