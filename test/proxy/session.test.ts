/**
 * Session proxy in front of the Workplace simulator's web front, over real HTTP on loopback: sign-in redirects and
 * cookies stay on the proxy, the user comes from the app's who-am-I endpoint, pages and downloads are recorded,
 * session policies block external users' downloads, card-number files, shares to outsiders, and reload live.
 */
import { FormData, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { startWorkplaceSimulator, type WorkplaceSimulator } from '../../src/connectors/workplace/simulator/index.ts';
import type { SessionProxy } from '../../src/proxy/server.ts';
import { CookieJar, startTestProxy, tempDir, writePolicies, type RecordingSink } from './helpers.ts';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0.0.0 Safari/537.36';

let sim: WorkplaceSimulator;
let proxy: SessionProxy;
let sink: RecordingSink;
let policyDir: string;
let simPort: number;

const POLICIES = {
  'external.yaml': `
name: block-external-downloads
description: External users may look, not take
activities: [download]
filters:
  - { field: user.external, op: eq, value: true }
action: block
blockMessage: Guests cannot download files from this workspace.
alert: { create: true, severity: high }
`,
  'cards.yaml': `
name: block-card-numbers
activities: [download, upload]
inspection:
  detectors: [credit_card]
  minMatches: 10
action: block
alert: { create: true }
`,
  'share.yaml': `
name: block-external-shares
activities: [share]
filters:
  - { field: user.external, as: target, op: eq, value: true }
action: block
`,
  'guest-views.yaml': `
name: block-guest-page-views
activities: [view]
filters:
  - { field: user.external, op: eq, value: true }
action: block
blockMessage: Guests cannot open workspace pages.
`,
  'monitor.yaml': `
name: monitor-everything
activities: [login, view, download, upload, share]
action: audit
`,
};

beforeAll(async () => {
  sim = await startWorkplaceSimulator({ users: 20, seed: 7 });
  simPort = Number(new URL(sim.url).port);
  policyDir = tempDir();
  writePolicies(policyDir, POLICIES);
  ({ proxy, sink } = await startTestProxy({
    apps: [{ name: 'acme', upstream: `http://localhost:${simPort}` }],
    policiesDirectory: policyDir,
    organizationDomains: [sim.org.domain],
  }));
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
});

async function signIn(email: string): Promise<CookieJar> {
  const jar = new CookieJar();
  const res = await request(`${proxy.url}/web/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA, accept: 'text/html' },
    body: new URLSearchParams({ email, password: sim.web.password }).toString(),
  });
  await res.body.dump();
  expect(res.statusCode).toBe(303);
  jar.take(res.headers['set-cookie']);
  return jar;
}

const get = (path: string, jar: CookieJar, accept = 'text/html') =>
  request(`${proxy.url}${path}`, { headers: { cookie: jar.header(), 'user-agent': UA, accept } });

describe('session proxy in front of the simulator web front', () => {
  it('keeps the sign-in redirect and the session cookie on the proxy, and records the login with the user', async () => {
    const employee = sim.org.users.find((u) => u.active)!;
    const res = await request(`${proxy.url}/web/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA },
      body: new URLSearchParams({ email: employee.email, password: sim.web.password }).toString(),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(303);
    // The app redirects to its own absolute URL (http://localhost:<sim>/web/feed); the browser must stay on the proxy.
    expect(res.headers.location).toBe(`${proxy.url}/web/feed`);
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^wp_session=/);
    expect(cookie).not.toMatch(/Domain=localhost/i); // the app's Domain would make the browser send it to the app, not the proxy
    const login = await sink.waitFor((a) => a.action === 'LOGIN' && a.actor.email === employee.email.toLowerCase());
    expect(login.outcome).toBe('success');
    expect(login.source).toBe('proxy');
    expect(login.app).toBe('workplace');
    expect(login.ip).toBe('127.0.0.1');
    expect(login.device?.type).toBe('desktop');
  });

  it('records a failed sign-in as a failed login', async () => {
    const res = await request(`${proxy.url}/web/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: 'nobody@example.com', password: 'wrong' }).toString(),
    });
    await res.body.dump();
    expect(res.statusCode).toBe(401);
    const a = await sink.waitFor((x) => x.action === 'LOGIN' && x.outcome === 'failure');
    expect(a.actor.email).toBeNull();
  });

  it('serves pages with the monitoring notice and records views; the who-am-I answer is cached', async () => {
    const employee = sim.org.users.filter((u) => u.active)[1];
    const jar = await signIn(employee.email);
    const identity = proxy.identity('acme');
    const before = identity.lookups;
    for (let i = 0; i < 3; i++) {
      const res = await get('/web/feed', jar);
      const html = await res.body.text();
      expect(res.statusCode).toBe(200);
      expect(html).toContain('data-rampart-notice');
      expect(html).toContain('Feed');
    }
    expect(identity.lookups - before).toBeLessThanOrEqual(1);
    const view = await sink.waitFor((a) => a.action === 'VIEW' && a.actor.email === employee.email.toLowerCase());
    expect(view.device?.tags).toEqual([]);
  });

  it('blocks a guest page view however the request is dressed (Accept */*, an asset-like path): the HTML answer decides', async () => {
    const guest = sim.web.guests[0];
    const gjar = await signIn(guest.email);
    for (const [path, accept] of [['/web/feed', 'text/html'], ['/web/feed', '*/*'], ['/web/feed?x=.js', '*/*']] as const) {
      const r = await get(path, gjar, accept);
      const text = await r.body.text();
      expect(r.statusCode, `${path} ${accept}`).toBe(403);
      expect(text).toContain('Guests cannot open workspace pages.');
      expect(text).not.toContain('Feed');
    }
    const employee = sim.org.users.filter((u) => u.active)[3];
    const ok = await get('/web/feed', await signIn(employee.email), '*/*');
    expect(ok.statusCode).toBe(200);
    expect(await ok.body.text()).toContain('Feed');
  });

  it('lets an employee download; blocks an external user with the text file carrying the message, and alerts', async () => {
    const employee = sim.org.users.filter((u) => u.active)[2];
    const jar = await signIn(employee.email);
    const ok = await get('/web/files/f-notes/download', jar, '*/*');
    const okBody = await ok.body.text();
    expect(ok.statusCode).toBe(200);
    expect(okBody).toBe(sim.web.files.get('f-notes')!.data.toString('utf8'));
    expect(String(ok.headers['content-disposition'])).toContain('release-notes.txt');

    const guest = sim.web.guests[0];
    const gjar = await signIn(guest.email);
    const blocked = await get('/web/files/f-notes/download', gjar, '*/*');
    const text = await blocked.body.text();
    expect(blocked.statusCode).toBe(200);
    expect(String(blocked.headers['content-disposition'])).toContain('release-notes.txt.blocked.txt');
    expect(text).toContain('Guests cannot download files from this workspace.');
    expect(text).not.toContain('Release 4.2');

    // A byte-range request gets no slice past the policy: the app answers ranges (206 straight to it), the
    // proxy does not forward them, so the guest gets the block file again and the employee the whole file.
    const direct = await request(`${sim.url}/web/files/f-notes/download`, { headers: { cookie: `wp_session=${sim.web.signIn(guest.email)}`, range: 'bytes=0-' } });
    expect(direct.statusCode).toBe(206);
    await direct.body.dump();
    for (const range of ['bytes=0-', 'bytes=5-20', 'bytes=-10']) {
      const ranged = await request(`${proxy.url}/web/files/f-notes/download`, { headers: { cookie: gjar.header(), 'user-agent': UA, accept: '*/*', range } });
      const body = await ranged.body.text();
      expect(ranged.statusCode).toBe(200);
      expect(String(ranged.headers['content-disposition'])).toContain('release-notes.txt.blocked.txt');
      expect(body).not.toContain('Release 4.2');
    }
    const whole = await request(`${proxy.url}/web/files/f-notes/download`, { headers: { cookie: jar.header(), 'user-agent': UA, accept: '*/*', range: 'bytes=5-20' } });
    expect(whole.statusCode).toBe(200);
    expect(await whole.body.text()).toBe(sim.web.files.get('f-notes')!.data.toString('utf8'));

    const ga = await sink.waitFor((a) => a.action === 'FILE_DOWNLOAD' && a.actor.email === guest.email);
    expect(ga.outcome).toBe('failure');
    expect((ga.raw as { proxy: { decision: string } }).proxy.decision).toBe('block');
    expect(ga.objects.some((o) => o.name === 'release-notes.txt')).toBe(true);
    const ea = await sink.waitFor((a) => a.action === 'FILE_DOWNLOAD' && a.actor.email === employee.email.toLowerCase());
    expect(ea.outcome).toBe('success');
    await sink.waitFor(() => sink.alerts.some((al) => al.detection === 'session_policy:block-external-downloads'));
    const alert = sink.alerts.find((al) => al.detection === 'session_policy:block-external-downloads')!;
    expect(alert.user).toBe(guest.email);
    expect(alert.severity).toBe('high');
    expect(alert.activityIds).toEqual([ga.id]);
  });

  it('blocks a file with 12 valid card numbers and lets 12 Luhn-invalid look-alikes through', async () => {
    const employee = sim.org.users.filter((u) => u.active)[3];
    const jar = await signIn(employee.email);
    const cards = await get('/web/files/f-cards/download', jar, '*/*');
    const cardsText = await cards.body.text();
    expect(cardsText).toContain('Download restricted');
    expect(cardsText).not.toMatch(/4111/);
    const looks = await get('/web/files/f-lookalikes/download', jar, '*/*');
    const looksText = await looks.body.text();
    expect(looksText).toBe(sim.web.files.get('f-lookalikes')!.data.toString('utf8'));
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.objects.some((o) => o.name === 'customer-cards.csv'));
    const ins = (a.raw as { proxy: { inspection: { counts: Record<string, number>; evidence: { match: string; context: string }[] } } }).proxy.inspection;
    expect(ins.counts.credit_card).toBe(12);
    // Evidence is masked: no full number survives.
    for (const e of ins.evidence) {
      expect(e.match.replace(/\D/g, '').length).toBe(4);
      expect(e.context).not.toMatch(/\d{5}/);
    }
    const b = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.objects.some((o) => o.name === 'order-references.csv'));
    expect(b.outcome).toBe('success');
    expect((b.raw as { proxy: { inspection: { counts: Record<string, number>; rejected: number } } }).proxy.inspection.counts.credit_card).toBe(0);
  });

  it('looks inside DOCX files: 12 card numbers in a Word document are blocked, look-alikes pass', async () => {
    const { makeDocx, VALID_CARD_NUMBERS, LOOKALIKE_CARD_NUMBERS } = await import('../../src/connectors/workplace/simulator/web/index.ts');
    const add = async (id: string, numbers: readonly string[]) =>
      sim.web.files.set(id, { id, groupId: 'g-finance', name: `${id}.docx`, mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', data: await makeDocx(numbers.map((n) => `Card ${n}`)), ownerEmail: null });
    await add('docx-cards', VALID_CARD_NUMBERS);
    await add('docx-looks', LOOKALIKE_CARD_NUMBERS);
    const jar = await signIn(sim.org.users.filter((u) => u.active)[8].email);
    const bad = await get('/web/files/docx-cards/download', jar, '*/*');
    expect(await bad.body.text()).toContain('Download restricted');
    const ok = await get('/web/files/docx-looks/download', jar, '*/*');
    expect(Buffer.from(await ok.body.arrayBuffer()).equals(sim.web.files.get('docx-looks')!.data)).toBe(true);
  });

  it('inspects uploads: a card-number file never reaches the app, a clean one does', async () => {
    const employee = sim.org.users.filter((u) => u.active)[4];
    const jar = await signIn(employee.email);
    const upload = async (name: string, content: string) => {
      const form = new FormData();
      form.append('file', new Blob([content], { type: 'text/csv' }), name);
      const res = await request(`${proxy.url}/web/groups/g-finance/files`, { method: 'POST', headers: { cookie: jar.header(), 'user-agent': UA }, body: form });
      const text = await res.body.text();
      return { status: res.statusCode, text };
    };
    const before = sim.web.files.size;
    const bad = await upload('leak.csv', sim.web.files.get('f-cards')!.data.toString('utf8'));
    expect(bad.status).toBe(403);
    expect(bad.text).toContain('data-rampart-block-message');
    expect(sim.web.files.size).toBe(before);
    const good = await upload('fine.csv', sim.web.files.get('f-lookalikes')!.data.toString('utf8'));
    expect(good.status).toBe(303);
    expect(sim.web.files.size).toBe(before + 1);
    expect([...sim.web.files.values()].some((f) => f.name === 'fine.csv')).toBe(true);
    const up = await sink.waitFor((x) => x.action === 'FILE_UPLOAD' && x.objects.some((o) => o.name === 'leak.csv'));
    expect(up.outcome).toBe('failure');
  });

  it('blocks sharing with an external address and records the target', async () => {
    const employee = sim.org.users.filter((u) => u.active)[5];
    const jar = await signIn(employee.email);
    const share = (to: string) =>
      request(`${proxy.url}/web/files/f-notes/share`, {
        method: 'POST',
        headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA },
        body: new URLSearchParams({ email: to }).toString(),
      });
    const n = sim.web.shares.length;
    const out = await share('someone@elsewhere.org');
    await out.body.dump();
    expect(out.statusCode).toBe(403);
    expect(sim.web.shares.length).toBe(n);
    const colleague = sim.org.users.filter((u) => u.active)[6].email;
    const inside = await share(colleague);
    await inside.body.dump();
    expect(inside.statusCode).toBe(303);
    expect(sim.web.shares.at(-1)?.to).toBe(colleague.toLowerCase());
    const a = await sink.waitFor((x) => x.action === 'FILE_SHARE' && x.target?.email === 'someone@elsewhere.org');
    expect(a.outcome).toBe('failure');
  });

  it('forgets a session the app ended: after sign-out the old cookie maps to nobody', async () => {
    const employee = sim.org.users.filter((u) => u.active)[9];
    const jar = await signIn(employee.email);
    await (await get('/web/feed', jar)).body.dump();
    const out = await request(`${proxy.url}/web/logout`, { method: 'POST', headers: { cookie: jar.header(), 'user-agent': UA } });
    await out.body.dump();
    expect(out.statusCode).toBe(303);
    const n = sink.activities.length;
    const again = await get('/web/feed', jar);
    await again.body.dump();
    expect(again.statusCode).toBe(303);
    const view = await sink.waitFor((a) => sink.activities.indexOf(a) >= n && a.action === 'VIEW');
    expect(view.actor.email).toBeNull();
  });

  it('can block sign-in itself: the session cookie never reaches the browser', async () => {
    const file = join(policyDir, 'no-guest-login.yaml');
    writeFileSync(file, `name: no-guest-login\nactivities: [login]\nfilters:\n  - { field: user.domain, op: eq, value: partner-corp.net }\naction: block\nblockMessage: Guests sign in through the partner portal.\n`);
    try {
      proxy.reloadPolicies();
      const res = await request(`${proxy.url}/web/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': UA },
        body: new URLSearchParams({ email: sim.web.guests[0].email, password: sim.web.password }).toString(),
      });
      expect(res.statusCode).toBe(403);
      expect(await res.body.text()).toContain('Guests sign in through the partner portal.');
      expect(res.headers['set-cookie']).toBeUndefined();
      const a = await sink.waitFor((x) => x.action === 'LOGIN' && x.actor.email === sim.web.guests[0].email && x.outcome === 'failure');
      expect((a.raw as { proxy: { decision: string } }).proxy.decision).toBe('block');
    } finally {
      unlinkSync(file);
      proxy.reloadPolicies();
    }
  });

  it('notices a new policy file by itself (folder watch)', async () => {
    const file = join(policyDir, 'watched.yaml');
    writeFileSync(file, 'name: watched-policy\nactivities: [view]\naction: audit\n');
    try {
      const names = () => proxy.policies.policies.map((p) => p.policy.name);
      for (let i = 0; i < 250 && !names().includes('watched-policy'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(names()).toContain('watched-policy');
    } finally {
      unlinkSync(file);
    }
    for (let i = 0; i < 250 && proxy.policies.policies.some((p) => p.policy.name === 'watched-policy'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(proxy.policies.policies.some((p) => p.policy.name === 'watched-policy')).toBe(false);
  });

  it('applies a policy change without a restart', async () => {
    const employee = sim.org.users.filter((u) => u.active)[7];
    const jar = await signIn(employee.email);
    const first = await get('/web/files/f-roadmap/download', jar, '*/*');
    const firstBody = Buffer.from(await first.body.arrayBuffer());
    expect(firstBody.subarray(0, 5).toString()).toBe('%PDF-');
    const file = join(policyDir, 'no-pdf.yaml');
    writeFileSync(file, `name: no-pdf\nactivities: [download]\nfile:\n  conditions:\n    - { field: file.extension, op: eq, value: pdf }\naction: block\nblockMessage: PDFs stay in the app.\n`);
    try {
      proxy.reloadPolicies(); // the folder watch does the same a moment later; calling it keeps the test deterministic
      const second = await get('/web/files/f-roadmap/download', jar, '*/*');
      expect(await second.body.text()).toContain('PDFs stay in the app.');
    } finally {
      unlinkSync(file);
      proxy.reloadPolicies();
    }
    const third = await get('/web/files/f-roadmap/download', jar, '*/*');
    expect(Buffer.from(await third.body.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });
});
