/** Signed headers, header rewriting, session policy decisions and loading. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ActivitySchema } from '../../src/schema/activity.ts';
import { signAssertion, verifyAssertion } from '../../src/proxy/signed-header.ts';
import { bodyContentStart, downstreamResponseHeaders, injectNotice, rewriteSetCookie, upstreamRequestHeaders, type Origins } from '../../src/proxy/rewrite.ts';
import { loadSessionPolicies, SessionPolicySet } from '../../src/proxy/policy/policy-set.ts';
import { SessionPolicySchema, type SessionPolicyInput } from '../../src/proxy/policy/schema.ts';
import { dispositionFileName, downloadFacts } from '../../src/proxy/files.ts';
import { tempDir } from './helpers.ts';
import { ADAPTERS } from '../../src/proxy/adapters.ts';

describe('signed assertions', () => {
  const now = 1_800_000_000;
  it('verifies, refuses tampering, wrong keys and stale assertions', () => {
    const v = signAssertion({ email: 'a@x.com' }, 'k1', now);
    expect(verifyAssertion(v, 'k1', 300, now)).toEqual({ ok: true, payload: { iat: now, email: 'a@x.com' } });
    expect(verifyAssertion(v, 'k2', 300, now)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifyAssertion(v, 'k1', 300, now + 301)).toEqual({ ok: false, reason: 'expired' });
    expect(verifyAssertion(v.slice(0, -2), 'k1', 300, now).ok).toBe(false);
    expect(verifyAssertion('v1.abc', 'k1', 300, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyAssertion(undefined, 'k1', 300, now)).toEqual({ ok: false, reason: 'missing' });
    const expired = signAssertion({ email: 'a@x.com', exp: now - 1 }, 'k1', now);
    expect(verifyAssertion(expired, 'k1', 300, now)).toEqual({ ok: false, reason: 'expired' });
  });
});

describe('rewriting', () => {
  const o: Origins = { proxyOrigin: 'https://wp.proxy.corp', proxyHost: 'wp.proxy.corp', upstreamOrigin: 'https://acme.workplace.com', upstreamHost: 'acme.workplace.com', proxyIsTls: true };
  it('moves Location, CORS, CSP and cookie domains to the proxy', () => {
    const h = downstreamResponseHeaders(
      {
        location: 'https://acme.workplace.com/work/feed?x=1',
        'access-control-allow-origin': 'https://acme.workplace.com',
        'content-security-policy': "default-src 'self' https://acme.workplace.com; img-src *",
        'set-cookie': ['s=1; Domain=.workplace.com; Path=/; Secure; HttpOnly', 'o=2; Domain=other.example; Path=/'],
        connection: 'keep-alive, x-internal',
        'x-internal': 'drop me',
        'keep-alive': 'timeout=5',
      },
      o,
    );
    expect(h.location).toBe('https://wp.proxy.corp/work/feed?x=1');
    expect(h['access-control-allow-origin']).toBe('https://wp.proxy.corp');
    expect(h['content-security-policy']).toEqual(["default-src 'self' https://wp.proxy.corp; img-src *"]);
    expect(h['set-cookie']).toEqual(['s=1; Path=/; Secure; HttpOnly', 'o=2; Domain=other.example; Path=/']);
    expect(h['x-internal']).toBeUndefined();
    expect(h['keep-alive']).toBeUndefined();
    expect(downstreamResponseHeaders({ location: 'https://elsewhere.example/' }, o).location).toBe('https://elsewhere.example/');
  });
  it('drops Secure and SameSite=None on a plain-HTTP proxy', () => {
    expect(rewriteSetCookie('s=1; Secure; SameSite=None; Domain=acme.workplace.com', { ...o, proxyIsTls: false })).toBe('s=1; SameSite=Lax');
  });
  it('sends the app its own host and origin, strips proxy-only and hop-by-hop headers', () => {
    const h = upstreamRequestHeaders(
      { host: 'wp.proxy.corp', origin: 'https://wp.proxy.corp', referer: 'https://wp.proxy.corp/a', 'x-sso-identity': 'v1...', connection: 'close', ':path': '/', 'accept-encoding': 'gzip, br', range: 'bytes=0-' },
      o,
      '10.1.2.3',
      ['x-sso-identity'],
    );
    expect(h).toEqual({
      host: 'acme.workplace.com',
      origin: 'https://acme.workplace.com',
      referer: 'https://acme.workplace.com/a',
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'wp.proxy.corp',
      'accept-encoding': 'identity', // pages uncompressed, so the notice and link rewriting apply
    });
  });
  it('puts the monitoring notice after the real <body> tag, not after "<body>" text in a script, comment or attribute', () => {
    const notice = (html: string) => injectNotice(html, 'Monitored');
    const page = `<html><head><title>a <body> title</title><script>window.__D={"post":"<body>"}</script><!-- <body> --><style>p{}</style></head><body class="x" data-x='a>b'><p>hi</p></body></html>`;
    const out = notice(page);
    expect(out.indexOf('data-rampart-notice')).toBeGreaterThan(out.indexOf(`data-x='a>b'>`));
    expect(out).toContain(`<script>window.__D={"post":"<body>"}</script>`);
    expect(out.match(/data-rampart-notice/g)).toHaveLength(1);
    expect(notice('<bodyx></bodyx><BODY>t')).toMatch(/<BODY><div data-rampart-notice/);
    expect(notice('no body at all')).toMatch(/^<div data-rampart-notice/);
    expect(bodyContentStart('<script>never closed <body>')).toBe(-1);
  });
  it('reads file names from Content-Disposition (RFC 8187 first) and falls back to the path', () => {
    expect(dispositionFileName(`attachment; filename="a.txt"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`)).toBe('Résumé.pdf');
    expect(dispositionFileName('attachment; filename="..\\\\evil/x.csv"')).toBe('x.csv');
    expect(downloadFacts({ 'content-type': 'text/csv; charset=utf-8', 'content-length': '42' }, '/files/q3%20report.csv?dl=1')).toEqual({
      name: 'q3 report.csv',
      extension: 'csv',
      mimeType: 'text/csv',
      sizeBytes: 42,
    });
  });
});

describe('session policy decisions', () => {
  const act = (over: Record<string, unknown> = {}) =>
    ActivitySchema.parse({ id: 'a1', time: '2026-11-27T08:00:00Z', receivedAt: '2026-11-27T08:00:00Z', app: 'workplace', source: 'proxy', action: 'FILE_DOWNLOAD', actor: { email: 'ann@corp.example' }, device: { tags: [] }, ...over });
  const set = (ps: SessionPolicyInput[]) => {
    const s = new SessionPolicySet({ orgDomains: ['corp.example'] }, 'default message');
    s.replace(ps.map((p) => SessionPolicySchema.parse(p)));
    return s;
  };
  const file = { name: 'q.csv', extension: 'csv', mimeType: 'text/csv', sizeBytes: 2 * 1024 * 1024 };

  it('the most restrictive matching policy wins', () => {
    const s = set([
      { name: 'audit-all', activities: ['download'], action: 'audit' },
      { name: 'protect-csv', activities: ['download'], file: { conditions: [{ field: 'file.extension', op: 'eq', value: 'csv' }] }, action: 'protect' },
      { name: 'block-unmanaged', activities: ['download'], filters: [{ field: 'device.tags', op: 'neq', value: 'Valid client certificate' }], action: 'block', blockMessage: 'nope' },
    ]);
    const a = act();
    const d = s.decide(SessionPolicySet.withFile(s.candidates('download', a), file), a, { kind: 'none' });
    expect(d.action).toBe('block');
    expect(d.winner?.policy.name).toBe('block-unmanaged');
    expect(d.blockMessage).toBe('nope');
    expect(d.matches.map((m) => m.policy).sort()).toEqual(['audit-all', 'block-unmanaged', 'protect-csv']);
    const managed = act({ device: { tags: ['Valid client certificate'] } });
    const d2 = s.decide(SessionPolicySet.withFile(s.candidates('download', managed), file), managed, { kind: 'none' });
    expect(d2.action).toBe('protect');
  });

  it('external users, file size bounds and activity kinds', () => {
    const s = set([{ name: 'ext', activities: ['download'], filters: [{ field: 'user.external', op: 'eq', value: true }], file: { minSizeMb: 1, maxSizeMb: 5 }, action: 'block' }]);
    const guest = act({ actor: { email: 'pat@partner.example' } });
    expect(s.decide(SessionPolicySet.withFile(s.candidates('download', guest), file), guest, { kind: 'none' }).action).toBe('block');
    expect(s.decide(SessionPolicySet.withFile(s.candidates('download', guest), { ...file, sizeBytes: 10 }), guest, { kind: 'none' }).action).toBe('audit');
    expect(s.candidates('upload', guest)).toEqual([]);
    expect(s.candidates('download', act())).toEqual([]);
  });

  it('inspection: minimum count, and what happens when content cannot be inspected', () => {
    const base = { activities: ['download' as const], action: 'block' as const };
    const s = set([
      { ...base, name: 'cards-strict', inspection: { detectors: ['credit_card'], minMatches: 3, applyWhenUninspectable: true } },
      { ...base, name: 'ssn-lenient', inspection: { detectors: ['us_ssn'] } },
    ]);
    const a = act();
    const c = s.candidates('download', a);
    const r = (cc: number, ssn: number) => ({ kind: 'inspected' as const, result: { counts: { credit_card: cc, us_ssn: ssn }, total: cc + ssn, rejected: 0, bytes: 1, evidence: [] } });
    expect(s.decide(c, a, r(2, 0)).action).toBe('audit');
    expect(s.decide(c, a, r(3, 0)).winner?.policy.name).toBe('cards-strict');
    expect(s.decide(c, a, r(0, 1)).winner?.policy.name).toBe('ssn-lenient');
    const un = s.decide(c, a, { kind: 'uninspectable', reason: 'too large' });
    expect(un.matches.map((m) => m.policy)).toEqual(['cards-strict']);
  });

  it('refuses protect for non-downloads and inspection without detectors', () => {
    expect(SessionPolicySchema.safeParse({ name: 'p', activities: ['upload'], action: 'protect' }).success).toBe(false);
    expect(SessionPolicySchema.safeParse({ name: 'p', activities: ['upload'], inspection: { detectors: [] } }).success).toBe(false);
  });

  it('loads a folder, reporting bad files without dropping good ones', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.yaml'), 'name: good\nactivities: [view]\naction: audit\n---\nname: good2\nactivities: [login]\n');
    writeFileSync(join(dir, 'b.yaml'), 'name: bad\nactivities: [teleport]\n');
    writeFileSync(join(dir, 'c.yml'), 'name: bad-filter\nactivities: [view]\nfilters:\n  - { field: ip, op: cidr, value: "not-a-cidr" }\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    const { policies, issues } = loadSessionPolicies(dir, {});
    expect(policies.map((p) => p.name)).toEqual(['good', 'good2']);
    expect(issues.map((i) => i.file.split('/').pop())).toEqual(['b.yaml', 'c.yml']);
  });
});

describe('shipped session policy templates', () => {
  it('all load and compile', async () => {
    const { SESSION_POLICY_TEMPLATES_DIR } = await import('../../src/proxy/index.ts');
    const { policies, issues } = loadSessionPolicies(SESSION_POLICY_TEMPLATES_DIR, { orgDomains: ['corp.example'] });
    expect(issues).toEqual([]);
    expect(policies.length).toBe(6);
  });
});

describe('client IP behind load balancers', () => {
  it('uses the TCP peer unless hops are trusted, then the entry the outermost balancer saw', async () => {
    const { clientIp } = await import('../../src/proxy/server.ts');
    expect(clientIp('::ffff:10.0.0.5', '203.0.113.9', 0)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', '198.51.100.1, 203.0.113.9', 1)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.5', '198.51.100.1, 203.0.113.9, 10.0.0.4', 2)).toBe('203.0.113.9');
    expect(clientIp('10.0.0.5', 'garbage', 1)).toBe('10.0.0.5');
    expect(clientIp('10.0.0.5', undefined, 1)).toBe('10.0.0.5');
  });
});

describe('app adapters', () => {
  it('classify paths with malformed percent-encoding instead of throwing (a URIError answered 500)', () => {
    const web = ADAPTERS['workplace-web'];
    expect(web.classify('GET', '/web/files/%ZZ/download', {})).toEqual({ kind: 'download', object: { type: 'file', id: '%ZZ', name: null } });
    expect(web.classify('GET', '/web/files/a%20b/download', {})).toMatchObject({ object: { id: 'a b' } });
    expect(web.classify('POST', '/web/groups/%E0%A4%A/files', {})).toMatchObject({ kind: 'upload', object: { id: '%E0%A4%A' } });
  });
});
