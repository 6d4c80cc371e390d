/**
 * @module connectors/workplace/simulator
 * A faithful local simulator of Workplace from Meta (shut down in 2026): Graph API, SCIM 2.0, the Admin Center
 * security_audit_logs pull API, and a signed `workplace_security` webhook sender, on one loopback fastify server
 * with three base paths. Seeded organisation and traffic generator, attack scenarios, and fault injection.
 * docs/simulator.md documents every surface and which facts are read ([R]) or inferred ([I], data/facts.json).
 */
import { randomBytes } from 'node:crypto';
import { parse as parseQs } from 'node:querystring';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createAuditHandler } from './audit.ts';
import { SimClock } from './clock.ts';
import { GraphError, TokenRegistry, graphErrorBody, newToken, type SimContext } from './context.ts';
import { FACTS } from './facts.ts';
import { FaultController, type FaultRule, type Surface } from './faults.ts';
import { TrafficGenerator } from './generator.ts';
import { createGraphHandler } from './graph.ts';
import { generateOrg, type AuthMethod, type SimUser } from './org.ts';
import { Rng } from './rng.ts';
import { SCENARIOS, runScenario, type ScenarioName, type ScenarioOptions, type ScenarioResult } from './scenarios.ts';
import { createScimHandler } from './scim.ts';
import { Tenant, type RecordedEvent } from './tenant.ts';
import { WebhookSender, type DeliveryReport } from './webhooks.ts';
import { registerWebFront, type WebAccount, type WebFront } from './web/index.ts';

export { SimClock, workplaceTime, parseWorkplaceTime } from './clock.ts';
export { FaultController, FAULT_KINDS, SURFACES, type FaultKind, type FaultRule, type FaultSpec, type Surface } from './faults.ts';
export { WebhookSender, sign, type DeliveryReport, type EventDeliveryResult, type StreamHandle, type StreamStats, type SubscribeOptions } from './webhooks.ts';
export { SCENARIOS, type ScenarioName, type ScenarioOptions, type ScenarioResult } from './scenarios.ts';
export { dedupeKey, type RecordedEvent, type SecurityEventValue } from './tenant.ts';
export { TokenRegistry, appsecretProof } from './context.ts';
export { SCIM_SCHEMAS } from './scim.ts';
export { FACTS, EVENT_NAMES, loadFacts } from './facts.ts';
export { TrafficGenerator } from './generator.ts';
export type { SimUser, AuthMethod } from './org.ts';
export { startDemoTenant, type DemoTenantOptions, type DemoTenant } from './demo.ts';

export interface SimulatorOptions {
  host?: string;
  port?: number;
  /** Seed for the organisation, traffic, scenarios and probabilistic faults (default 1). */
  seed?: number;
  /** Number of users (default 200). */
  users?: number;
  /** The custom integration's Graph/SCIM token (default: random, in `sim.accessToken`). */
  accessToken?: string;
  /** The integration's app secret: signs webhooks and checks appsecret_proof (default: random, in `sim.appSecret`). */
  appSecret?: string;
  requireAppsecretProof?: boolean;
  /** Admin Center client credentials for work_get_token (defaults: the integration id and a random secret). */
  auditClientId?: string;
  auditClientSecret?: string;
  auditTokenTtlSecs?: number;
  /** Admin Center integration IP allow-list [R]: other client addresses get code 10 [I]. Default: any. */
  auditIpAllowList?: string[];
  clock?: SimClock;
  companyId?: string;
  communityId?: string;
  domain?: string;
  /** Days of benign history written into the security log at start (default 0). */
  historyDays?: number;
  /** Graph calls per token per hour before real code-4 throttling (default from facts.json). */
  graphCallsPerHour?: number;
  /** Security log retention in events (default 200,000; the oldest are dropped, cursors stay valid). */
  maxLogEvents?: number;
  /** Web front (/web): the password every simulated person signs in with (default "workplace"). */
  webPassword?: string;
  /** Web front guests from other organisations (external users); default one partner-corp.net guest. */
  webGuests?: WebAccount[];
}

export interface RequestLogEntry {
  method: string;
  /** path without query */
  path: string;
  url: string;
  surface: Surface | 'other';
  status: number;
  /** the fault kind that answered, if any */
  fault: string | null;
}

export interface SimOrg {
  readonly users: readonly SimUser[];
  readonly admins: SimUser[];
  readonly communityId: string;
  readonly companyId: string;
  readonly domain: string;
  readonly integrationId: string;
}

export interface InjectOptions extends ScenarioOptions {
  /** Also deliver the scenario's events through the webhook subscription and wait for the report. */
  deliver?: boolean;
}

export interface WorkplaceSimulator {
  /** http://host:port */
  readonly url: string;
  readonly graphUrl: string;
  readonly scimUrl: string;
  readonly auditUrl: string;
  /** The web front (sign-in, feed, group files, who-am-I) at `${url}/web`, for the session proxy. */
  readonly webUrl: string;
  readonly web: WebFront;
  readonly org: SimOrg;
  readonly accessToken: string;
  readonly appSecret: string;
  readonly auditClientId: string;
  readonly auditClientSecret: string;
  readonly clock: SimClock;
  readonly faults: FaultController;
  readonly webhooks: WebhookSender;
  readonly generator: TrafficGenerator;
  readonly tokens: TokenRegistry;
  readonly tenant: Tenant;
  /** Permissions of the Admin Center integration (remove "Read security audit logs" to get code 10). */
  readonly auditPermissions: Set<string>;
  /** The Admin Center IP allow-list (add or remove addresses at run time; empty = any). */
  readonly auditIpAllowList: Set<string>;
  /** The security event log (what webhooks send and security_audit_logs serves), oldest first. */
  readonly events: readonly RecordedEvent[];
  /** Every HTTP request served, in order, for assertions. */
  readonly requests: RequestLogEntry[];
  inject(scenario: ScenarioName, opts?: InjectOptions): Promise<ScenarioResult & { report?: DeliveryReport }>;
  /** As an admin in the Admin Panel would: changes state and records ADMIN_DEACTIVATE/ADMIN_ACTIVATE_ACCOUNT. */
  setUserActive(id: string, active: boolean): RecordedEvent | null;
  setAuthMethod(id: string, method: AuthMethod): void;
  userById(id: string): SimUser | undefined;
  userByEmail(email: string): SimUser | undefined;
  /** How many times POST /{id}/logout was called for this user. */
  loggedOut(id: string): number;
  /** Writes `days` of benign history ending now into the security log. */
  replayHistory(days: number): RecordedEvent[];
  close(): Promise<void>;
}

function surfaceOf(path: string): Surface | 'other' {
  if (path === '/graph' || path.startsWith('/graph/')) return 'graph';
  if (path === '/scim' || path.startsWith('/scim/')) return 'scim';
  if (path === '/admin' || path.startsWith('/admin/')) return 'audit';
  return 'other';
}

const kFault = Symbol('simFault');
type FaultedRequest = FastifyRequest & { [kFault]?: FaultRule };

export async function startWorkplaceSimulator(opts: SimulatorOptions = {}): Promise<WorkplaceSimulator> {
  const seed = opts.seed ?? 1;
  const clock = opts.clock ?? new SimClock();
  const rng = new Rng(seed);
  const communityId = opts.communityId ?? String(504942443000000 + (seed % 1_000_000));
  // Workplace ids are numeric; a non-numeric community id (e.g. "demo") still gets numeric derived ids.
  const numericBase = /^\d{1,18}$/.test(communityId) ? BigInt(communityId) : 504942443000000n + BigInt(seed % 1_000_000);
  const companyId = opts.companyId ?? String(numericBase + 3_333_333n);
  const org = generateOrg(rng.fork(1), { users: opts.users ?? 200, companyId, communityId, integrationId: String(numericBase + 1000n), domain: opts.domain ?? 'example.com', nowMs: clock.now() });
  const tenant = new Tenant(org, clock, rng.fork(2), opts.maxLogEvents);
  const tokens = new TokenRegistry();
  const accessToken = opts.accessToken ?? newToken();
  tokens.add(accessToken);
  const appSecret = opts.appSecret ?? randomBytes(16).toString('hex');
  const faults = new FaultController(seed);
  const ctx: SimContext = {
    tenant,
    clock,
    tokens,
    appSecret,
    requireAppsecretProof: opts.requireAppsecretProof ?? false,
    auditClientId: opts.auditClientId ?? org.integrationId,
    auditClientSecret: opts.auditClientSecret ?? randomBytes(16).toString('hex'),
    auditTokenTtlSecs: opts.auditTokenTtlSecs ?? FACTS.audit.tokenTtlSecs.value,
    auditPermissions: new Set(['Read security audit logs', 'Manage accounts']),
    auditIpAllowList: new Set(opts.auditIpAllowList ?? []),
    baseUrl: '',
    graphCallsPerHour: opts.graphCallsPerHour ?? FACTS.graph.usage.callsPerHour,
  };
  const requests: RequestLogEntry[] = [];

  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 1_048_576, forceCloseConnections: true });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, parseQs(body as string)));
  app.addContentTypeParser(['application/scim+json', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, (body as string).length ? JSON.parse(body as string) : {});
    } catch (e) {
      (e as Error & { statusCode?: number }).statusCode = 400;
      done(e as Error, undefined);
    }
  });

  const graphThrottleBody = (rule: FaultRule, s: Surface, reply: FastifyReply) => {
    const u = FACTS.graph.usage;
    reply.header(u.appHeader, JSON.stringify({ call_count: 100, total_cputime: 100, total_time: 100 }));
    reply.header(u.bucHeader, JSON.stringify({ [companyId]: [{ type: u.bucType, call_count: 100, total_cputime: 100, total_time: 100, estimated_time_to_regain_access: 1 }] }));
    const name = rule.kind === '429' ? 'http429' : `throttle${rule.code ?? 4}`;
    const spec = FACTS.graph.errors[name];
    if (!spec) throw new Error(`facts.json has no ${name}`);
    if (spec.status === 429) reply.header('Retry-After', String(FACTS.graph.retryAfterSecs.value));
    if (s === 'scim') return reply.code(429).type('application/scim+json').send({ schemas: [FACTS.scim.errorSchema.value], detail: spec.message, status: '429' });
    return reply.code(spec.status).send(graphErrorBody(spec));
  };

  app.addHook('onRequest', async (req: FaultedRequest, reply) => {
    const path = req.url.split('?')[0];
    const s = surfaceOf(path);
    if (s === 'other') return;
    const rule = faults.pick(s, path, ['5xx', '429', 'throttle', 'slow', 'drop', 'malformed']);
    if (!rule) return;
    req[kFault] = rule;
    switch (rule.kind) {
      case 'slow':
        await new Promise((r) => setTimeout(r, rule.delayMs ?? 2000));
        return;
      case 'drop':
        requests.push({ method: req.method, path, url: req.url, surface: s, status: 0, fault: 'drop' });
        // The request is not processed: returning the hijacked reply ends the lifecycle here.
        reply.hijack();
        req.raw.socket.destroy();
        return reply;
      case 'malformed':
        return; // handled in onSend
      case '5xx': {
        const status = rule.status ?? 500;
        if (s === 'scim') return reply.code(status).type('application/scim+json').send({ schemas: [FACTS.scim.errorSchema.value], detail: 'Internal error', status: String(status) });
        return reply.code(status).send(graphErrorBody(FACTS.graph.errors[status === 503 ? 'transient2' : 'transient1']));
      }
      case '429':
      case 'throttle':
        return graphThrottleBody(rule, s, reply);
    }
  });
  app.addHook('onSend', async (req: FaultedRequest, _reply, payload) => {
    if (req[kFault]?.kind === 'malformed' && typeof payload === 'string') return payload.slice(0, Math.max(1, Math.floor(payload.length / 2)));
    return payload;
  });
  app.addHook('onResponse', async (req: FaultedRequest, reply) => {
    const path = req.url.split('?')[0];
    requests.push({ method: req.method, path, url: req.url, surface: surfaceOf(path), status: reply.statusCode, fault: req[kFault]?.kind ?? null });
    if (requests.length > 200_000) requests.splice(0, 100_000);
  });
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    const s = surfaceOf(req.url.split('?')[0]);
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (s === 'scim') return reply.code(status).type('application/scim+json').send({ schemas: [FACTS.scim.errorSchema.value], scimType: status === 400 ? 'invalidSyntax' : undefined, detail: err.message, status: String(status) });
    const g = err instanceof GraphError ? err : null;
    return reply.code(g ? g.spec.status : status).send(graphErrorBody(g ? g.spec : { ...FACTS.graph.errors.badParameter, status, message: `(#100) ${err.message}` }));
  });

  const graph = createGraphHandler(ctx);
  const scim = createScimHandler(ctx);
  const audit = createAuditHandler(ctx);
  const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
  app.route({ method: [...methods], url: '/graph', handler: graph });
  app.route({ method: [...methods], url: '/graph/*', handler: graph });
  app.route({ method: [...methods], url: '/scim/*', handler: scim });
  app.route({ method: [...methods], url: '/admin/*', handler: audit });
  const web = await registerWebFront(app, {
    accounts: () => tenant.users.filter((u) => u.active).map((u) => ({ id: u.id, email: u.email, name: u.name })),
    password: opts.webPassword,
    guests: opts.webGuests,
  });

  await app.listen({ host: opts.host ?? '127.0.0.1', port: opts.port ?? 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('simulator: no TCP address');
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  ctx.baseUrl = url;

  const generator = new TrafficGenerator(tenant, clock, seed);
  const webhooks = new WebhookSender(tenant, () => ctx.appSecret, faults, seed);
  const scenarioRng = rng.fork(3);
  if (opts.historyDays) generator.replay(opts.historyDays);

  const userOrThrow = (id: string) => {
    const u = tenant.userById(id) ?? tenant.userByEmail(id);
    if (!u) throw new Error(`simulator: no user ${id}`);
    return u;
  };

  const sim: WorkplaceSimulator = {
    url,
    graphUrl: `${url}/graph`,
    scimUrl: `${url}/scim`,
    auditUrl: `${url}/admin`,
    webUrl: `${url}/web`,
    web,
    org: {
      get users() {
        return tenant.users;
      },
      get admins() {
        return tenant.admins;
      },
      communityId,
      companyId,
      domain: org.domain,
      integrationId: org.integrationId,
    },
    accessToken,
    appSecret,
    auditClientId: ctx.auditClientId,
    auditClientSecret: ctx.auditClientSecret,
    clock,
    faults,
    webhooks,
    generator,
    tokens,
    tenant,
    auditPermissions: ctx.auditPermissions,
    auditIpAllowList: ctx.auditIpAllowList,
    get events() {
      return tenant.log;
    },
    requests,
    async inject(scenario, o = {}) {
      if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario ${scenario}; known: ${SCENARIOS.join(', ')}`);
      const result = runScenario(tenant, scenarioRng, scenario, o);
      if (!o.deliver) return result;
      return { ...result, report: await webhooks.deliver(result.values) };
    },
    setUserActive(id, active) {
      const u = userOrThrow(id);
      const admin = tenant.admins.find((a) => a !== u);
      const ctxE = admin ? { ip: admin.profile.homeIp, country: admin.profile.home, ua: admin.profile.desktopUa, timeMs: clock.now() } : tenant.apiContext();
      return tenant.setActive(u, active, admin ?? { integration: true }, ctxE);
    },
    setAuthMethod(id, method) {
      tenant.setAuthMethod(userOrThrow(id), method);
    },
    userById: (id) => tenant.userById(id),
    userByEmail: (email) => tenant.userByEmail(email),
    loggedOut: (id) => tenant.loggedOut(id),
    replayHistory: (days) => generator.replay(days),
    async close() {
      webhooks.close();
      await app.close();
    },
  };
  return sim;
}
