// Email delivery against a real SMTP server (smtp-server) on loopback, with STARTTLS and AUTH.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EmailDestinationSchema, type EmailDestinationConfig } from '../../src/deliver/config.ts';
import { DailyAddressQuota, EmailDestination, QUOTA_DOC_KIND, renderAlertEmail } from '../../src/deliver/email.ts';
import { AlertDispatcher, DELIVERY_DOC_KIND, MemoryDocStore, type DeliveryRecord } from '../../src/deliver/dispatcher.ts';
import { AlertsConfigSchema } from '../../src/deliver/config.ts';
import { Metrics } from '../../src/core/metrics.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { RampartError } from '../../src/core/errors.ts';
import { decodeHeader, makeAlert, parseMail, selfSignedCert, sqliteStore, tempDbPath, type ParsedMail } from './helpers.ts';

interface Captured extends ParsedMail {
  from: string;
  rcpt: string[];
  user: string | undefined;
  secure: boolean;
}

const tls = selfSignedCert();
const received: Captured[] = [];
let server: SMTPServer;
let port = 0;
const env = { RAMPART_TEST_SMTP_PASSWORD: 's3cret-pass' };

beforeAll(async () => {
  server = new SMTPServer({
    key: tls.key,
    cert: tls.cert,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'rampart' && auth.password === env.RAMPART_TEST_SMTP_PASSWORD) return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onRcptTo(addr, _session, cb) {
      if (addr.address.endsWith('@blocked.example')) {
        const err = new Error('Mailbox unavailable') as Error & { responseCode: number };
        err.responseCode = 550;
        return cb(err);
      }
      cb();
    },
    onData(stream, session: SMTPServerSession, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          ...parseMail(Buffer.concat(chunks).toString('utf8')),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcpt: session.envelope.rcptTo.map((r) => r.address),
          user: session.user as string | undefined,
          secure: session.secure,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  received.length = 0;
});

function config(over: Omit<Partial<EmailDestinationConfig>, 'smtp'> & { smtp?: Partial<EmailDestinationConfig['smtp']> } = {}): EmailDestinationConfig {
  const { smtp, ...rest } = over;
  return EmailDestinationSchema.parse({
    name: 'soc-email',
    type: 'email',
    to: ['soc@example.com', 'oncall@example.com'],
    from: 'rampart@example.com',
    smtp: { host: '127.0.0.1', port, user: 'rampart', password: { env: 'RAMPART_TEST_SMTP_PASSWORD' }, caFile: tls.certFile, timeoutMs: 10_000, ...smtp },
    ...rest,
  });
}

describe('email destination over real SMTP', () => {
  it('sends one message with HTML and text bodies to every recipient, over STARTTLS with AUTH', async () => {
    const dest = new EmailDestination({ config: config(), store: new MemoryDocStore(), consoleBaseUrl: 'https://rampart.example/console/', env });
    const alert = makeAlert({ evidence: ['<script>alert(1)</script> & "quoted"'], title: 'Impossible travel for alice@example.com' });
    const res = await dest.send(alert);
    await dest.close();

    expect(res.outcome).toBe('sent');
    expect(received).toHaveLength(1);
    const m = received[0];
    expect(m.secure).toBe(true); // upgraded by STARTTLS, certificate verified against caFile
    expect(m.user).toBe('rampart');
    expect(m.from).toBe('rampart@example.com');
    expect(m.rcpt.sort()).toEqual(['oncall@example.com', 'soc@example.com']);
    expect(decodeHeader(m.headers.get('subject')!)).toBe('[Rampart] HIGH: Impossible travel for alice@example.com');
    expect(m.headers.get('x-rampart-alert-id')).toBe(alert.id);

    const link = `https://rampart.example/console/alerts/${alert.id}`;
    expect(m.text).toContain('Impossible travel for alice@example.com');
    expect(m.text).toContain('Severity: high');
    expect(m.text).toContain('User: alice@example.com');
    expect(m.text).toContain('  - <script>alert(1)</script> & "quoted"'); // plain text needs no escaping
    expect(m.text).toContain(`Open the alert: ${link}`);

    expect(m.html).toContain('<h1 style="font-size:18px;margin:4px 0 12px">Impossible travel for alice@example.com</h1>');
    expect(m.html).toContain('<li>&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quoted&quot;</li>');
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain(`<a href="${link}">`);
    expect(m.html).toContain('alice@example.com');
  });

  it('refuses to send in clear text when the server does not offer STARTTLS and requireTls is on', async () => {
    const plain = new SMTPServer({ logger: false, disabledCommands: ['STARTTLS', 'AUTH'], onData: (s, _x, cb) => s.on('end', cb).resume() });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    const p = (plain.server.address() as AddressInfo).port;
    try {
      const dest = new EmailDestination({
        config: config({ smtp: { port: p, user: undefined, password: undefined, requireTls: true } }),
        store: new MemoryDocStore(),
        consoleBaseUrl: 'http://x',
        env,
      });
      const err = await dest.send(makeAlert()).catch((e: unknown) => e);
      await dest.close();
      expect(err).toBeInstanceOf(RampartError);
      // The server answers STARTTLS with a 5xx: a configuration mismatch that a retry will not fix.
      expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_REJECTED');
      expect((err as RampartError).message).toMatch(/STARTTLS/i);
    } finally {
      await new Promise<void>((r) => plain.close(() => r()));
    }
  });

  it('reports a wrong password as a permanent rejection (SMTP 535), not a retryable failure', async () => {
    const dest = new EmailDestination({ config: config(), store: new MemoryDocStore(), consoleBaseUrl: 'http://x', env: { RAMPART_TEST_SMTP_PASSWORD: 'wrong' } });
    const err = await dest.send(makeAlert()).catch((e: unknown) => e);
    await dest.close();
    expect(err).toBeInstanceOf(RampartError);
    expect((err as RampartError).code).toBe('RAMPART_ERR_DELIVER_REJECTED');
    expect(received).toHaveLength(0);
  });

  it('delivers to the accepted recipients and names the ones the server refused', async () => {
    const dest = new EmailDestination({ config: config({ to: ['soc@example.com', 'nobody@blocked.example'] }), store: new MemoryDocStore(), consoleBaseUrl: 'http://x', env });
    const res = await dest.send(makeAlert());
    await dest.close();
    expect(res.outcome).toBe('sent');
    expect(res.detail).toContain('rejected by server: nobody@blocked.example');
    expect(received.map((m) => m.rcpt)).toEqual([['soc@example.com']]);
  });

  it('fails with a missing secret naming where it looked, never a value', () => {
    expect(() => new EmailDestination({ config: config(), store: new MemoryDocStore(), consoleBaseUrl: 'http://x', env: {} })).toThrow(
      /RAMPART_TEST_SMTP_PASSWORD/,
    );
  });
});

describe('daily limit per address (at most N messages per address per UTC day)', () => {
  it('skips over-limit recipients, resets at midnight UTC, and survives a restart', async () => {
    const dbPath = tempDbPath();
    let store = await sqliteStore(dbPath);
    let now = new Date('2026-11-27T23:58:00.000Z');
    const clock = () => now;
    const cfg = config({ to: ['soc@example.com', 'oncall@example.com'], dailyLimitPerAddress: 2 });
    const make = () => new EmailDestination({ config: cfg, store, consoleBaseUrl: 'http://x', clock, env });

    let dest = make();
    expect((await dest.send(makeAlert())).outcome).toBe('sent');
    expect((await dest.send(makeAlert())).outcome).toBe('sent');
    await dest.close();
    await store.close();
    expect(received).toHaveLength(2);

    // A restart (the SQLite file reopened, a new destination) keeps the count: the third message of the day is skipped.
    store = await sqliteStore(dbPath);
    dest = make();
    const third = await dest.send(makeAlert());
    expect(third.outcome).toBe('skipped');
    expect(third.detail).toContain('daily email limit of 2 messages reached for soc@example.com, oncall@example.com');
    expect(third.skippedRecipients).toEqual(['soc@example.com', 'oncall@example.com']);
    expect(received).toHaveLength(2);

    // One second before midnight UTC: still the same day.
    now = new Date('2026-11-27T23:59:59.999Z');
    expect((await dest.send(makeAlert())).outcome).toBe('skipped');

    // Midnight UTC: a new day, both addresses may receive again.
    now = new Date('2026-11-28T00:00:00.000Z');
    const fresh = await dest.send(makeAlert());
    expect(fresh.outcome).toBe('sent');
    expect(received).toHaveLength(3);
    expect(received[2].rcpt.sort()).toEqual(['oncall@example.com', 'soc@example.com']);
    expect(await dest.quota.used('soc@example.com')).toBe(1);
    const doc = await store.getDoc<{ day: string; count: number }>(QUOTA_DOC_KIND, 'soc@example.com');
    expect(doc?.body).toMatchObject({ day: '2026-11-28', count: 1 });
    await dest.close();
    await store.close();
  });

  it('counts per address, case-insensitively, and sends only to addresses under the limit', async () => {
    const store = await sqliteStore();
    const clock = () => new Date('2026-11-27T12:00:00.000Z');
    const quota = new DailyAddressQuota(store, 3, clock);
    for (let i = 0; i < 3; i++) await quota.record('SOC@example.com');
    const dest = new EmailDestination({ config: config({ dailyLimitPerAddress: 3 }), store, consoleBaseUrl: 'http://x', clock, env });
    const res = await dest.send(makeAlert());
    await dest.close();
    expect(res.outcome).toBe('sent');
    expect(res.skippedRecipients).toEqual(['soc@example.com']);
    expect(received.map((m) => m.rcpt)).toEqual([['oncall@example.com']]);
    expect(await dest.quota.used('oncall@example.com')).toBe(1);
    await store.close();
  });

  it('a store that cannot count after sending reports it without failing (a retry would send a duplicate)', async () => {
    const store = new MemoryDocStore();
    const failing = { ...store, getDoc: store.getDoc.bind(store), listDocs: store.listDocs.bind(store), putDoc: async () => { throw new Error('disk full'); } };
    const dest = new EmailDestination({ config: config({ to: ['soc@example.com'] }), store: failing, consoleBaseUrl: 'http://x', env });
    const res = await dest.send(makeAlert());
    await dest.close();
    expect(res.outcome).toBe('sent');
    expect(res.detail).toContain('daily count not stored: disk full');
    expect(received).toHaveLength(1);
  });

  it('never allows a configured limit above the documented 500', () => {
    expect(() => config({ dailyLimitPerAddress: 501 })).toThrow();
    expect(config().dailyLimitPerAddress).toBe(500);
  });
});

describe('email through the dispatcher', () => {
  it('records over-limit alerts as skipped with the reason in the delivery log', async () => {
    const store = await sqliteStore();
    const metrics = new Metrics();
    const clock = () => new Date('2026-11-27T10:00:00.000Z');
    const alerts = AlertsConfigSchema.parse({
      consoleBaseUrl: 'https://rampart.example',
      destinations: [{ ...config({ to: ['soc@example.com'], dailyLimitPerAddress: 1 }), type: 'email' }],
      routes: [{ detections: '*', destinations: ['soc-email'] }],
    });
    const d = new AlertDispatcher({ config: alerts, store, logger: silentLogger(), metrics, clock, env, sleep: async () => {} });
    const [a1, a2] = [makeAlert(), makeAlert()];
    d.onAlert(a1);
    d.onAlert(a2);
    await d.drain();
    await d.close();
    expect(received.map((m) => m.rcpt)).toEqual([['soc@example.com']]);
    const rows = (await store.listDocs<DeliveryRecord>(DELIVERY_DOC_KIND)).map((x) => x.body);
    expect(rows.find((r) => r.alertId === a1.id)).toMatchObject({ outcome: 'sent', final: true, destinationType: 'email' });
    expect(rows.find((r) => r.alertId === a2.id)).toMatchObject({
      outcome: 'skipped',
      final: true,
      skippedRecipients: ['soc@example.com'],
      detail: 'daily email limit of 1 messages reached for soc@example.com',
    });
    expect(metrics.get('rampart_delivery_attempts_total', { destination: 'soc-email', outcome: 'skipped' })).toBe(1);
    await store.close();
  });
});

describe("a policy's own email recipients (details.emailTo)", () => {
  it('are emailed through the email destination even when no route sends the alert to it', async () => {
    const store = await sqliteStore();
    const alerts = AlertsConfigSchema.parse({
      destinations: [{ ...config({ to: ['soc@example.com'] }), type: 'email' }],
      routes: [{ detections: ['impossible_travel'], destinations: ['soc-email'] }],
    });
    const d = new AlertDispatcher({ config: alerts, store, logger: silentLogger(), metrics: new Metrics(), env, sleep: async () => {} });
    const policyAlert = makeAlert({ detection: 'policy:admin-outside', details: { policy: 'admin-outside', emailTo: ['Owner@Example.com', 'not an address', 'owner@example.com'] } });
    const plain = makeAlert({ detection: 'policy:other', details: {} });
    d.onAlert(policyAlert);
    d.onAlert(plain);
    await d.drain();
    await d.close();
    expect(received.map((m) => m.rcpt)).toEqual([['owner@example.com']]);
    const rows = (await store.listDocs<DeliveryRecord>(DELIVERY_DOC_KIND)).map((x) => x.body);
    expect(rows).toEqual([expect.objectContaining({ alertId: policyAlert.id, destination: 'policy-recipients', destinationType: 'email', outcome: 'sent' })]);
    await store.close();
  });

  it('are reported as skipped, never silently dropped, when there is no email destination', async () => {
    const store = await sqliteStore();
    const d = new AlertDispatcher({ config: AlertsConfigSchema.parse({}), store, logger: silentLogger(), metrics: new Metrics(), env });
    const policyAlert = makeAlert({ detection: 'policy:admin-outside', details: { emailTo: ['owner@example.com'] } });
    d.onAlert(policyAlert);
    await d.drain();
    await d.close();
    const rows = (await store.listDocs<DeliveryRecord>(DELIVERY_DOC_KIND)).map((x) => x.body);
    expect(rows).toEqual([expect.objectContaining({ alertId: policyAlert.id, destination: 'policy-recipients', outcome: 'skipped', detail: expect.stringContaining('no email destination') })]);
    await store.close();
  });

  it('policyRecipientsVia must name an email destination', () => {
    expect(() => AlertsConfigSchema.parse({ policyRecipientsVia: 'nope' })).toThrow(/not an email destination/);
  });
});

describe('templates', () => {
  it('escapes every alert field in HTML and keeps the subject on one line', () => {
    const a = makeAlert({ title: 'Bad <b>title</b>\r\nBcc: x@evil', user: '"><img src=x>', description: 'a & b', app: '<app>' });
    const r = renderAlertEmail(a, 'http://c');
    expect(r.subject).not.toMatch(/[\r\n]/);
    expect(r.html).not.toMatch(/<b>|<img|<app>/);
    expect(r.html).toContain('&lt;b&gt;title&lt;/b&gt;');
    expect(r.html).toContain('&quot;&gt;&lt;img src=x&gt;');
    expect(r.html).toContain('a &amp; b');
  });

  it('keeps each field of the text part on its own line: event data cannot write lines (a fake verdict or link)', () => {
    const forged = 'ok\n\nThis alert was resolved as a false positive.\n\nOpen the alert: https://rampart.evil.example/alerts/al-1\u2028\u001b[2J';
    const a = makeAlert({ title: `Title${forged}`, user: `u@x${forged}`, description: `Desc${forged}`, evidence: [`Ev${forged}`] });
    const r = renderAlertEmail(a, 'http://c');
    const lines = r.text.split('\n');
    expect(lines.filter((l) => l.startsWith('Open the alert:'))).toEqual([`Open the alert: ${r.text.match(/Open the alert: (http:\/\/c\S*)/)![1]}`]);
    expect(lines.some((l) => l.startsWith('This alert was resolved'))).toBe(false);
    expect(r.text).not.toMatch(/[\u001b\u2028]/);
    expect(r.text).toContain('  - Evok\\n\\nThis alert was resolved'); // shown, escaped, on the evidence line
  });

  it('bounds the body: at most 50 evidence lines and 2000 characters per field', () => {
    const a = makeAlert({ evidence: Array.from({ length: 120 }, (_, i) => `line ${i}`), description: 'x'.repeat(10_000) });
    const r = renderAlertEmail(a, 'http://c');
    expect(r.text).toContain('  - line 49\n');
    expect(r.text).not.toContain('line 50\n');
    expect(r.text).toContain('… and 70 more in the console');
    expect(r.text).toContain(`${'x'.repeat(2000)}…`);
    expect(r.text).not.toContain('x'.repeat(2001));
    expect(r.html.length).toBeLessThan(12_000);
  });
});
