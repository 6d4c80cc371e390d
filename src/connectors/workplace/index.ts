/**
 * @module connectors/workplace
 * The Workplace from Meta connector: webhook receiver (webhook.ts), directory sync (directory.ts) and the
 * Admin Center audit pull (audit-pull.ts), started per `connectors.workplace`. Secrets are read here, once,
 * from env vars or files (config/secret.ts) and never logged.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readSecret } from '../../config/secret.ts';
import type { Connector, ConnectorContext, ConnectorHealth } from '../connector.ts';
import { AuditPuller } from './audit-pull.ts';
import { WorkplaceApiError, WorkplaceClient, type RetryPolicy } from './client.ts';
import { WorkplaceConfigSchema, type WorkplaceConfig, type WorkplaceConfigInput } from './config.ts';
import { diffDirectory, fetchAdminIds, fetchDeactivationTimes, fetchScimUsers, scimUserToDirectoryUser } from './directory.ts';
import { GroupCommitter } from './group-commit.ts';
import { ConnectorStats } from './stats.ts';
import { CONNECTOR_ID, workplaceWebhookRoutes } from './webhook.ts';
import type { DirectoryUser } from '../../schema/directory.ts';

export { workplaceWebhookFormat } from './format.ts';
export { parseScimListResponse } from './directory.ts';

export interface WorkplaceConnectorOptions {
  /** Webhook body limit (server.maxBodyBytes). */
  maxBodyBytes?: number;
  env?: NodeJS.ProcessEnv;
  /** Overrides the retry policy of API calls (tests use short delays). */
  retry?: Partial<RetryPolicy>;
  /** Counts every outgoing HTTP attempt (tests bound request counts). */
  onApiAttempt?: () => void;
  /** Start the scheduled audit pull loop (default true; tests drive `puller.pullOnce()` themselves). */
  schedulePull?: boolean;
}

export interface DirectorySyncResult {
  users: number;
  admins: number;
  changes: number;
}

export class WorkplaceConnector implements Connector {
  readonly id = CONNECTOR_ID;
  readonly config: WorkplaceConfig;
  readonly #opts: WorkplaceConnectorOptions;
  readonly stats = new ConnectorStats();
  #ctx: ConnectorContext | null = null;
  #status: ConnectorHealth['status'] = 'stopped';
  #message: string | null = null;
  #committer: GroupCommitter | null = null;
  #graph: WorkplaceClient | null = null;
  #scim: WorkplaceClient | null = null;
  #puller: AuditPuller | null = null;
  #directoryStatus: 'ok' | 'degraded' | 'failed' | 'off' = 'off';
  #directoryMessage: string | null = null;
  #lastDirectorySync: string | null = null;
  #syncing: Promise<DirectorySyncResult> | null = null;
  #syncLoop: Promise<void> | null = null;
  #healthTimer: NodeJS.Timeout | null = null;
  readonly #abort = new AbortController();

  constructor(config: WorkplaceConfigInput | WorkplaceConfig, opts: WorkplaceConnectorOptions = {}) {
    this.config = WorkplaceConfigSchema.parse(config);
    this.#opts = opts;
  }

  async start(ctx: ConnectorContext): Promise<void> {
    this.#ctx = ctx;
    this.#status = 'starting';
    const c = this.config;
    const env = this.#opts.env ?? process.env;
    const secret = (ref: WorkplaceConfig['appSecret'], name: string) => (ref ? readSecret(ref, `connectors.workplace.${name}`, env) : null);
    const appSecret = secret(c.appSecret, 'appSecret');
    const verifyToken = secret(c.verifyToken, 'verifyToken');
    const accessToken = secret(c.accessToken, 'accessToken');
    const tenant = c.communityId ?? '';

    if (appSecret) {
      this.#committer = new GroupCommitter({
        commit: (activities) => ctx.ingest(activities),
        windowMs: c.groupCommitMs,
        maxEvents: c.groupCommitMaxEvents,
        onBatch: (deliveries) => {
          ctx.metrics.inc('rampart_webhook_commits_total', { connector: CONNECTOR_ID });
          ctx.metrics.set('rampart_webhook_last_group_deliveries', { connector: CONNECTOR_ID }, deliveries);
        },
      });
      await ctx.http.register(workplaceWebhookRoutes, {
        path: c.webhookPath,
        appSecret,
        verifyToken,
        acceptSha1: c.acceptSha1,
        maxBodyBytes: this.#opts.maxBodyBytes ?? 1024 * 1024,
        committer: this.#committer,
        metrics: ctx.metrics,
        logger: ctx.logger,
        stats: this.stats,
        store: ctx.store,
      });
    } else {
      ctx.logger.warn('connectors.workplace.appSecret is not set: the webhook receiver is off');
    }

    const clientOpts = {
      connector: CONNECTOR_ID,
      timeoutMs: c.requestTimeoutMs,
      retry: this.#opts.retry,
      signal: this.#abort.signal,
      onAttempt: this.#opts.onApiAttempt,
      appSecretForProof: c.appSecretProof && appSecret ? appSecret : undefined,
      onRetry: (err: WorkplaceApiError) => {
        this.stats.error(err.kind);
        ctx.metrics.inc('rampart_connector_retries_total', { connector: CONNECTOR_ID, component: 'graph_scim', kind: err.kind });
      },
    };
    if (accessToken) {
      this.#graph = new WorkplaceClient(c.graphBaseUrl, { ...clientOpts, token: () => accessToken });
      this.#scim = new WorkplaceClient(c.scimBaseUrl, { ...clientOpts, token: () => accessToken });
      this.#directoryStatus = 'ok';
      if (c.directorySyncIntervalSecs > 0) this.#syncLoop = this.#runDirectoryLoop(c.directorySyncIntervalSecs);
    }

    if (c.pull.enabled) {
      if (!c.pull.appId || !c.pull.clientSecret) {
        ctx.logger.warn('connectors.workplace.pull needs appId and clientSecret: the audit pull is off');
      } else {
        this.#puller = new AuditPuller({
          baseUrl: c.pull.baseUrl,
          appId: c.pull.appId,
          clientSecret: readSecret(c.pull.clientSecret, 'connectors.workplace.pull.clientSecret', env),
          tenant,
          pageSize: c.pull.pageSize,
          intervalSecs: c.pull.intervalSecs,
          lookbackSecs: c.pull.lookbackSecs,
          store: ctx.store,
          ingest: (a, cp) => ctx.ingest(a, cp),
          logger: ctx.logger,
          metrics: ctx.metrics,
          stats: this.stats,
          retry: this.#opts.retry,
          timeoutMs: c.requestTimeoutMs,
          onAttempt: this.#opts.onApiAttempt,
        });
        this.#puller.cursor = await this.#puller.loadCursor();
        if (this.#opts.schedulePull !== false) this.#puller.start();
      }
    }
    this.#status = 'ok';
    if (c.healthLogIntervalSecs > 0) {
      this.#healthTimer = setInterval(() => {
        const h = this.health();
        ctx.logger[h.status === 'ok' ? 'info' : 'warn']({ health: h }, 'workplace connector health');
      }, c.healthLogIntervalSecs * 1000);
      this.#healthTimer.unref();
    }
    ctx.logger.info(
      { webhook: Boolean(appSecret), directory: Boolean(accessToken), pull: Boolean(this.#puller) },
      'workplace connector started',
    );
  }

  /** Graph and SCIM clients (null without an accessToken), shared with governance actions (client.ts). */
  get clients(): { graph: WorkplaceClient; scim: WorkplaceClient } | null {
    return this.#graph && this.#scim ? { graph: this.#graph, scim: this.#scim } : null;
  }

  /** The audit puller, when enabled (tests and the API drive `pullOnce`). */
  get puller(): AuditPuller | null {
    return this.#puller;
  }

  async #runDirectoryLoop(intervalSecs: number): Promise<void> {
    while (!this.#abort.signal.aborted) {
      try {
        await this.syncDirectory();
      } catch {
        // recorded by syncDirectory
      }
      if (this.#directoryStatus === 'failed') return; // bad credentials: no busy loop
      await sleep(intervalSecs * 1000, undefined, { signal: this.#abort.signal }).catch(() => undefined);
    }
  }

  /** One directory sync now (on demand or scheduled); concurrent callers share the running sync. */
  syncDirectory(): Promise<DirectorySyncResult> {
    if (!this.#syncing) this.#syncing = this.#syncDirectory().finally(() => (this.#syncing = null));
    return this.#syncing;
  }

  async #syncDirectory(): Promise<DirectorySyncResult> {
    const ctx = this.#ctx;
    if (!ctx || !this.#graph || !this.#scim) throw new Error('directory sync needs a started connector with an accessToken');
    const tenant = this.config.communityId ?? '';
    try {
      const observedAt = new Date().toISOString();
      const graph = this.#graph;
      const [resources, adminIds, deactivationTimes] = await Promise.all([
        fetchScimUsers(this.#scim, this.config.scimPageSize),
        fetchAdminIds(graph),
        fetchDeactivationTimes(graph).catch((err: unknown) => {
          // Optional: without it a deactivation is timed by the sync that first sees it.
          ctx.logger.warn({ code: (err as WorkplaceApiError).code }, 'former_members unavailable; deactivation times are approximate');
          return new Map<string, string>();
        }),
      ]);
      const fresh: DirectoryUser[] = [];
      for (const r of resources) {
        try {
          const u = scimUserToDirectoryUser(r, tenant, observedAt);
          u.isAdmin = adminIds.has(u.id);
          fresh.push(u);
        } catch (err) {
          this.stats.error('bad_response');
          ctx.logger.warn({ err }, 'skipping a SCIM user without an id');
        }
      }
      const previous = new Map((await ctx.store.listDirectoryUsers('workplace')).map((u) => [u.id, u]));
      await this.#confirmMissing(previous, fresh, adminIds, tenant, observedAt);
      const diff = diffDirectory(previous, fresh, observedAt, tenant, deactivationTimes);
      // Changes first: if we crash before the directory update, the next sync emits them again with the same ids.
      if (diff.activities.length) await ctx.ingest(diff.activities);
      await ctx.updateDirectory(diff.users);
      ctx.metrics.inc('rampart_directory_syncs_total', { connector: CONNECTOR_ID, result: 'ok' });
      ctx.metrics.set('rampart_directory_users', { connector: CONNECTOR_ID }, diff.users.length);
      this.stats.events(diff.activities.length, diff.activities.length ? observedAt : null);
      this.#directoryStatus = 'ok';
      this.#directoryMessage = null;
      this.#lastDirectorySync = observedAt;
      ctx.logger.info({ users: diff.users.length, admins: adminIds.size, changes: diff.activities.length }, 'directory synced');
      return { users: diff.users.length, admins: adminIds.size, changes: diff.activities.length };
    } catch (err) {
      const kind = err instanceof WorkplaceApiError ? err.kind : 'internal';
      this.stats.error(kind);
      ctx.metrics.inc('rampart_directory_syncs_total', { connector: CONNECTOR_ID, result: 'error' });
      ctx.metrics.inc('rampart_errors_total', { component: CONNECTOR_ID, stage: 'fetch', error_type: kind });
      this.#directoryStatus = kind === 'auth' || kind === 'permission' ? 'failed' : 'degraded';
      this.#directoryMessage = (err as Error).message;
      ctx.logger.error({ code: (err as WorkplaceApiError).code }, `directory sync failed: ${this.#directoryMessage}`);
      throw err;
    }
  }

  /**
   * Offset paging can skip a user when the list shifts during a sync, so a user missing from the listing is
   * looked up directly before being called removed (404). Beyond MAX_REMOVAL_CHECKS the previous state is kept.
   */
  async #confirmMissing(previous: ReadonlyMap<string, DirectoryUser>, fresh: DirectoryUser[], adminIds: Set<string>, tenant: string, observedAt: string): Promise<void> {
    const MAX_REMOVAL_CHECKS = 100;
    const listed = new Set(fresh.map((u) => u.id));
    const missing = [...previous.values()].filter((u) => !listed.has(u.id) && u.active);
    if (missing.length > MAX_REMOVAL_CHECKS) {
      this.#ctx?.logger.warn({ missing: missing.length }, 'many users missing from the SCIM listing; keeping their previous state this sync');
      fresh.push(...missing);
      return;
    }
    for (const u of missing) {
      try {
        const res = await this.#scim!.get<Record<string, unknown>>(`Users/${encodeURIComponent(u.id)}`);
        const again = scimUserToDirectoryUser(res.body, tenant, observedAt);
        again.isAdmin = adminIds.has(again.id);
        fresh.push(again);
      } catch (err) {
        if (err instanceof WorkplaceApiError && err.httpStatus === 404) continue; // really gone
        fresh.push(u); // unknown: keep the previous state rather than guess
      }
    }
  }

  health(): ConnectorHealth {
    const pull = this.#puller;
    let status = this.#status;
    const messages: string[] = [];
    if (status === 'ok') {
      const parts = [this.#directoryStatus, pull?.status ?? 'off'];
      if (parts.includes('failed')) status = 'failed';
      else if (parts.includes('degraded')) status = 'degraded';
    }
    if (this.#directoryMessage) messages.push(`directory: ${this.#directoryMessage}`);
    if (pull?.message) messages.push(`audit pull: ${pull.message}`);
    return {
      connector: CONNECTOR_ID,
      status,
      lastEventTime: this.stats.lastEventTime,
      eventsPerMin: this.stats.eventsPerMin(),
      errorsByKind: { ...this.stats.errorsByKind },
      checkpoint: {
        audit_cursor: pull?.cursor ? JSON.stringify(pull.cursor) : null,
        directory_synced_at: this.#lastDirectorySync,
      },
      message: messages.length ? messages.join('; ') : this.#message,
    };
  }

  async stop(): Promise<void> {
    if (this.#healthTimer) clearInterval(this.#healthTimer);
    this.#abort.abort();
    await this.#committer?.drain();
    await this.#puller?.stop();
    await this.#syncLoop;
    await this.#syncing?.catch(() => undefined);
    await this.#graph?.close();
    await this.#scim?.close();
    this.#status = 'stopped';
  }
}

export const createWorkplaceConnector = (config: WorkplaceConfigInput | WorkplaceConfig, opts?: WorkplaceConnectorOptions): WorkplaceConnector =>
  new WorkplaceConnector(config, opts);
