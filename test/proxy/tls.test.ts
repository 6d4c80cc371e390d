/**
 * The proxy over TLS (HTTP/2 and HTTP/1.1) with client certificates checked against an organisation CA and its
 * CRL (made with openssl for the test), signed identity and device-compliance headers, and protect-on-download
 * (AES-256 ZIP, password mailed through a real SMTP server).
 */
import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import { SMTPServer } from 'smtp-server';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configure, Uint8ArrayReader, Uint8ArrayWriter, ZipReader } from '@zip.js/zip.js';
import { startWorkplaceSimulator, type WorkplaceSimulator } from '../../src/connectors/workplace/simulator/index.ts';
import { signAssertion } from '../../src/proxy/signed-header.ts';
import { VALID_CLIENT_CERT_TAG } from '../../src/proxy/identity.ts';
import type { SessionProxy } from '../../src/proxy/server.ts';
import { makePki, startTestProxy, tempDir, writePolicies, type RecordingSink, type TestPki } from './helpers.ts';

configure({ useWebWorkers: false });

const IDENTITY_SECRET = 'identity-hmac-key-for-tests-0123456789';
const DEVICE_SECRET = 'device-hmac-key-for-tests-0123456789';

let pki: TestPki;
let sim: WorkplaceSimulator;
let proxy: SessionProxy;
let sink: RecordingSink;
let smtp: SMTPServer;
const mails: { to: string[]; text: string }[] = [];

const POLICIES = {
  'unmanaged.yaml': `
name: block-unmanaged-downloads
activities: [download]
filters:
  - { field: device.tags, op: neq, value: [${JSON.stringify(VALID_CLIENT_CERT_TAG)}, "Intune compliant"] }
action: block
blockMessage: Downloads need a managed device.
`,
  'protect.yaml': `
name: protect-docx
activities: [download]
file:
  conditions:
    - { field: file.extension, op: eq, value: docx }
action: protect
`,
};

beforeAll(async () => {
  pki = makePki();
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), text: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const smtpPort = (smtp.server.address() as { port: number }).port;
  sim = await startWorkplaceSimulator({ users: 10, seed: 3 });
  const dir = tempDir();
  writePolicies(dir, POLICIES);
  ({ proxy, sink } = await startTestProxy(
    {
      host: '127.0.0.1',
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert, crlFiles: [pki.caCrl] },
      apps: [{ name: 'acme', upstream: sim.url }],
      policiesDirectory: dir,
      organizationDomains: [sim.org.domain],
      identityHeader: { header: 'x-sso-identity', secret: { env: 'TEST_IDENTITY_SECRET' } },
      deviceHeader: { header: 'x-device-compliance', secret: { env: 'TEST_DEVICE_SECRET' } },
      protect: { smtp: { host: '127.0.0.1', port: smtpPort, secure: false }, from: 'rampart@example.com' },
    },
    { env: { TEST_IDENTITY_SECRET: IDENTITY_SECRET, TEST_DEVICE_SECRET: DEVICE_SECRET } },
  ));
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

const agentWith = (cert?: string, key?: string) =>
  new Agent({ connect: { ca: readFileSync(pki.caCert), ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}) } });

async function download(agent: Agent, email: string, fileId = 'f-notes', extra: Record<string, string> = {}) {
  const cookie = `wp_session=${sim.web.signIn(email)}`;
  const res = await request(`${proxy.url}/web/files/${fileId}/download`, { dispatcher: agent, headers: { cookie, ...extra } });
  return { res, body: Buffer.from(await res.body.arrayBuffer()) };
}

describe('client certificates and device tags', () => {
  it('a device with a valid client certificate downloads; the activity carries the tag', async () => {
    const user = sim.org.users[0].email;
    const { body } = await download(agentWith(pki.goodCert, pki.goodKey), user);
    expect(body.toString('utf8')).toBe(sim.web.files.get('f-notes')!.data.toString('utf8'));
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === user.toLowerCase());
    expect(a.device?.tags).toEqual([VALID_CLIENT_CERT_TAG]);
    expect(a.outcome).toBe('success');
  });

  it.each([
    ['no certificate', undefined, undefined],
    ['a revoked certificate (CRL)', 'revokedCert', 'revokedKey'],
    ['a certificate from another CA', 'strangerCert', 'strangerKey'],
  ] as const)('a device with %s gets the block file instead', async (_label, certKey, keyKey) => {
    const user = sim.org.users[1].email;
    const agent = certKey && keyKey ? agentWith(pki[certKey], pki[keyKey]) : agentWith();
    const { res, body } = await download(agent, user);
    expect(String(res.headers['content-disposition'])).toContain('.blocked.txt');
    expect(body.toString('utf8')).toContain('Downloads need a managed device.');
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === user.toLowerCase() && x.outcome === 'failure');
    expect(a.device?.tags).toEqual([]);
  });

  it('takes device tags from a signed compliance header and ignores a forged one', async () => {
    const user = sim.org.users[2].email;
    const signed = signAssertion({ tags: ['Intune compliant'] }, DEVICE_SECRET);
    const ok = await download(agentWith(), user, 'f-notes', { 'x-device-compliance': signed });
    expect(ok.body.toString('utf8')).toContain('Release 4.2');
    const forged = signAssertion({ tags: ['Intune compliant'] }, 'not-the-secret');
    const bad = await download(agentWith(), user, 'f-notes', { 'x-device-compliance': forged });
    expect(bad.body.toString('utf8')).toContain('Downloads need a managed device.');
  });

  it('speaks HTTP/2 to the browser (ALPN h2) and still tags the client certificate', async () => {
    const user = sim.org.users[3].email;
    const cookie = `wp_session=${sim.web.signIn(user)}`;
    const session = http2.connect(proxy.url, { ca: readFileSync(pki.caCert), cert: readFileSync(pki.goodCert), key: readFileSync(pki.goodKey) });
    try {
      const { status, body, alpn } = await new Promise<{ status: number; body: string; alpn: string | undefined }>((resolve, reject) => {
        const req = session.request({ ':path': '/web/files/f-notes/download', cookie });
        let status = 0;
        const chunks: Buffer[] = [];
        req.on('response', (h) => (status = Number(h[':status'])));
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString('utf8'), alpn: session.alpnProtocol }));
        req.on('error', reject);
        req.end();
      });
      expect(alpn).toBe('h2');
      expect(status).toBe(200);
      expect(body).toContain('Release 4.2');
    } finally {
      session.close();
    }
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === user.toLowerCase());
    expect(a.device?.tags).toContain(VALID_CLIENT_CERT_TAG);
  });
});

describe('identity from a signed SSO header', () => {
  it('attributes requests to the asserted user and ignores a tampered assertion', async () => {
    const agent = agentWith(pki.goodCert, pki.goodKey);
    const good = signAssertion({ email: 'Sam.Sso@Example.com', name: 'Sam' }, IDENTITY_SECRET);
    const r1 = await request(`${proxy.url}/web/login`, { dispatcher: agent, headers: { 'x-sso-identity': good, accept: 'text/html' } });
    await r1.body.dump();
    await sink.waitFor((x) => x.action === 'VIEW' && x.actor.email === 'sam.sso@example.com');
    const [head, payload, sig] = good.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ email: 'boss@example.com', iat: Math.floor(Date.now() / 1000) })).toString('base64url')}.${sig}`;
    void payload;
    const r2 = await request(`${proxy.url}/web/login`, { dispatcher: agent, headers: { 'x-sso-identity': tampered, accept: 'text/html' } });
    await r2.body.dump();
    await new Promise((r) => setTimeout(r, 100));
    expect(sink.activities.some((x) => x.actor.email === 'boss@example.com')).toBe(false);
  });
});

describe('protect on download', () => {
  it('delivers a DOCX inside an AES-256 ZIP and mails the password to the user', async () => {
    const user = sim.org.users[4].email.toLowerCase();
    const { res, body } = await download(agentWith(pki.goodCert, pki.goodKey), user, 'f-spec');
    expect(res.headers['content-type']).toBe('application/zip');
    expect(String(res.headers['content-disposition'])).toContain('design-spec.docx.zip');
    const mail = mails.find((m) => m.to.includes(user));
    expect(mail).toBeDefined();
    const password = /Password: (\S+)/.exec(mail!.text)?.[1];
    expect(password).toBeTruthy();
    const reader = new ZipReader(new Uint8ArrayReader(new Uint8Array(body)));
    const [entry] = await reader.getEntries();
    expect(entry.filename).toBe('design-spec.docx');
    expect(entry.encrypted).toBe(true);
    // Wrong password fails; the mailed one gives back the original bytes.
    await expect((entry as { getData(w: Uint8ArrayWriter, o: object): Promise<Uint8Array> }).getData(new Uint8ArrayWriter(), { password: 'wrong-password' })).rejects.toThrow();
    const data = await (entry as { getData(w: Uint8ArrayWriter, o: object): Promise<Uint8Array> }).getData(new Uint8ArrayWriter(), { password });
    expect(Buffer.from(data).equals(sim.web.files.get('f-spec')!.data)).toBe(true);
    await reader.close();
    const a = await sink.waitFor((x) => x.action === 'FILE_DOWNLOAD' && x.actor.email === user);
    expect((a.raw as { proxy: { decision: string; protected: { emailedTo: string } } }).proxy.decision).toBe('protect');
    expect((a.raw as { proxy: { protected: { emailedTo: string } } }).proxy.protected.emailedTo).toBe(user);
  });
});
