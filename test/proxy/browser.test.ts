/**
 * Real Chromium (Debian's package, driven by playwright-core) through the TLS session proxy in front of the
 * simulator's web front: a managed device (client certificate) downloads, an unmanaged one gets the block text
 * file, a card-number file is blocked while look-alikes pass, an external user's downloads are blocked, and the
 * activities carry user, device tag and IP. Any browser request leaving loopback fails the test.
 * Screenshots go to test-output/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startWorkplaceSimulator, type WorkplaceSimulator } from '../../src/connectors/workplace/simulator/index.ts';
import { VALID_CLIENT_CERT_TAG } from '../../src/proxy/identity.ts';
import type { SessionProxy } from '../../src/proxy/server.ts';
import { makePki, startTestProxy, tempDir, writePolicies, type RecordingSink, type TestPki } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`skipping browser tests: ${CHROMIUM} is not installed (apt-get install -y chromium)`);

const OUT = join(process.cwd(), 'test-output');
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

let pki: TestPki;
let sim: WorkplaceSimulator;
let proxy: SessionProxy;
let sink: RecordingSink;
let browser: Browser;
const offLoopback: string[] = [];

const POLICIES = {
  'unmanaged.yaml': `
name: block-unmanaged-downloads
activities: [download]
filters:
  - { field: device.tags, op: neq, value: ${JSON.stringify(VALID_CLIENT_CERT_TAG)} }
action: block
blockMessage: Downloads are allowed on managed devices only.
`,
  'external.yaml': `
name: block-external-downloads
activities: [download]
filters:
  - { field: user.external, op: eq, value: true }
action: block
blockMessage: Guests cannot download files.
`,
  'cards.yaml': `
name: block-card-numbers
activities: [download]
inspection:
  detectors: [credit_card]
  minMatches: 10
action: block
blockMessage: This file contains payment card numbers.
`,
};

describe.skipIf(!haveChromium)('session control in real Chromium', () => {
  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    pki = makePki();
    sim = await startWorkplaceSimulator({ users: 10, seed: 11 });
    const dir = tempDir();
    writePolicies(dir, POLICIES);
    ({ proxy, sink } = await startTestProxy({
      host: '127.0.0.1',
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert, crlFiles: [pki.caCrl] },
      apps: [{ name: 'acme', upstream: sim.url }],
      policiesDirectory: dir,
      organizationDomains: [sim.org.domain],
    }));
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await sim?.close();
  });

  async function newContext(managed: boolean): Promise<BrowserContext> {
    const ctx = await browser.newContext({
      acceptDownloads: true,
      ignoreHTTPSErrors: true, // the test CA is not in Chromium's store
      clientCertificates: managed ? [{ origin: proxy.url, certPath: pki.goodCert, keyPath: pki.goodKey }] : [],
    });
    await ctx.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.protocol === 'data:' || u.protocol === 'blob:' || LOOPBACK.has(u.hostname)) return route.continue();
      offLoopback.push(u.href);
      return route.abort();
    });
    return ctx;
  }

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto(`${proxy.url}/web/login`);
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', sim.web.password);
    await Promise.all([page.waitForURL(/\/web\/feed$/), page.click('button[type=submit]')]);
    expect(new URL(page.url()).origin).toBe(proxy.url); // the redirect stayed on the proxy
    await expect(page.locator('[data-rampart-notice]').count()).resolves.toBe(1);
  }

  async function downloadFrom(page: Page, group: string, fileId: string): Promise<{ name: string; text: string }> {
    await page.goto(`${proxy.url}/web/groups/${group}`);
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(`a[data-file="${fileId}"]`)]);
    const path = await dl.path();
    return { name: dl.suggestedFilename(), text: readFileSync(path, 'utf8') };
  }

  it('a managed device downloads the file; card numbers are blocked and look-alikes pass', async () => {
    const ctx = await newContext(true);
    const page = await ctx.newPage();
    const user = sim.org.users[0].email.toLowerCase();
    await signIn(page, user);
    const ok = await downloadFrom(page, 'g-eng', 'f-notes');
    expect(ok.name).toBe('release-notes.txt');
    expect(ok.text).toBe(sim.web.files.get('f-notes')!.data.toString('utf8'));
    await page.screenshot({ path: join(OUT, 'proxy-managed-group.png') });
    const cards = await downloadFrom(page, 'g-finance', 'f-cards');
    expect(cards.name).toBe('customer-cards.csv.blocked.txt');
    expect(cards.text).toContain('This file contains payment card numbers.');
    const looks = await downloadFrom(page, 'g-finance', 'f-lookalikes');
    expect(looks.name).toBe('order-references.csv');
    expect(looks.text).toBe(sim.web.files.get('f-lookalikes')!.data.toString('utf8'));
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === user && x.objects.some((o) => o.name === 'release-notes.txt'));
    expect(a.device?.tags).toEqual([VALID_CLIENT_CERT_TAG]);
    expect(a.ip).toBe('127.0.0.1');
    expect(a.device?.browser).toMatch(/Chrom/);
    await ctx.close();
  }, 60_000);

  it('an unmanaged browser gets the block text file instead', async () => {
    const ctx = await newContext(false);
    const page = await ctx.newPage();
    const user = sim.org.users[1].email.toLowerCase();
    await signIn(page, user);
    const blocked = await downloadFrom(page, 'g-eng', 'f-notes');
    expect(blocked.name).toBe('release-notes.txt.blocked.txt');
    expect(blocked.text).toContain('Downloads are allowed on managed devices only.');
    expect(blocked.text).not.toContain('Release 4.2');
    await page.setContent(`<pre>${blocked.text.replace(/</g, '&lt;')}</pre>`);
    await page.screenshot({ path: join(OUT, 'proxy-unmanaged-block-file.png') });
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === user);
    expect(a.outcome).toBe('failure');
    expect(a.device?.tags).toEqual([]);
    await ctx.close();
  }, 60_000);

  it("an external user's session is monitored and its downloads blocked, even on a managed device", async () => {
    const ctx = await newContext(true);
    const page = await ctx.newPage();
    const guest = sim.web.guests[0].email;
    await signIn(page, guest);
    await page.goto(`${proxy.url}/web/groups/g-eng`);
    await page.screenshot({ path: join(OUT, 'proxy-external-user-group.png') });
    const blocked = await downloadFrom(page, 'g-eng', 'f-roadmap');
    expect(blocked.name).toBe('roadmap.pdf.blocked.txt');
    expect(blocked.text).toContain('Guests cannot download files.');
    const login = await sink.waitFor((x) => x.action === 'LOGIN' && x.actor.email === guest);
    expect(login.device?.tags).toEqual([VALID_CLIENT_CERT_TAG]);
    await sink.waitFor((x) => x.action === 'VIEW' && x.actor.email === guest);
    const d = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === guest);
    expect((d.raw as { proxy: { policies: { policy: string }[] } }).proxy.policies.map((p) => p.policy)).toContain('block-external-downloads');
    await ctx.close();
  }, 60_000);

  it('no browser request left loopback', () => {
    expect(offLoopback).toEqual([]);
  });
});
