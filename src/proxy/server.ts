/**
 * @module proxy/server
 * The session proxy: one listener (TLS with HTTP/2 and HTTP/1.1, or plain HTTP/1.1 in a lab) in front of one
 * upstream per protected app, routed by Host. Requests are forwarded with undici (streaming both ways, with
 * backpressure); WebSocket upgrades are tunnelled with undici's `upgrade`. Each request is classified by the
 * app adapter, attributed to a user and a device, decided by the session policies in stages (activity, file,
 * content), and recorded as an activity through the pipeline.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2, { type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import { isIP, type Socket } from 'node:net';
import { pipeline as pump } from 'node:stream/promises';
import { Pool, type Dispatcher } from 'undici';
import { RampartError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { readSecret } from '../config/secret.ts';
import type { Activity } from '../schema/activity.ts';
import type { Alert } from '../schema/alert.ts';
import { ADAPTERS, isAsset, type AppAdapter } from './adapters.ts';
import { holdBody } from './body.ts';
import type { ProxyApp, ProxyConfig } from './config.ts';
import { downloadFacts, multipartFiles } from './files.ts';
import { cookieValue, deviceOf, IdentityResolver, type SessionUser, type SignedHeaderSetting } from './identity.ts';
import { inspectExtracted } from './inspect/extract.ts';
import { StreamInspector, type InspectionResult } from './inspect/inspector.ts';
import type { FileFacts, FilterEnv } from './policy/filters.ts';
import { loadSessionPolicies, SessionPolicySet, watchFolder, type CompiledSessionPolicy, type InspectionOutcome, type PolicyLoadIssue, type SessionDecision } from './policy/policy-set.ts';
import { ACTION_RANK, type SessionActivity } from './policy/schema.ts';
import { createProtectMailer, encryptToZip, newZipPassword, type ProtectMailer } from './protect.ts';
import { completeActivity, newActivity, sessionAlerts, type Outcome } from './record.ts';
import { downstreamResponseHeaders, escapeHtml, injectNotice, rewriteHtml, upstreamRequestHeaders, type Origins, type OutHeaders } from './rewrite.ts';

/** What the proxy needs from Rampart's pipeline (core/pipeline.ts's Pipeline satisfies it). */
export interface ProxyActivitySink {
  enrich(activities: Activity[]): void;
  ingest(activities: Activity[]): Promise<unknown>;
  publish(alert: Alert): Promise<void>;
}

export interface StartProxyOptions {
  config: ProxyConfig;
  sink: ProxyActivitySink;
  logger: Logger;
  metrics: Metrics;
  /** Fallback for `proxy.organizationDomains` (config `organization.domains`). */
  organizationDomains?: readonly string[];
  /** Directory look-ups for user.group / user.department conditions. */
  directoryUser?: FilterEnv['directoryUser'];
  env?: NodeJS.ProcessEnv;
  /** Overrides the config's port (tests: 0). */
  port?: number;
  /** Replaces the SMTP mailer for protect (tests). */
  protectMailer?: ProtectMailer;
}

export interface SessionProxy {
  /** Base URL of the listener, e.g. https://127.0.0.1:8443 */
  readonly url: string;
  readonly port: number;
  readonly policies: SessionPolicySet;
  /** Re-reads the session policies folder now (also happens on any change to it). */
  reloadPolicies(): PolicyLoadIssue[];
  identity(appName: string): IdentityResolver;
  close(): Promise<void>;
}

type AnyReq = IncomingMessage | Http2ServerRequest;
type AnyRes = ServerResponse | Http2ServerResponse;
type Headers = Readonly<Record<string, string | string[] | undefined>>;

interface AppRuntime {
  cfg: ProxyApp;
  pool: Pool;
  adapter: AppAdapter;
  identity: IdentityResolver;
  upstreamOrigin: string;
  upstreamHost: string;
}

const MAX_HTML_REWRITE_BYTES = 2 * 1024 * 1024;
const MAX_SHARE_FORM_BYTES = 64 * 1024;

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);
const normalizeIp = (ip: string | undefined): string => (ip ? ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '') : '0.0.0.0');

/** The client address: the TCP peer, or with `hops` trusted load balancers the entry they vouch for in X-Forwarded-For. */
export function clientIp(peer: string | undefined, xff: string | string[] | undefined, hops: number): string {
  if (hops <= 0 || !xff) return normalizeIp(peer);
  const list = (Array.isArray(xff) ? xff.join(',') : xff)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  // The last `hops - 1` entries were added by our own balancers; the one before them is what the outermost saw.
  const pick = list[list.length - hops];
  return pick && isIP(pick) ? normalizeIp(pick) : normalizeIp(peer);
}

export async function startProxy(o: StartProxyOptions): Promise<SessionProxy> {
  const { config, logger, metrics, sink } = o;
  const env = o.env ?? process.env;
  const tls = config.tls;
  const secretOf = (s: ProxyConfig['identityHeader'], name: string): SignedHeaderSetting | undefined =>
    s ? { header: s.header.toLowerCase(), secret: readSecret(s.secret, name, env), maxAgeSecs: s.maxAgeSecs } : undefined;
  const identityHeader = secretOf(config.identityHeader, 'proxy.identityHeader.secret');
  const deviceHeader = secretOf(config.deviceHeader, 'proxy.deviceHeader.secret');
  const dropHeaders = [identityHeader?.header, deviceHeader?.header].filter((h): h is string => Boolean(h));

  metrics.describe('rampart_proxy_activities_total', 'Session activities recorded by the proxy, by action and session-policy decision');
  metrics.describe('rampart_proxy_session_policies', 'Enabled session policies loaded');
  metrics.describe('rampart_proxy_websockets_total', 'WebSocket connections tunnelled');
  metrics.describe('rampart_proxy_stream_aborted_total', 'Responses whose stream ended early (client or app went away)');
  metrics.describe('rampart_proxy_identity_rejected_total', 'Signed identity headers refused, by reason');
  metrics.describe('rampart_proxy_device_header_rejected_total', 'Signed device-compliance headers refused, by reason');
  const filterEnv: FilterEnv = { orgDomains: config.organizationDomains ?? o.organizationDomains ?? [], directoryUser: o.directoryUser };
  const policies = new SessionPolicySet(filterEnv, config.blockMessage);
  const reloadPolicies = (): PolicyLoadIssue[] => {
    const { policies: loaded, issues } = loadSessionPolicies(config.policiesDirectory, filterEnv);
    for (const i of issues) {
      metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'policy_load', error_type: 'invalid' });
      logger.warn({ code: 'RAMPART_ERR_PROXY_POLICY_INVALID', file: i.file }, `session policy problem: ${i.message}`);
    }
    policies.replace(loaded);
    metrics.set('rampart_proxy_session_policies', {}, policies.policies.length);
    logger.info({ count: policies.policies.length }, 'session policies loaded');
    return issues;
  };
  reloadPolicies();
  const watcher = watchFolder(config.policiesDirectory, () => reloadPolicies());

  const mailer: ProtectMailer | null =
    o.protectMailer ??
    (config.protect
      ? createProtectMailer({
          ...config.protect.smtp,
          password: config.protect.smtp.password ? readSecret(config.protect.smtp.password, 'proxy.protect.smtp.password', env) : undefined,
          from: config.protect.from,
        })
      : null);

  const timeoutMs = config.upstreamTimeoutSecs * 1000;
  const apps: AppRuntime[] = config.apps.map((cfg) => {
    const u = new URL(cfg.upstream);
    const pool = new Pool(u.origin, {
      connections: 64,
      pipelining: 1,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      connect: u.protocol === 'https:' ? { rejectUnauthorized: !cfg.upstreamInsecureTls } : undefined,
    });
    return {
      cfg,
      pool,
      adapter: ADAPTERS[cfg.adapter],
      upstreamOrigin: u.origin,
      upstreamHost: u.host,
      identity: new IdentityResolver({
        upstream: pool,
        upstreamHost: u.host,
        sessionCookie: cfg.sessionCookie,
        whoAmIPath: cfg.whoAmIPath,
        cacheTtlMs: cfg.identityCacheSecs * 1000,
        identityHeader,
        timeoutMs,
        logger,
        metrics,
      }),
    };
  });
  const route = (hostHeader: string | undefined): AppRuntime | null => {
    const host = (hostHeader ?? '').replace(/:\d+$/, '').toLowerCase();
    return apps.find((a) => a.cfg.host?.toLowerCase() === host) ?? apps.find((a) => !a.cfg.host) ?? (apps.length === 1 ? apps[0] : null);
  };

  // ---------- responses the proxy writes itself ----------

  const blockPage = (res: AnyRes, message: string, policy: string | null, status = 403) => {
    const body = `<!doctype html><html><head><meta charset="utf-8"><title>Blocked</title></head><body style="font:15px system-ui,sans-serif;max-width:40em;margin:4em auto"><h1>Blocked by your organization</h1><p data-rampart-block-message>${escapeHtml(message)}</p>${policy ? `<p style="color:#666">Policy: ${escapeHtml(policy)}</p>` : ''}</body></html>`;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body), ...(policy ? { 'x-rampart-session-policy': policy } : {}) });
    res.end(body);
  };

  /** "Download restricted": the file is replaced with a text file carrying the block message (MDCA behaviour). */
  const blockFile = (res: AnyRes, message: string, policy: string | null, file: FileFacts | null, activityId: string) => {
    const name = `${(file?.name ?? 'download').replace(/[^A-Za-z0-9._ -]/g, '_')}.blocked.txt`;
    const body = [
      'Download restricted',
      '',
      message,
      '',
      `File: ${file?.name ?? 'unknown'}`,
      policy ? `Policy: ${policy}` : null,
      `Reference: ${activityId}`,
      `Time: ${new Date().toISOString()}`,
      '',
    ]
      .filter((l) => l !== null)
      .join('\r\n');
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-disposition': `attachment; filename="${name}"`,
      'content-length': Buffer.byteLength(body),
      'cache-control': 'no-store',
      ...(policy ? { 'x-rampart-session-policy': policy } : {}),
    });
    res.end(body);
  };

  const record = (a: Activity | null, out: Outcome) => {
    if (!a) return;
    completeActivity(a, out);
    metrics.inc('rampart_proxy_activities_total', { action: a.action, decision: out.decision?.matches.length ? out.decision.action : 'none' });
    const alerts = sessionAlerts(a, out);
    const p = sink
      .ingest([a])
      .then(async () => {
        for (const al of alerts) await sink.publish(al);
      })
      .catch((err) => {
        metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'ingest', error_type: 'exception' });
        logger.error({ err, activityId: a.id }, 'proxy activity could not be recorded');
      })
      .finally(() => recording.delete(p));
    recording.add(p);
  };
  /** Recordings not yet committed; close() waits for them so no seen activity is lost on shutdown. */
  const recording = new Set<Promise<unknown>>();

  // ---------- the request path ----------

  async function handle(req: AnyReq, res: AnyRes, isTls: boolean): Promise<void> {
    const headers = req.headers as Headers;
    const hostHeader = one(headers[':authority']) ?? one(headers.host) ?? '';
    const app = route(hostHeader);
    if (!app) {
      res.writeHead(421, { 'content-type': 'text/plain' });
      res.end('no protected app is configured for this host\n');
      return;
    }
    const origins: Origins = {
      proxyOrigin: `${isTls ? 'https' : 'http'}://${hostHeader}`,
      proxyHost: hostHeader,
      upstreamOrigin: app.upstreamOrigin,
      upstreamHost: app.upstreamHost,
      proxyIsTls: isTls,
    };
    const method = (req.method ?? 'GET').toUpperCase();
    const path = req.url ?? '/';
    const ip = clientIp(req.socket?.remoteAddress, headers['x-forwarded-for'], config.trustedProxyHops);
    const cls = app.adapter.classify(method, path, headers);
    let kind: SessionActivity | null = cls.kind ?? (config.recordAssets && method === 'GET' ? 'view' : null);
    if (kind === 'view' && isAsset(path) && !config.recordAssets) kind = null;
    const user = await app.identity.resolve(headers);
    const device = deviceOf(req.socket, headers, deviceHeader, metrics);
    const set = policies;
    const makeActivity = (k: SessionActivity, u: SessionUser | null = user): Activity => {
      const a = newActivity({
        app: app.cfg.app,
        tenant: app.cfg.name,
        kind: k,
        user: u,
        ip,
        userAgent: one(headers['user-agent']) ?? null,
        deviceTags: device.tags,
        objects: cls.object ? [cls.object] : [],
        method,
        path,
      });
      sink.enrich([a]);
      return a;
    };
    let activity: Activity | null = kind && kind !== 'login' ? makeActivity(kind) : null;
    const out: Outcome = { status: 0, decision: null, file: null, inspection: null, uninspectable: null };
    let body: AsyncIterable<Uint8Array> | Buffer | null = method === 'GET' || method === 'HEAD' ? null : (req as AsyncIterable<Uint8Array>);
    const contentType = one(headers['content-type']) ?? '';

    // Stage 1 for activities decided before the request goes upstream.
    if (activity && (kind === 'view' || kind === 'share')) {
      if (kind === 'share') {
        const held = await holdBody(req as AsyncIterable<Uint8Array>, MAX_SHARE_FORM_BYTES);
        if (!held.complete) {
          res.once('finish', () => held.discard()); // answer first; then stop reading the rest of the body
          res.writeHead(413, { 'content-type': 'text/plain' });
          res.end('share form too large\n');
          return;
        }
        const buf = Buffer.concat(held.chunks);
        body = buf;
        if (contentType.startsWith('application/x-www-form-urlencoded') && cls.shareTargetField) {
          const to = new URLSearchParams(buf.toString('utf8')).get(cls.shareTargetField);
          if (to) activity.target = { type: 'user', id: null, email: to.toLowerCase().slice(0, 320), name: null };
        }
      }
      const d = set.decide(set.candidates(kind, activity), activity, { kind: 'none' });
      out.decision = d;
      if (d.action === 'block') {
        blockPage(res, d.blockMessage, d.winner?.policy.name ?? null);
        out.status = 403;
        record(activity, out);
        return;
      }
    }

    if (activity && kind === 'upload') {
      const cands = set.candidates('upload', activity);
      const needsBody = cands.some((p) => p.policy.action !== 'audit' || p.detectors || p.policy.file);
      if (needsBody) {
        const held = await holdBody(req as AsyncIterable<Uint8Array>, config.inspection.maxUploadBytes);
        let decision: SessionDecision;
        if (!held.complete) {
          out.uninspectable = `upload larger than ${config.inspection.maxUploadBytes} bytes`;
          decision = set.decide(SessionPolicySet.withFile(cands, null), activity, { kind: 'uninspectable', reason: out.uninspectable });
          body = held.replay();
        } else {
          const buf = Buffer.concat(held.chunks);
          body = buf;
          decision = await decideUpload(set, cands, activity, buf, contentType, out);
        }
        out.decision = decision;
        if (decision.action !== 'audit') {
          res.once('finish', () => held.discard()); // answer first; then stop reading the rest of the body
          blockPage(res, decision.blockMessage, decision.winner?.policy.name ?? null);
          out.status = 403;
          record(activity, out);
          return;
        }
      } else out.decision = set.decide(cands, activity, { kind: 'none' });
    }

    // Forward.
    let up: Dispatcher.ResponseData;
    try {
      up = await app.pool.request({
        method: method as Dispatcher.HttpMethod,
        path,
        headers: upstreamRequestHeaders(headers, origins, ip, dropHeaders) as Record<string, string>,
        body: body as Dispatcher.DispatchOptions['body'],
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      const e = new RampartError('RAMPART_ERR_PROXY_UPSTREAM', [app.cfg.name, (err as Error).message]);
      metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'forward', error_type: 'upstream' });
      logger.warn({ code: e.code, app: app.cfg.name, err }, e.message);
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`${e.code}: the app did not answer\n`);
      }
      out.status = 502;
      record(activity, out);
      return;
    }
    out.status = up.statusCode;
    const rh = downstreamResponseHeaders(up.headers as Headers, origins);

    if (kind === 'login') {
      // The user is whoever the new session cookie belongs to.
      const cookieName = app.cfg.sessionCookie;
      const setCookies = ([] as string[]).concat((up.headers['set-cookie'] as string | string[] | undefined) ?? []);
      const fresh = setCookies.map((c) => c.split(';')[0]).find((c) => c.startsWith(`${cookieName}=`));
      const sessionValue = fresh?.slice(cookieName.length + 1);
      const loginUser = sessionValue ? await app.identity.bySession(sessionValue) : user;
      activity = makeActivity('login', loginUser);
      if (!sessionValue) out.status = up.statusCode >= 400 ? up.statusCode : 401; // no session: the sign-in failed
      out.decision = set.decide(set.candidates('login', activity), activity, { kind: 'none' });
      if (out.decision.action === 'block') {
        // The app accepted the credentials, but the browser never receives the session cookie.
        up.body.dump().catch(() => undefined);
        if (sessionValue) app.identity.forget(sessionValue);
        blockPage(res, out.decision.blockMessage, out.decision.winner?.policy.name ?? null);
        out.status = 403;
        record(activity, out);
        return;
      }
    }

    // A session the app ends (cookie cleared) must not stay attributed from the cache.
    const oldSession = cookieValue(headers, app.cfg.sessionCookie);
    if (oldSession && ([] as string[]).concat((up.headers['set-cookie'] as string | string[] | undefined) ?? []).some((c) => c.startsWith(`${app.cfg.sessionCookie}=;`) || /;\s*max-age=0\b/i.test(c) && c.startsWith(`${app.cfg.sessionCookie}=`)))
      app.identity.forget(oldSession);

    const disposition = one(up.headers['content-disposition'] as string | string[] | undefined) ?? '';
    if (!kind && /^\s*attachment/i.test(disposition) && method === 'GET') {
      kind = 'download';
      activity = makeActivity('download');
    }

    if (activity && kind === 'download' && up.statusCode === 200 && method === 'GET') {
      await handleDownload(app, activity, up, rh, res, out, set);
      record(activity, out);
      return;
    }

    const ctype = one(up.headers['content-type'] as string | string[] | undefined) ?? '';
    // A page is a view whatever the request claimed: a client asking with `Accept: */*` or for a path that looks
    // like an asset still gets HTML, so the answer decides, and view policies apply before the page is sent.
    if (!kind && method === 'GET' && up.statusCode === 200 && /^text\/html\b/i.test(ctype)) {
      kind = 'view';
      activity = makeActivity('view');
      const d = set.decide(set.candidates('view', activity), activity, { kind: 'none' });
      out.decision = d;
      if (d.action === 'block') {
        up.body.dump().catch(() => undefined);
        blockPage(res, d.blockMessage, d.winner?.policy.name ?? null);
        out.status = 403;
        record(activity, out);
        return;
      }
    }
    const encoded = (one(up.headers['content-encoding'] as string | string[] | undefined) ?? 'identity') !== 'identity';
    if (/^text\/html\b/i.test(ctype) && !encoded && method !== 'HEAD') {
      const held = await holdBody(up.body, MAX_HTML_REWRITE_BYTES);
      if (held.complete) {
        let html = rewriteHtml(Buffer.concat(held.chunks).toString('utf8'), origins);
        if (kind === 'view') html = injectNotice(html, config.monitorNotice);
        const buf = Buffer.from(html, 'utf8');
        rh['content-length'] = String(buf.length);
        res.writeHead(up.statusCode, rh);
        res.end(buf);
        record(activity, out);
        return;
      }
      await send(res, up.statusCode, rh, held.replay());
      record(activity, out);
      return;
    }
    await send(res, up.statusCode, rh, up.body);
    record(activity, out);
  }

  async function decideUpload(set: SessionPolicySet, cands: CompiledSessionPolicy[], activity: Activity, buf: Buffer, contentType: string, out: Outcome): Promise<SessionDecision> {
    if (!contentType.startsWith('multipart/form-data')) {
      const facts: FileFacts = { name: null, extension: null, mimeType: contentType.split(';')[0] || null, sizeBytes: buf.length };
      out.file = facts;
      const fc = SessionPolicySet.withFile(cands, facts);
      const det = SessionPolicySet.detectorsFor(fc);
      if (det) {
        const inspector = new StreamInspector(det);
        for (let off = 0; off < buf.length; off += 64 * 1024) inspector.push(buf.subarray(off, off + 64 * 1024));
        const incomplete = await inspectExtracted((c) => inspector.push(c), buf, config.inspection.maxBytes);
        out.inspection = inspector.finish();
        if (incomplete) {
          out.uninspectable = incomplete;
          return set.decide(fc, activity, { kind: 'uninspectable', reason: incomplete });
        }
      } else out.inspection = null;
      return set.decide(fc, activity, out.inspection ? { kind: 'inspected', result: out.inspection } : { kind: 'none' });
    }
    let files;
    try {
      files = await multipartFiles(buf, contentType);
    } catch (err) {
      out.uninspectable = `multipart body unreadable: ${(err as Error).message}`;
      return set.decide(SessionPolicySet.withFile(cands, null), activity, { kind: 'uninspectable', reason: out.uninspectable });
    }
    let worst: SessionDecision | null = null;
    for (const f of files) {
      activity.objects.push({ type: 'file', id: null, name: f.facts.name });
      out.file ??= f.facts;
      const fc = SessionPolicySet.withFile(cands, f.facts);
      const det = SessionPolicySet.detectorsFor(fc);
      let ins: InspectionResult | null = null;
      let incomplete: string | null = null;
      if (det) {
        const inspector = new StreamInspector(det);
        for (let off = 0; off < f.data.length; off += 64 * 1024) inspector.push(f.data.subarray(off, off + 64 * 1024));
        incomplete = await inspectExtracted((c) => inspector.push(c), f.data, config.inspection.maxBytes);
        ins = inspector.finish();
        out.inspection = mergeInspection(out.inspection, ins);
        if (incomplete) out.uninspectable = incomplete;
      }
      const d = set.decide(fc, activity, incomplete ? { kind: 'uninspectable', reason: incomplete } : ins ? { kind: 'inspected', result: ins } : { kind: 'none' });
      if (!worst || ACTION_RANK[d.action] > ACTION_RANK[worst.action] || (d.matches.length && !worst.matches.length)) worst = d;
    }
    return worst ?? set.decide(SessionPolicySet.withFile(cands, null), activity, { kind: 'none' });
  }

  async function handleDownload(app: AppRuntime, activity: Activity, up: Dispatcher.ResponseData, rh: OutHeaders, res: AnyRes, out: Outcome, set: SessionPolicySet): Promise<void> {
    const file = downloadFacts(up.headers as Headers, activity.raw && typeof activity.raw === 'object' ? ((activity.raw as { proxy: { path: string } }).proxy.path ?? '') : '');
    out.file = file;
    const obj = activity.objects.find((x) => x.type === 'file');
    if (obj) obj.name ??= file.name;
    else activity.objects.push({ type: 'file', id: null, name: file.name });
    const cands = SessionPolicySet.withFile(set.candidates('download', activity), file);
    const restricting = cands.filter((p) => p.policy.action !== 'audit');
    const holdNeeded = restricting.some((p) => p.detectors) || restricting.some((p) => p.policy.action === 'protect');
    const detectors = SessionPolicySet.detectorsFor(cands);

    if (!holdNeeded) {
      const first = set.decide(cands, activity, { kind: 'none' });
      if (first.action === 'block') {
        up.body.dump().catch(() => undefined); // reads a little for connection reuse, then drops the rest
        out.decision = first;
        blockFile(res, first.blockMessage, first.winner?.policy.name ?? null, file, activity.id);
        return;
      }
      // Pass through; audit-only inspection reads the bytes as they stream by.
      const inspector = detectors ? new StreamInspector(detectors) : null;
      if (inspector) up.body.on('data', (c: Buffer) => inspector.push(c));
      await send(res, 200, rh, up.body);
      if (inspector) {
        out.inspection = inspector.finish();
        out.decision = set.decide(cands, activity, { kind: 'inspected', result: out.inspection });
      } else out.decision = first;
      return;
    }

    const protectLimit = config.protect?.maxBytes ?? 0;
    const limit = restricting.some((p) => p.policy.action === 'protect') ? Math.max(config.inspection.maxBytes, protectLimit) : config.inspection.maxBytes;
    const inspector = detectors ? new StreamInspector(detectors) : null;
    const held = await holdBody(up.body, limit, inspector ?? undefined);
    let outcome: InspectionOutcome;
    if (held.complete) {
      // Office packages and compressed PDF streams hide their text from the raw byte scan: look inside too.
      const incomplete = inspector ? await inspectExtracted((c) => inspector.push(c), Buffer.concat(held.chunks), config.inspection.maxBytes) : null;
      out.inspection = inspector?.finish() ?? null;
      if (incomplete) out.uninspectable = incomplete;
      outcome = incomplete ? { kind: 'uninspectable', reason: incomplete } : out.inspection ? { kind: 'inspected', result: out.inspection } : { kind: 'none' };
    } else {
      out.uninspectable = `file larger than the inspection limit of ${limit} bytes`;
      outcome = { kind: 'uninspectable', reason: out.uninspectable };
    }
    const d = set.decide(cands, activity, outcome);
    out.decision = d;
    if (d.action === 'block') {
      held.discard();
      blockFile(res, d.blockMessage, d.winner?.policy.name ?? null, file, activity.id);
      return;
    }
    if (d.action === 'protect') {
      const email = activity.actor.email;
      if (!held.complete || !mailer || !email) {
        held.discard();
        const why = !held.complete ? 'the file is too large to protect' : !mailer ? 'protection is not configured (proxy.protect)' : 'the user has no email address for the password';
        out.decision = { ...d, action: 'block' };
        blockFile(res, `${d.blockMessage} (${why})`, d.winner?.policy.name ?? null, file, activity.id);
        return;
      }
      const name = file.name ?? 'download';
      const password = newZipPassword();
      const zip = await encryptToZip(name, Buffer.concat(held.chunks), password);
      try {
        await mailer.sendPassword(email, name, password, app.cfg.app);
      } catch (err) {
        metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'protect', error_type: 'email_failed' });
        logger.error({ err, activityId: activity.id }, 'the protected file password could not be emailed; download blocked');
        out.decision = { ...d, action: 'block' };
        blockFile(res, `${d.blockMessage} (the password could not be emailed)`, d.winner?.policy.name ?? null, file, activity.id);
        return;
      }
      out.protectedDelivery = { emailedTo: email };
      const zipName = `${name.replace(/[^A-Za-z0-9._ -]/g, '_')}.zip`;
      res.writeHead(200, {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${zipName}"`,
        'content-length': String(zip.length),
        'cache-control': 'no-store',
        'x-rampart-session-policy': d.winner?.policy.name ?? '',
      });
      res.end(Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength));
      return;
    }
    await send(res, 200, rh, held.replay());
  }

  /** Streams a body to the browser with backpressure; a client that goes away stops the upstream read. */
  async function send(res: AnyRes, status: number, headers: OutHeaders, body: NodeJS.ReadableStream | AsyncIterable<Uint8Array>): Promise<void> {
    res.writeHead(status, headers);
    try {
      await pump(body as NodeJS.ReadableStream, res as NodeJS.WritableStream);
    } catch (err) {
      metrics.inc('rampart_proxy_stream_aborted_total', {});
      logger.debug({ err }, 'stream ended early');
      (body as { destroy?: () => void }).destroy?.();
    }
  }

  // ---------- WebSocket ----------

  async function handleUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, isTls: boolean): Promise<void> {
    const app = route(req.headers.host);
    if (!app || (req.headers.upgrade ?? '').toLowerCase() !== 'websocket') {
      socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      return;
    }
    const hostHeader = req.headers.host ?? '';
    const origins: Origins = {
      proxyOrigin: `${isTls ? 'https' : 'http'}://${hostHeader}`,
      proxyHost: hostHeader,
      upstreamOrigin: app.upstreamOrigin,
      upstreamHost: app.upstreamHost,
      proxyIsTls: isTls,
    };
    socket.on('error', () => undefined);
    try {
      const h = upstreamRequestHeaders(req.headers, origins, normalizeIp(socket.remoteAddress), dropHeaders);
      const { headers, socket: upstream } = await app.pool.upgrade({ path: req.url ?? '/', method: 'GET', headers: h as Record<string, string>, protocol: 'websocket' });
      const lines = ['HTTP/1.1 101 Switching Protocols'];
      for (const [k, v] of Object.entries(headers)) for (const val of Array.isArray(v) ? v : [v]) if (val !== undefined) lines.push(`${k}: ${val}`);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      // Either side going away ends the other (pipe alone would leave a half-open tunnel behind).
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.pipe(socket);
      socket.pipe(upstream);
      metrics.inc('rampart_proxy_websockets_total', {});
    } catch (err) {
      metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'websocket', error_type: 'upstream' });
      logger.warn({ err, app: app.cfg.name }, 'WebSocket upgrade to the app failed');
      socket.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\n\r\n');
    }
  }

  const onRequest = (isTls: boolean) => (req: AnyReq, res: AnyRes) => {
    handle(req, res, isTls).catch((err) => {
      metrics.inc('rampart_errors_total', { component: 'proxy', stage: 'handle', error_type: 'exception' });
      logger.error({ err }, 'proxy request failed');
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('proxy error\n');
      } else res.destroy?.();
    });
  };

  let server: http.Server | http2.Http2SecureServer;
  if (tls) {
    const clientCa = tls.clientCaFile ? readFileSync(tls.clientCaFile) : undefined;
    server = http2.createSecureServer(
      {
        cert: readFileSync(tls.certFile),
        key: readFileSync(tls.keyFile),
        allowHTTP1: true,
        // Client certificates are asked for, never required: an unmanaged device still gets a session (untagged).
        requestCert: Boolean(clientCa),
        rejectUnauthorized: false,
        ca: clientCa,
        crl: tls.crlFiles.length ? tls.crlFiles.map((f) => readFileSync(f)) : undefined,
      },
      onRequest(true),
    );
  } else {
    // Longer than the usual 60 s idle timeout of load balancers in front, so they close idle connections first.
    server = http.createServer({ keepAliveTimeout: 65_000 }, onRequest(false));
  }
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => void handleUpgrade(req, socket, head, Boolean(tls)));
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? config.port, config.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (o.port ?? config.port);
  const hostText = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls ? 'https' : 'http'}://${hostText}:${port}`;
  logger.info({ url, apps: apps.map((a) => a.cfg.name) }, 'session proxy listening');

  return {
    url,
    port,
    policies,
    reloadPolicies,
    identity: (name) => {
      const a = apps.find((x) => x.cfg.name === name);
      if (!a) throw new Error(`no proxied app ${name}`);
      return a.identity;
    },
    async close() {
      watcher?.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await Promise.all([...recording]);
      await Promise.all(apps.map((a) => a.pool.close().catch(() => undefined)));
      if (!o.protectMailer) mailer?.close();
    },
  };
}

function mergeInspection(a: InspectionResult | null, b: InspectionResult): InspectionResult {
  if (!a) return b;
  const counts = { ...a.counts };
  for (const [k, v] of Object.entries(b.counts)) counts[k] = (counts[k] ?? 0) + v;
  return { counts, total: a.total + b.total, rejected: a.rejected + b.rejected, bytes: a.bytes + b.bytes, evidence: [...a.evidence, ...b.evidence].slice(0, 10) };
}
