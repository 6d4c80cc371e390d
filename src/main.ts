/**
 * @module main
 * The composition root: builds the runtime from the config and wires the pieces together. No logic lives here
 * beyond the order things start and stop in.
 */
import type { FastifyInstance } from 'fastify';
import { createHttpServer } from './api/server.ts';
import { registerApi, type Api, type ApiDeps } from './api/index.ts';
import type { LoadedConfig } from './config/load.ts';
import type { Config } from './config/schema.ts';
import { createLogger, type Logger } from './core/logger.ts';
import { Metrics } from './core/metrics.ts';
import { Pipeline, type AlertSink } from './core/pipeline.ts';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DetectionEngine } from './detect/engine.ts';
import { loadPolicies, PolicySchema, PolicySet, type AutoDisableRecord, type Policy, type PolicyIssue } from './detect/policy/index.ts';
import { AUTO_DISABLE_KIND, POLICY_KIND } from './api/routes/policies.ts';
import { AUDIT_KIND } from './api/audit.ts';
import { DOC_KIND as GOVERNANCE_DOC_KIND } from './actions/log.ts';
import { QUOTA_DOC_KIND } from './deliver/email.ts';
import { AlertDispatcher, DELIVERED_DOC_KIND, DELIVERY_DOC_KIND } from './deliver/dispatcher.ts';
import { GovernanceService } from './actions/governance.ts';
import { createPostureService, type PostureService } from './posture/index.ts';
import { createEnricher, type IpRange as EnrichIpRange, type RampartEnricher } from './enrich/index.ts';
import { feedDataDir } from './enrich/feeds.ts';
import { fromStoredRange } from './enrich/ip-ranges.ts';
import { openStore, pruneAll, type RetentionPlan } from './store/index.ts';
import type { Store } from './store/store.ts';
import type { DirectoryUser } from './schema/directory.ts';
import type { Connector } from './connectors/connector.ts';
import { createConnectors } from './connectors/registry.ts';
import { demoWanted, wireDemo } from './demo.ts';
import { startProxyForConfig, type SessionProxy } from './proxy/index.ts';
import { registerConsole } from './web/serve.ts';

export const ENGINE_STATE_DOC = { kind: 'engine_state', id: 'default' } as const;

/** What retention prunes (`rampart serve` every 6 hours, `rampart store prune` on demand); the log kinds are named by their owners. */
export function retentionPlanFor(config: Pick<Config, 'retentionDays' | 'logRetentionDays'>): RetentionPlan {
  return {
    retentionDays: config.retentionDays,
    logRetentionDays: config.logRetentionDays,
    logDocKinds: [AUDIT_KIND, GOVERNANCE_DOC_KIND, DELIVERY_DOC_KIND, DELIVERED_DOC_KIND, AUTO_DISABLE_KIND],
    shortDocKinds: [QUOTA_DOC_KIND],
  };
}

/** Enricher with the organisation's IP ranges from the config and, when given, the store (API-managed). */
export async function buildEnricher(
  config: Config,
  store: Store | null = null,
  o: { baseDir: string; logger?: Logger; metrics?: Metrics } = { baseDir: process.cwd() },
): Promise<RampartEnricher> {
  // Same feed cache folder as `rampart feeds update` writes: <config dir>/data/feeds/.
  const enricher = await createEnricher(config, { logger: o.logger, metrics: o.metrics, dataDir: feedDataDir(o.baseDir) });
  const ranges: EnrichIpRange[] = [...config.ipRanges];
  if (store) for (const r of await store.listIpRanges()) if (!ranges.some((c) => c.name === r.name)) ranges.push(fromStoredRange(r));
  enricher.setIpRanges(ranges);
  return enricher;
}

export interface EngineBuild {
  engine: DetectionEngine;
  policies: PolicySet;
  /** Problems found in policy files (a bad file is skipped; the others load). */
  policyIssues: PolicyIssue[];
}

type PolicyOptions = { onAutoDisable?: (r: AutoDisableRecord) => void; apiPolicies?: readonly Policy[] };

/** The activity policies of `policies.directory` plus those managed through the API (a file wins a name clash). */
function buildPolicySet(config: Config, engine: DetectionEngine, o: PolicyOptions): { policies: PolicySet; policyIssues: PolicyIssue[] } {
  const env = { orgDomains: config.organization.domains, directoryUser: (app: string, id: string) => engine.lookupUser(app, id) };
  // A missing policies folder is normal (no custom policies yet); anything else is reported.
  const loaded = existsSync(config.policies.directory) ? loadPolicies([config.policies.directory], env) : { policies: [], issues: [] };
  const fromFiles = loaded.policies.map((p) => p.policy);
  const fromApi = (o.apiPolicies ?? []).filter((p) => !fromFiles.some((f) => f.name === p.name));
  const policies = new PolicySet([...fromFiles, ...fromApi], {
    env,
    autoDisable: { maxMatchesPerDay: config.policies.autoDisableMatchesPerDay, maxMatchesPer3Hours: config.policies.autoDisableMatchesPer3Hours },
    onAutoDisable: o.onAutoDisable,
  });
  return { policies, policyIssues: loaded.issues };
}

/** The detection engine with the built-in detections and the activity policies. */
export function buildEngine(config: Config, directory: readonly DirectoryUser[] = [], o: PolicyOptions = {}): EngineBuild {
  const engine = new DetectionEngine({ config: config.detections });
  engine.setDirectory(directory);
  const { policies, policyIssues } = buildPolicySet(config, engine, o);
  for (const d of policies.detections()) engine.register(d);
  return { engine, policies, policyIssues };
}

/**
 * Swaps the engine's policies for a fresh set (after a change through the API), carrying over each kept policy's
 * runtime state (counters, daily limit, windows while its filters are unchanged). Synchronous: no activity is
 * evaluated half-way through the swap.
 */
export function reloadPolicies(
  config: Config,
  engine: DetectionEngine,
  old: PolicySet,
  o: PolicyOptions & { changed?: string },
): { policies: PolicySet; policyIssues: PolicyIssue[] } {
  const next = buildPolicySet(config, engine, o);
  for (const cp of next.policies.policies) {
    const state = old.exportState(cp.policy.name);
    // A person's write to a policy is their decision to run it: it clears an automatic disable and the match
    // counts that caused it (else the next match would disable it again at once).
    if (state) next.policies.importState(cp.policy.name, cp.policy.name === o.changed ? { ...state, disabled: null, minutes: [], matchesToday: 0 } : state);
  }
  for (const d of old.detections()) engine.unregister(d.id);
  for (const d of next.policies.detections()) engine.register(d);
  return next;
}

export interface Service {
  url: string;
  http: FastifyInstance;
  store: Store;
  pipeline: Pipeline;
  engine: DetectionEngine;
  policies: PolicySet;
  enricher: RampartEnricher;
  governance: GovernanceService;
  /** The session proxy, when the config has a `proxy` key (docs/session-control.md). */
  proxy: SessionProxy | null;
  /** Security posture score (docs/posture.md); its API routes are posture/routes.ts, mounted by registerApi. */
  posture: PostureService;
  logger: Logger;
  metrics: Metrics;
  api: Api;
  /** Stops accepting, flushes everything accepted, saves detection state, closes the store. */
  close(): Promise<void>;
}

export interface ServeOptions {
  port?: number;
  host?: string;
  logger?: Logger;
  /** Extra alert sinks (tests, console stream). */
  sinks?: AlertSink[];
  /** Connectors to start (default: those enabled in the config, see connectors/registry.ts). */
  connectors?: Connector[];
  /** Optional API parts: governance service, policy reload hook, where the first-start password is printed. */
  api?: Pick<ApiDeps, 'governance' | 'onPoliciesChanged' | 'printOnce' | 'scryptCost'>;
  /** Folder of the built console (default dist/web). */
  webDir?: string;
}

export async function startService(loaded: LoadedConfig, opts: ServeOptions = {}): Promise<Service> {
  const { config } = loaded;
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const metrics = new Metrics();
  let ready = false;

  const store = await openStore(config.store, {
    // Harmless to what is stored (the writers' own checkpoints keep the WAL bounded), but a full disk shows here first.
    onCheckpointFailure: (reason) => {
      metrics.inc('rampart_errors_total', { component: 'store', stage: 'store', error_type: reason });
      logger.warn({ reason }, 'SQLite WAL checkpointer thread: checkpoint not done; the writers checkpoint instead');
    },
  });
  const enricher = await buildEnricher(config, store, { baseDir: loaded.baseDir, logger, metrics });
  const stopFeedRefresh = enricher.startFeedRefresh();
  const apiPolicies: Policy[] = [];
  for (const d of await store.listDocs(POLICY_KIND)) {
    const p = PolicySchema.safeParse(d.body);
    if (p.success) apiPolicies.push(p.data);
    else logger.error({ policy: d.id, issues: p.error.issues.slice(0, 3) }, 'stored policy is invalid; skipped');
  }
  const onAutoDisable = (r: AutoDisableRecord) => {
    logger.warn({ policy: r.policy, reason: r.reason, count: r.count, threshold: r.threshold }, r.message);
    void store.putDoc({ kind: AUTO_DISABLE_KIND, id: `${r.policy}:${r.recordedAt}`, body: r, updatedAt: r.recordedAt });
  };
  const built = buildEngine(config, await store.listDirectoryUsers(), { apiPolicies, onAutoDisable });
  const { engine, policyIssues } = built;
  let policies = built.policies;
  for (const i of policyIssues) logger[i.level === 'error' ? 'error' : 'warn']({ file: i.file, line: i.line, code: i.code }, `policy: ${i.message}`);
  const saved = await store.getDoc(ENGINE_STATE_DOC.kind, ENGINE_STATE_DOC.id);
  if (saved) {
    try {
      engine.importState(saved.body as never);
      logger.info('detection state restored');
    } catch (err) {
      metrics.inc('rampart_errors_total', { component: 'engine', stage: 'detect', error_type: 'state_restore' });
      logger.error({ err }, 'saved detection state is unreadable; learning starts again');
    }
  }
  const dispatcher = new AlertDispatcher({ config: config.alerts, store, logger: logger.child({ component: 'deliver' }), metrics });
  const pipeline = new Pipeline({ store, enricher, engine, logger, metrics, sinks: [dispatcher, ...(opts.sinks ?? [])] });
  const governance = new GovernanceService({
    config: config.governance,
    store,
    logger: logger.child({ component: 'governance' }),
    metrics,
    raiseAlert: (a) => pipeline.publish(a),
  });
  await governance.start(); // resumes actions a crash interrupted
  pipeline.addSink(governance);
  // Real-time session control: its activities go through the same pipeline (docs/session-control.md).
  const proxy = await startProxyForConfig(loaded, { sink: pipeline, logger, metrics, directoryUser: (app, id) => engine.lookupUser(app, id) });
  const posture = createPostureService(config, { store, logger: logger.child({ component: 'posture' }), metrics, onAlert: (a) => pipeline.publish(a) });

  const http = createHttpServer({ config, logger, metrics, ready: () => ready });
  const abort = new AbortController();
  const connectors = opts.connectors ?? createConnectors(config);
  const demo = opts.connectors === undefined && demoWanted(config) ? await wireDemo(config, logger) : null;
  if (demo) connectors.push(demo.connector);
  for (const c of connectors) {
    await c.start({
      store,
      logger: logger.child({ connector: c.id }),
      metrics,
      ingest: (acts, cp) => pipeline.ingest(acts, cp),
      updateDirectory: async (users) => {
        await store.putDirectoryUsers(users);
        engine.updateDirectory(users);
      },
      http,
      signal: abort.signal,
    });
  }

  // The REST API (docs/api.md): after the connectors so it lists them, before listen.
  const api = registerApi(http, {
    store,
    enricher,
    engine,
    pipeline,
    connectors,
    config,
    logger: logger.child({ component: 'api' }),
    metrics,
    governance,
    posture: config.posture.enabled ? posture : null,
    // A policy created, changed or deleted through the API applies to live detection at once.
    onPoliciesChanged: (apiPolicies, changed) => {
      const r = reloadPolicies(config, engine, policies, { apiPolicies, onAutoDisable, changed });
      policies = r.policies;
      logger.info({ policies: r.policies.policies.length }, 'activity policies reloaded');
    },
    printOnce: firstStartPrinter(join(loaded.baseDir, 'data')),
    ...(opts.api ?? {}),
  });
  await api.bootstrap();
  // The web console (docs/console.md): the built files at `/`, after the API so its guard's headers apply.
  const web = registerConsole(http, opts.webDir ? { dir: opts.webDir } : {});
  if (!web.built) logger.warn('web console not built (npm run build:web); / answers a page saying so');

  const saveState = async () => {
    await pipeline.drain();
    await store.putDoc({ ...ENGINE_STATE_DOC, body: engine.exportState(), updatedAt: new Date().toISOString() });
  };
  const snapshotTimer = setInterval(() => {
    saveState().catch((err) => {
      metrics.inc('rampart_errors_total', { component: 'engine', stage: 'store', error_type: 'state_save' });
      logger.error({ err }, 'detection state snapshot failed');
    });
  }, 60_000);
  snapshotTimer.unref();
  // Retention: activities and rejects after retentionDays, logs after logRetentionDays; at start and every 6 hours.
  const retentionPlan = retentionPlanFor(config);
  const prune = () =>
    pruneAll(store, retentionPlan)
      .then((r) => {
        if (r.activities || r.rejects || Object.keys(r.docs).length) logger.info({ pruned: r, ...retentionPlan }, 'pruned by retention');
      })
      .catch((err) => {
        metrics.inc('rampart_errors_total', { component: 'store', stage: 'store', error_type: 'retention' });
        logger.error({ err }, 'retention pruning failed');
      });
  void prune();
  const pruneTimer = setInterval(() => void prune(), 6 * 3_600_000);
  pruneTimer.unref();

  await http.listen({ port: opts.port ?? config.server.port, host: opts.host ?? config.server.host });
  const addr = http.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? config.server.port);
  const host = opts.host ?? config.server.host;
  const url = `${config.server.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  ready = true;
  posture.start(); // scheduled recompute (posture.intervalSecs); the first run is now
  // Not awaited: the tenant retries the webhook handshake while the service comes up.
  demo?.start(url).catch((err) => logger.error({ err }, 'demo tenant failed to start'));

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      ready = false;
      clearInterval(snapshotTimer);
      clearInterval(pruneTimer);
      stopFeedRefresh();
      abort.abort();
      await demo?.stop().catch((err) => logger.error({ err }, 'demo tenant stop failed'));
      api.close(); // ends live event streams, which would hold http.close() open
      await http.close(); // in-flight requests finish; their ingests are awaited by the handlers
      await proxy?.close().catch((err) => logger.error({ err }, 'session proxy stop failed'));
      for (const c of connectors) await c.stop().catch((err) => logger.error({ err, connector: c.id }, 'connector stop failed'));
      await posture.stop().catch((err) => logger.error({ err }, 'posture stop failed'));
      await saveState().catch((err) => logger.error({ err }, 'final detection state save failed'));
      await governance.close().catch((err) => logger.error({ err }, 'governance stop failed'));
      await dispatcher.close({ graceMs: 10_000 }).catch((err) => logger.error({ err }, 'alert delivery drain failed'));
      await store.close();
    })());

  return {
    url,
    http,
    store,
    pipeline,
    engine,
    get policies() {
      return policies;
    },
    enricher,
    governance,
    posture,
    proxy,
    logger,
    metrics,
    api,
    close,
  };
}

/**
 * Where the first start's one-time admin password goes. On a terminal it is printed (the quick start); when
 * stdout is not a terminal it is usually collected with the logs, so the password goes to a file only its owner
 * can read (`data/initial-admin-password`, mode 0600) and stdout says where, without it.
 */
function firstStartPrinter(dataDir: string): (text: string) => void {
  return (text) => {
    if (process.stdout.isTTY) {
      process.stdout.write(text);
      return;
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const file = join(dataDir, 'initial-admin-password');
    writeFileSync(file, text.trimStart(), { mode: 0o600 });
    chmodSync(file, 0o600); // an older file keeps its mode otherwise
    process.stdout.write(`\nRampart first start: admin@localhost was created; its one-time password is in ${file} (read it, sign in, then delete the file).\n\n`);
  };
}
