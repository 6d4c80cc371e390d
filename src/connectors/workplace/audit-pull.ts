/**
 * @module connectors/workplace/audit-pull
 * Admin Center `security_audit_logs` pull (workplace-api.md §3.4): client-credentials token exchange
 * (`work_get_token`), refresh before expiry, cursor paging, and the checkpoint committed in the SAME
 * transaction as each page (`ctx.ingest(activities, checkpoint)`), so a crash at any point resumes at the
 * last committed page: no gap, and no duplicate (ids are stable as well). Throttling backs off with jitter
 * (client.ts); code 190 marks the puller failed and it makes no further request until restarted.
 */
import { MAX_JSON_DEPTH, jsonDepthExceeds } from '../../core/json-depth.ts';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/logger.ts';
import type { Metrics } from '../../core/metrics.ts';
import type { Activity } from '../../schema/activity.ts';
import type { Checkpoint, PutResult, Store } from '../../store/store.ts';
import { WorkplaceApiError, WorkplaceClient, backoffDelayMs, type ClientOptions, type RetryPolicy, DEFAULT_RETRY } from './client.ts';
import { normalizeAuditRecord } from './normalize.ts';
import type { ConnectorStats } from './stats.ts';

export const AUDIT_CHECKPOINT_KEY = 'audit_cursor';
/** Time filter of the first pull, unix seconds: the name is [I] (stripped in the source copy; `start_time`). */
export const AUDIT_START_PARAM = 'start_time';
/** Fields asked for: the default set omits user agent and country [I], and the constructed keys [C] ride along. */
export const AUDIT_FIELDS = [
  'id', 'event_type', 'event', 'creation_time', 'actor', 'target', 'ip_address', 'ip_country', 'user_agent', 'integration_data',
  'role_data', 'impersonator_integration_id', 'impersonator_integration_name',
].join(',');

/** What the checkpoint row holds: the `after` cursor of the last committed page and the newest event time. */
export interface AuditCursor {
  after: string | null;
  since: string | null;
}

export interface AuditPullOptions {
  baseUrl: string;
  appId: string;
  clientSecret: string;
  tenant: string;
  pageSize: number;
  intervalSecs: number;
  lookbackSecs: number;
  store: Store;
  ingest: (activities: Activity[], checkpoint: Checkpoint) => Promise<PutResult>;
  logger: Logger;
  metrics: Metrics;
  stats: ConnectorStats;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  /** Refresh the token this long before it expires. */
  refreshMarginSecs?: number;
  onAttempt?: ClientOptions['onAttempt'];
  now?: () => number;
}

/** Pages one poll reads at most; the next poll goes on from the checkpoint. */
export const MAX_PAGES_PER_POLL = 10_000;

export type PullStatus = 'idle' | 'ok' | 'degraded' | 'failed' | 'stopped';

export class AuditPuller {
  readonly #o: AuditPullOptions;
  readonly #client: WorkplaceClient;
  readonly #abort = new AbortController();
  #token: { value: string; refreshAtMs: number } | null = null;
  #loop: Promise<void> | null = null;
  #failures = 0;
  #serial: Promise<void> = Promise.resolve();
  status: PullStatus = 'idle';
  message: string | null = null;
  cursor: AuditCursor | null = null;

  constructor(o: AuditPullOptions) {
    this.#o = o;
    this.#client = new WorkplaceClient(o.baseUrl, {
      connector: 'workplace',
      token: () => this.#accessToken(),
      timeoutMs: o.timeoutMs,
      retry: o.retry,
      signal: this.#abort.signal,
      onAttempt: o.onAttempt,
      onRetry: (err, attempt, delayMs) => {
        o.stats.error(err.kind);
        o.metrics.inc('rampart_connector_retries_total', { connector: 'workplace', component: 'audit_pull', kind: err.kind });
        o.logger.warn({ code: err.code, attempt, delayMs }, 'audit pull: retrying after a transient failure');
      },
    });
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  /** Exchanges `<app_id>|<client secret>` for an expiring token; refreshes before expiry. */
  async #accessToken(): Promise<string> {
    const margin = (this.#o.refreshMarginSecs ?? 60) * 1000;
    if (this.#token && this.#now() < this.#token.refreshAtMs) return this.#token.value;
    const res = await this.#client.post<{ access_token?: string; expires_in?: number }>('work_get_token', {
      noAuth: true,
      form: { access_token: `${this.#o.appId}|${this.#o.clientSecret}`, grant_type: 'client_credentials' },
    });
    const token = res.body?.access_token;
    if (typeof token !== 'string' || !token) {
      throw new WorkplaceApiError('RAMPART_ERR_CONN_AUTH_FAILED', ['workplace', 'work_get_token returned no access_token'], {
        kind: 'auth',
        retryable: false,
        httpStatus: res.status,
        graphCode: null,
        retryAfterMs: null,
      });
    }
    const lifetimeMs = Math.max(1, Number(res.body.expires_in) || 3600) * 1000;
    // Refresh `margin` before expiry, or halfway through a token shorter-lived than twice the margin.
    this.#token = { value: token, refreshAtMs: this.#now() + lifetimeMs - Math.min(margin, lifetimeMs / 2) };
    this.#o.metrics.inc('rampart_connector_token_refresh_total', { connector: 'workplace' });
    return token;
  }

  async loadCursor(): Promise<AuditCursor> {
    const raw = await this.#o.store.getCheckpoint('workplace', AUDIT_CHECKPOINT_KEY);
    if (!raw) return { after: null, since: null };
    try {
      const c = JSON.parse(raw) as Partial<AuditCursor>;
      return { after: typeof c.after === 'string' ? c.after : null, since: typeof c.since === 'string' ? c.since : null };
    } catch {
      return { after: raw, since: null }; // a bare cursor string
    }
  }

  /**
   * Reads every page available now, committing each page with its checkpoint. Returns how many activities
   * were read. Throws on failure (after the client's retries); what was committed stays committed.
   */
  pullOnce(opts: { maxPages?: number } = {}): Promise<{ pages: number; events: number; inserted: number }> {
    // One pull at a time (scheduled and on-demand callers queue): two pulls would race on the cursor.
    const run = this.#serial.then(() => this.#pullOnce(opts));
    this.#serial = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #pullOnce(opts: { maxPages?: number }): Promise<{ pages: number; events: number; inserted: number }> {
    let cursor = this.cursor ?? (await this.loadCursor());
    this.cursor = cursor;
    let pages = 0;
    let events = 0;
    let inserted = 0;
    const query: Record<string, string | number> = { limit: this.#o.pageSize, fields: AUDIT_FIELDS };
    if (cursor.after) query.after = cursor.after;
    else query[AUDIT_START_PARAM] = Math.floor((this.#now() - this.#o.lookbackSecs * 1000) / 1000);
    let next: string | null = 'security_audit_logs';
    let q: Record<string, string | number> | undefined = query;
    // A `next` seen before in this poll is a cycle (the same page for ever: 17,792 requests in 8 s), and a poll has
    // a page budget; either way the poll ends, and the next one resumes from the committed checkpoint.
    const seen = new Set<string>();
    const maxPages = opts.maxPages ?? MAX_PAGES_PER_POLL;
    while (next && pages < maxPages && !this.#abort.signal.aborted) {
      if (pages > 0 && seen.has(next)) {
        this.#o.logger.warn({ pages }, 'audit pull: the API sent a page link it had already sent; this poll stops here');
        this.#o.metrics.inc('rampart_connector_paging_stops_total', { connector: 'workplace', component: 'audit_pull', reason: 'cycle' });
        break;
      }
      seen.add(next);
      const res: { body: { data?: unknown[]; paging?: { next?: string; cursors?: { after?: string } } } } = await this.#getWithFreshToken(next, q);
      const body = res.body ?? {};
      if (!Array.isArray(body.data)) {
        throw new WorkplaceApiError('RAMPART_ERR_CONN_UPSTREAM', ['workplace', 'security_audit_logs answer has no "data" array'], {
          kind: 'bad_response',
          retryable: true,
          httpStatus: null,
          graphCode: null,
          retryAfterMs: null,
        });
      }
      const receivedAt = new Date(this.#now()).toISOString();
      const activities: Activity[] = [];
      let unknown = 0;
      const tooDeep: unknown[] = [];
      for (const rec of body.data) {
        if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) continue;
        // A record nested past MAX_JSON_DEPTH cannot be stored (it overflowed JSON.stringify and blocked the pull on
        // that page for good): kept as a reject, the rest of the page goes on.
        if (jsonDepthExceeds(rec, MAX_JSON_DEPTH)) {
          tooDeep.push(rec);
          continue;
        }
        const { activity, known } = normalizeAuditRecord(rec as Record<string, unknown>, this.#o.tenant, { receivedAt, source: 'pull' });
        if (!known) unknown++;
        activities.push(activity);
      }
      if (tooDeep.length) await this.#rejectTooDeep(tooDeep.length, receivedAt);
      const after = body.paging?.cursors?.after ?? null;
      let since = cursor.since;
      for (const a of activities) if (!since || a.time > since) since = a.time;
      const nextCursor: AuditCursor = { after: after ?? cursor.after, since };
      // The page and the position after it commit together: a crash leaves both or neither.
      const result = await this.#o.ingest(activities, { connector: 'workplace', key: AUDIT_CHECKPOINT_KEY, value: JSON.stringify(nextCursor) });
      cursor = nextCursor;
      this.cursor = cursor;
      pages++;
      events += activities.length;
      inserted += result.inserted;
      this.#o.stats.events(activities.length, since);
      this.#o.metrics.inc('rampart_connector_events_total', { connector: 'workplace' }, activities.length);
      if (unknown) this.#o.metrics.inc('rampart_connector_unknown_events_total', { connector: 'workplace' }, unknown);
      next = typeof body.paging?.next === 'string' && body.data.length > 0 ? body.paging.next : null;
      q = undefined;
    }
    return { pages, events, inserted };
  }

  async #rejectTooDeep(count: number, receivedAt: string): Promise<void> {
    const reason = `audit record nested deeper than ${MAX_JSON_DEPTH} levels`;
    this.#o.metrics.inc('rampart_connector_rejects_total', { connector: 'workplace', reason: 'too_deep' }, count);
    this.#o.logger.warn({ count }, `audit pull: ${reason}, kept as rejects`);
    const rejects = Array.from({ length: count }, () => ({ source: 'pull:workplace', code: 'RAMPART_ERR_CONN_BAD_PAYLOAD', reason, sample: '(not shown: nested too deep to serialise)', receivedAt }));
    await this.#o.store.putRejects(rejects).catch((err: unknown) => this.#o.logger.warn({ err }, 'could not keep rejected audit records'));
  }

  /** A 190 may just mean our exchanged token expired early: exchange once more, then give up. */
  async #getWithFreshToken<T>(path: string, query: Record<string, string | number> | undefined): Promise<{ body: T }> {
    try {
      return await this.#client.get<T>(path, { query });
    } catch (err) {
      if (!(err instanceof WorkplaceApiError) || err.kind !== 'auth' || this.#token === null) throw err;
      this.#token = null;
      return await this.#client.get<T>(path, { query });
    }
  }

  /** Polls every `intervalSecs`; failures back off (with jitter) up to the interval cap, 190 stops for good. */
  start(): void {
    if (this.#loop) return;
    this.#loop = (async () => {
      const policy = { ...DEFAULT_RETRY, ...this.#o.retry };
      while (!this.#abort.signal.aborted) {
        let waitMs = this.#o.intervalSecs * 1000;
        try {
          await this.pullOnce();
          this.#failures = 0;
          this.status = 'ok';
          this.message = null;
        } catch (err) {
          if (this.#abort.signal.aborted) break;
          const kind = err instanceof WorkplaceApiError ? err.kind : 'internal';
          this.#o.stats.error(kind);
          this.#o.metrics.inc('rampart_errors_total', { component: 'workplace', stage: 'fetch', error_type: kind });
          if (kind === 'auth' || kind === 'permission') {
            this.status = 'failed';
            this.message = (err as Error).message;
            this.#o.logger.error({ code: (err as WorkplaceApiError).code }, `audit pull stopped: ${this.message}`);
            return; // fatal until the credentials are fixed and the connector restarted: no busy loop
          }
          this.#failures++;
          this.status = 'degraded';
          this.message = (err as Error).message;
          waitMs = Math.max(waitMs, backoffDelayMs(this.#failures, policy, err instanceof WorkplaceApiError ? err.retryAfterMs : null));
          this.#o.logger.warn({ err, waitMs }, 'audit pull failed; will retry');
        }
        await sleep(waitMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.#client.close();
    if (this.status !== 'failed') this.status = 'stopped';
  }
}
