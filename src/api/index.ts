/**
 * @module api
 * The REST API of `rampart serve`: `registerApi(app, deps)` mounts every route under /api on the service's
 * Fastify server. Routes are declared per resource in routes/<resource>.ts and registered here, in one place;
 * the guard (auth/guard.ts) authenticates, authorises and audits every one of them.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { AccountService } from './auth/accounts.ts';
import { installGuard } from './auth/guard.ts';
import { AuditLog } from './audit.ts';
import { filterEnvCache, newLocks, type ApiContext, type ApiDeps } from './context.ts';
import { AlertStream } from './events.ts';
import { Suppressions } from './suppressions.ts';
import { buildOpenApi } from './openapi.ts';
import { registerRoutes, type AnyRoute } from './route.ts';
import { actionRoutes } from './routes/actions.ts';
import { activityRoutes } from './routes/activities.ts';
import { alertRoutes } from './routes/alerts.ts';
import { authRoutes } from './routes/auth.ts';
import { connectorRoutes } from './routes/connectors.ts';
import { detectionRoutes } from './routes/detections.ts';
import { ipRangeRoutes } from './routes/ip-ranges.ts';
import { metaRoutes } from './routes/meta.ts';
import { policyRoutes } from './routes/policies.ts';
import { userRoutes } from './routes/users.ts';
import { postureRoutes } from '../posture/routes.ts';

export type { ApiDeps } from './context.ts';
export { AlertStream } from './events.ts';
export { AccountService } from './auth/accounts.ts';

export const API_PREFIX = '/api';

export interface Api {
  /** The live-alert sink (already added to deps.pipeline when one was given). */
  stream: AlertStream;
  accounts: AccountService;
  audit: AuditLog;
  routes: readonly AnyRoute[];
  openapi(): Record<string, unknown>;
  /** Creates the first admin when no account exists, printing its one-time password once. */
  bootstrap(): Promise<string | null>;
  /** Plugs in (or replaces) the governance service after start, when it is built after the API. */
  setGovernance(g: ApiDeps['governance']): void;
  close(): void;
}

const version = (): string => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
};

/** Mounts the API. Call before `app.listen` (Fastify takes no routes after it starts). */
export function registerApi(app: FastifyInstance, deps: ApiDeps): Api {
  const now = deps.now ?? Date.now;
  const accounts = new AccountService({
    store: deps.store,
    sessionTtlSecs: deps.config.api.sessionTtlSecs,
    lockoutThreshold: deps.config.api.lockoutThreshold,
    lockoutSecs: deps.config.api.lockoutSecs,
    scryptCost: deps.scryptCost,
    now,
  });
  const audit = new AuditLog(deps.store);
  const stream = new AlertStream({ credentialsEpoch: () => accounts.credentialsEpoch });
  deps.pipeline?.addSink(stream);
  const suppressions = new Suppressions(deps.store, now);
  deps.pipeline?.setSuppressor?.(suppressions);
  const ctx: ApiContext = { ...deps, accounts, audit, stream, suppressions, locks: newLocks(), now, filterEnv: filterEnvCache(deps.store, deps.config, now) };

  installGuard(app, { accounts, audit, logger: deps.logger, metrics: deps.metrics, tls: Boolean(deps.config.server.tls), allowedOrigins: deps.config.api.allowedOrigins, prefix: API_PREFIX });

  let doc: Record<string, unknown> | null = null;
  const openapi = () => (doc ??= buildOpenApi(routes, { version: version(), tls: Boolean(deps.config.server.tls) }));
  const routes: AnyRoute[] = [
    ...authRoutes(ctx),
    ...alertRoutes(ctx),
    ...activityRoutes(ctx),
    ...userRoutes(ctx),
    ...detectionRoutes(ctx),
    ...policyRoutes(ctx),
    ...ipRangeRoutes(ctx),
    ...actionRoutes(ctx),
    ...connectorRoutes(ctx),
    ...postureRoutes(ctx),
    ...metaRoutes(ctx, openapi),
  ];
  registerRoutes(app, routes, {
    bodyLimit: deps.config.api.maxBodyBytes,
    onResponseInvalid: (r, err) => {
      deps.metrics.inc('rampart_errors_total', { component: 'api', stage: 'respond', error_type: 'response_schema' });
      deps.logger.error({ route: `${r.method} ${r.url}`, issues: err.issues.slice(0, 5) }, 'API response does not match its schema');
    },
  });

  return {
    stream,
    accounts,
    audit,
    routes,
    openapi,
    bootstrap: () => accounts.bootstrap(deps.printOnce ?? ((text) => process.stdout.write(text))),
    setGovernance: (g) => {
      ctx.governance = g ?? null;
    },
    close: () => stream.close(),
  };
}
