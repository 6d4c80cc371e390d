/**
 * @module actions/governance
 * The governance service. As an AlertSink it turns alerts into actions by the configured rules; people
 * use it through `rampart act` (and the API) for manual actions, approval, retry and revert.
 *
 * Exactly-once: an automatic action's log id is stableId(action, alert id, user); the entry is created
 * with compare-and-set before anything is sent, so a redelivered alert, a concurrent trigger or a second
 * instance finds it claimed. The executing instance holds a lease on the entry; a pending entry whose
 * lease ran out (its instance died) is resumed once by whichever instance claims it first.
 */
import { RampartError, isRampartError } from '../core/errors.ts';
import { randomId, stableId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { AlertSink } from '../core/pipeline.ts';
import { readSecret } from '../config/secret.ts';
import { SEVERITY_RANK, type Alert } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import type { ActionContext, ActionName, ActionParams, ActionPlan } from './action.ts';
import type { GovernanceConfig, GovernanceRule } from './config.ts';
import { GovernanceLog, type EntryStatus, type GovernanceEntry, type GovernanceStore, type LogFilter, type Trigger } from './log.ts';
import { SmtpNotifier, type Notifier } from './notify/notifier.ts';
import { ProviderError } from './provider-error.ts';
import type { Provider, ProviderName, Target } from './provider.ts';
import { ACTIONS, ACTION_ORDER, buildProviders } from './registry.ts';
import { nextDelay, sleep as realSleep, type RetryPolicy } from './retry.ts';

export const RATE_LIMIT_DETECTION = 'governance_rate_limit';
const HOUR_MS = 3_600_000;

export interface GovernanceServiceOptions {
  config: GovernanceConfig;
  store: GovernanceStore;
  logger: Logger;
  metrics: Metrics;
  /** Defaults to the providers built from config.providers. */
  providers?: Partial<Record<ProviderName, Provider>>;
  /** Defaults to SMTP from config.smtp. */
  notifier?: Notifier | null;
  env?: NodeJS.ProcessEnv;
  /** Publishes governance's own alerts (the suspension rate limit); the lead wires it to Pipeline.publish. */
  raiseAlert?: (alert: Alert) => void | Promise<void>;
  /** Clock, sleep and randomness are injectable so tests need no real waiting. */
  now?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  instanceId?: string;
}

export interface ManualRequest {
  action: ActionName;
  /** Email or the app's user id. */
  user: string;
  app?: string;
  provider?: ProviderName;
  by: string;
  reason: string;
  /** Suspend a protected account anyway. */
  force?: boolean;
  dryRun?: boolean;
}

interface Decision {
  status: EntryStatus;
  statusReason: string | null;
  approval: GovernanceEntry['approval'];
  includedIn: string | null;
}

export class GovernanceService implements AlertSink {
  readonly name = 'governance';
  readonly log: GovernanceLog;
  readonly #o: GovernanceServiceOptions;
  readonly #cfg: GovernanceConfig;
  readonly #retry: RetryPolicy;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #instance: string;
  readonly #protected: Set<string>;
  #providers: Partial<Record<ProviderName, Provider>> | null = null;
  #notifier: Notifier | null | undefined;
  readonly #abort = new AbortController();
  #state: 'running' | 'closing' | 'crashed' = 'running';
  readonly #inflight = new Set<Promise<unknown>>();
  /** Times of automatic suspensions sent in the last hour (this instance's view, seeded from the log). */
  #recentSuspensions: Array<{ at: number }> = [];
  #rateAlertHour = -1;
  #timer: NodeJS.Timeout | null = null;

  constructor(o: GovernanceServiceOptions) {
    this.#o = o;
    this.#cfg = o.config;
    this.#retry = { ...o.config.retry };
    this.#now = o.now ?? Date.now;
    this.#sleep = o.sleep ?? realSleep;
    this.#random = o.random ?? Math.random;
    this.#instance = o.instanceId ?? randomId('gov_instance');
    this.#protected = new Set(o.config.protectedAccounts.map((a) => a.toLowerCase()));
    this.#providers = o.providers ?? null;
    this.#notifier = o.notifier;
    this.log = new GovernanceLog(o.store, this.#now);
    o.metrics.describe('rampart_governance_actions_total', 'Governance actions by action and final status');
    o.metrics.describe('rampart_governance_attempts_total', 'Provider attempts by channel and outcome');
  }

  // ---------- lifecycle ----------

  /** Seeds the hourly suspension count from the log, resumes interrupted actions, then re-checks leases periodically. */
  async start(): Promise<number> {
    const since = this.#now() - HOUR_MS;
    for (const e of await this.log.list({ limit: 100_000 })) {
      const sent = e.status === 'pending' || e.status === 'succeeded' || e.status === 'failed' || e.status === 'reverted';
      // Automatic suspensions that went out without a person's approval are what the limit counts.
      if (e.action === 'suspend_user' && e.trigger.kind === 'alert' && !e.approval && sent && Date.parse(e.createdAt) >= since)
        this.#recentSuspensions.push({ at: Date.parse(e.createdAt) });
    }
    const resumed = await this.resumePending();
    this.#timer = setInterval(() => void this.resumePending().catch((err) => this.#fault(err, 'resume')), (this.#cfg.leaseSecs * 1000) / 2);
    this.#timer.unref();
    return resumed;
  }

  /** Graceful stop: in-flight actions stop between attempts and stay `pending` with their lease released, so the next start resumes them. */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#state === 'running') this.#state = 'closing';
    this.#abort.abort(new Error('governance service closing'));
    await this.idle();
    this.#notifier?.close();
  }

  /** Stops at once without writing anything more, exactly as a crash would leave the log (used by tests). */
  async abort(): Promise<void> {
    this.#state = 'crashed';
    await this.close();
  }

  /** Resolves when no action is executing. */
  async idle(): Promise<void> {
    while (this.#inflight.size) await Promise.allSettled([...this.#inflight]);
  }

  /** Claims and runs pending entries whose lease has run out (or that never had one). Returns how many it took. */
  async resumePending(): Promise<number> {
    if (this.#state !== 'running') return 0;
    let taken = 0;
    for (const e of await this.log.list({ status: 'pending', limit: 100_000 })) {
      if (e.lease && Date.parse(e.lease.until) > this.#now()) continue;
      const claimed = await this.log.update(e, { lease: this.#lease() });
      if (!claimed) continue; // another instance was faster
      taken++;
      this.#o.logger.info({ entryId: e.id, action: e.action, user: e.target.user }, 'resuming interrupted governance action');
      this.#track(this.#execute(claimed));
    }
    return taken;
  }

  // ---------- automatic: alerts ----------

  async onAlert(alert: Alert): Promise<void> {
    // Governance's own alert never triggers actions; a closed alert (e.g. dismissed as a false positive) neither.
    if (!this.#cfg.enabled || this.#state !== 'running' || alert.detection === RATE_LIMIT_DETECTION || alert.status === 'resolved' || !alert.user) return;
    const wanted = this.#match(alert);
    if (!wanted.size) return;
    try {
      const target = await this.#target(alert.app, alert.user, alert.userId);
      const trigger: Trigger = { kind: 'alert', alertId: alert.id, detection: alert.detection, severity: alert.severity };
      const idFor = (a: ActionName) => stableId('gov', a, alert.id, target.user.toLowerCase());
      const reason = `alert ${alert.detection}: ${alert.title}`;
      const toRun: GovernanceEntry[] = [];
      let suspend: Decision | null = null;
      for (const action of ACTION_ORDER) {
        const provider = wanted.get(action);
        if (!provider) continue;
        const d = this.#decideAuto(action, target, suspend, idFor('suspend_user'));
        if (action === 'suspend_user') suspend = d;
        // The hourly slot is taken in the same synchronous step as the check, so concurrent alerts cannot overshoot.
        const slot = action === 'suspend_user' && d.status === 'pending' ? { at: this.#now() } : null;
        if (slot) this.#recentSuspensions.push(slot);
        const entry = await this.#newEntry({ id: idFor(action), action, provider, target, trigger, reason, alert, decision: d });
        const created = await this.log.create(entry);
        if (slot && (!created || entry.status !== 'pending')) this.#recentSuspensions = this.#recentSuspensions.filter((x) => x !== slot);
        if (!created) {
          this.#o.metrics.inc('rampart_governance_duplicates_total', { action });
          continue;
        }
        this.#counted(entry);
        if (entry.status === 'pending') toRun.push(entry);
        if (entry.approval?.why === 'rate_limit') await this.#raiseRateLimitAlert(alert, entry);
      }
      // One alert's actions run in order (account first, then the email), in the background: the pipeline does not wait for retries.
      if (toRun.length)
        this.#track(
          (async () => {
            for (const e of toRun) await this.#execute(e);
          })(),
        );
    } catch (err) {
      this.#fault(err, 'alert');
    }
  }

  /** The actions the rules ask for, with the provider each uses (first matching rule wins per action). */
  #match(alert: Alert): Map<ActionName, ProviderName> {
    const out = new Map<ActionName, ProviderName>();
    const hit = (r: GovernanceRule) =>
      (r.detections === '*' || r.detections.includes(alert.detection)) &&
      (r.apps === '*' || r.apps.includes(alert.app)) &&
      SEVERITY_RANK[alert.severity] >= SEVERITY_RANK[r.minSeverity];
    for (const r of this.#cfg.rules.filter(hit)) for (const a of r.actions) if (!out.has(a)) out.set(a, r.provider ?? this.#cfg.defaultProvider);
    return out;
  }

  #decideAuto(action: ActionName, target: Target, suspend: Decision | null, suspendId: string): Decision {
    const d = (status: EntryStatus, statusReason: string | null = null, extra: Partial<Decision> = {}): Decision => ({ status, statusReason, approval: null, includedIn: null, ...extra });
    const approval = (why: 'approval_required' | 'rate_limit') => ({ why, approvedBy: null, approvedAt: null, rejectedBy: null, rejectedAt: null });
    if (action === 'require_sign_in' && suspend && (suspend.status === 'pending' || suspend.status === 'dry_run'))
      return d(this.#cfg.dryRun ? 'dry_run' : 'skipped', 'included in suspend_user (suspension signs the user out)', { includedIn: suspendId });
    if (this.#cfg.dryRun) return d('dry_run', 'governance.dryRun is on');
    if (!ACTIONS[action].suspends) return d('pending');
    if (this.#isProtected(target)) return d('skipped', 'protected account: never suspended automatically');
    if (this.#cfg.requireApproval) return d('awaiting_approval', 'automatic suspensions need approval (governance.requireApproval)', { approval: approval('approval_required') });
    const since = this.#now() - HOUR_MS;
    this.#recentSuspensions = this.#recentSuspensions.filter((x) => x.at >= since);
    if (this.#recentSuspensions.length >= this.#cfg.maxAutoSuspensionsPerHour)
      return d('awaiting_approval', `hourly limit of ${this.#cfg.maxAutoSuspensionsPerHour} automatic suspensions reached (governance.maxAutoSuspensionsPerHour)`, {
        approval: approval('rate_limit'),
      });
    return d('pending');
  }

  async #raiseRateLimitAlert(alert: Alert, held: GovernanceEntry): Promise<void> {
    this.#o.metrics.inc('rampart_governance_rate_limited_total');
    const hour = Math.floor(this.#now() / HOUR_MS);
    if (this.#rateAlertHour === hour) return; // one alert per tripped hour; the held entries are in the log
    this.#rateAlertHour = hour;
    const now = new Date(this.#now()).toISOString();
    const limit = this.#cfg.maxAutoSuspensionsPerHour;
    const out: Alert = {
      id: stableId('alert', RATE_LIMIT_DETECTION, hour),
      detection: RATE_LIMIT_DETECTION,
      title: `Automatic suspensions paused: more than ${limit} in one hour`,
      description: `Governance suspended ${limit} accounts automatically within an hour. Further automatic suspensions wait for approval (rampart act log --status awaiting_approval) so that a runaway policy cannot lock out the organisation.`,
      severity: 'high',
      status: 'new',
      user: null,
      userId: null,
      app: alert.app,
      tenant: alert.tenant,
      time: now,
      firstSeen: now,
      lastSeen: now,
      count: 1,
      activityIds: [],
      evidence: [`held suspension of ${held.target.user} (log ${held.id}) triggered by ${alert.detection} alert ${alert.id}`],
      details: { limitPerHour: limit, heldEntryId: held.id, triggeringAlertId: alert.id, triggeringDetection: alert.detection },
      mitreTactic: null,
      ips: [],
      dedupKey: `${RATE_LIMIT_DETECTION}:${hour}`,
      assignee: null,
      classification: null,
      classificationReason: null,
      comment: null,
      createdAt: now,
      updatedAt: now,
    };
    this.#o.logger.warn({ limit, heldEntryId: held.id }, 'governance suspension rate limit tripped');
    try {
      await this.#o.raiseAlert?.(out);
    } catch (err) {
      this.#fault(err, 'rate_limit_alert');
    }
  }

  // ---------- manual ----------

  /** A person's action (`rampart act ...`): runs now, no approval or hourly limit; resolves with the final entry. */
  async act(r: ManualRequest): Promise<GovernanceEntry> {
    const target = await this.#target(r.app ?? 'workplace', r.user, null);
    const action = ACTIONS[r.action];
    if (action.suspends && this.#isProtected(target) && !r.force)
      throw new RampartError('RAMPART_ERR_ACTION_PROTECTED_ACCOUNT', [target.user, 'pass --force to suspend it manually']);
    const dry = r.dryRun || this.#cfg.dryRun;
    const entry = await this.#newEntry({
      id: randomId('gov'),
      action: r.action,
      provider: r.provider ?? this.#cfg.defaultProvider,
      target,
      trigger: { kind: 'manual', by: r.by },
      reason: r.reason,
      alert: null,
      decision: { status: dry ? 'dry_run' : 'pending', statusReason: dry ? 'dry run' : null, approval: null, includedIn: null },
    });
    await this.log.create(entry);
    this.#counted(entry);
    return entry.status === 'pending' ? this.#runNow(entry) : entry;
  }

  async approve(id: string, by: string): Promise<GovernanceEntry> {
    const e = await this.#mustGet(id);
    if (e.status !== 'awaiting_approval') throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, e.status, 'only awaiting_approval entries can be approved']);
    const approval = { ...e.approval!, approvedBy: by, approvedAt: new Date(this.#now()).toISOString() };
    const next = await this.log.update(e, { status: 'pending', statusReason: null, approval, lease: this.#lease() });
    if (!next) throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, 'changing', 'it was changed concurrently; try again']);
    return this.#runNow(next);
  }

  async reject(id: string, by: string, note = ''): Promise<GovernanceEntry> {
    const e = await this.#mustGet(id);
    if (e.status !== 'awaiting_approval') throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, e.status, 'only awaiting_approval entries can be rejected']);
    const at = new Date(this.#now()).toISOString();
    const next = await this.log.update(e, {
      status: 'skipped',
      statusReason: `rejected by ${by}${note ? `: ${note}` : ''}`,
      approval: { ...e.approval!, rejectedBy: by, rejectedAt: at },
      finishedAt: at,
    });
    if (!next) throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, 'changing', 'it was changed concurrently; try again']);
    this.#counted(next);
    return next;
  }

  /** Runs a failed entry again (attempts keep counting). */
  async retry(id: string, by: string): Promise<GovernanceEntry> {
    const e = await this.#mustGet(id);
    if (e.status !== 'failed') throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, e.status, 'only failed entries can be retried']);
    const next = await this.log.update(e, {
      status: 'pending',
      statusReason: null,
      error: null,
      retries: [...e.retries, { by, at: new Date(this.#now()).toISOString() }],
      lease: this.#lease(),
    });
    if (!next) throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, 'changing', 'it was changed concurrently; try again']);
    return this.#runNow(next);
  }

  /**
   * Undoes a succeeded suspension with unsuspend_user (a new log entry, `revertOf` = id); the original
   * becomes `reverted` when that succeeds. Idempotent: reverting twice runs the unsuspension once.
   */
  async revert(id: string, by: string): Promise<GovernanceEntry> {
    const e = await this.#mustGet(id);
    const undo = ACTIONS[e.action].revertWith;
    if (!undo || e.action === 'unsuspend_user') throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, e.status, `${e.action} cannot be reverted`]);
    if (e.status !== 'succeeded' && e.status !== 'reverted')
      throw new RampartError('RAMPART_ERR_ACTION_INVALID_STATE', [id, e.status, 'only succeeded actions can be reverted']);
    const revertId = stableId('gov', undo, `revert:${id}`, e.target.user.toLowerCase());
    const existing = await this.log.get(revertId);
    if (existing) {
      if (existing.status === 'failed') return this.retry(revertId, by);
      if (existing.status === 'pending') await this.idle();
      return (await this.log.get(revertId))!;
    }
    const dry = this.#cfg.dryRun;
    const entry = await this.#newEntry({
      id: revertId,
      action: undo,
      provider: e.provider,
      target: e.target,
      trigger: { kind: 'manual', by },
      reason: `revert of ${id}`,
      alert: e.alert,
      decision: { status: dry ? 'dry_run' : 'pending', statusReason: dry ? 'dry run' : null, approval: null, includedIn: null },
      revertOf: id,
    });
    if (!(await this.log.create(entry))) return (await this.log.get(revertId))!;
    this.#counted(entry);
    return entry.status === 'pending' ? this.#runNow(entry) : entry;
  }

  list(f: LogFilter = {}): Promise<GovernanceEntry[]> {
    return this.log.list(f);
  }

  async get(id: string): Promise<GovernanceEntry | null> {
    return this.log.get(id);
  }

  // ---------- execution ----------

  async #runNow(e: GovernanceEntry): Promise<GovernanceEntry> {
    const p = this.#execute(e);
    this.#track(p);
    return p;
  }

  #track(p: Promise<unknown>): void {
    const q = p.catch((err) => this.#fault(err, 'execute')).finally(() => this.#inflight.delete(q));
    this.#inflight.add(q);
  }

  /** Runs an entry this instance holds the lease on, retrying transient failures; resolves with the final entry. */
  async #execute(start: GovernanceEntry): Promise<GovernanceEntry> {
    let e = start;
    const action = ACTIONS[e.action];
    const params: ActionParams = { target: e.target, provider: e.provider, reason: e.reason, alert: e.alert, entryId: e.id };
    const ctx = this.#ctx();
    const iso = () => new Date(this.#now()).toISOString();
    for (let run = 1; ; run++) {
      if (this.#state !== 'running') return this.#stop(e);
      const claimed = await this.log.update(e, { attemptCount: e.attemptCount + 1, startedAt: e.startedAt ?? iso(), lease: this.#lease() });
      if (!claimed) return this.#lost(e);
      e = claimed;
      const n = e.attemptCount;
      try {
        const result = await action.execute(params, ctx);
        if (this.#stateNow() === 'crashed') return e;
        this.#o.metrics.inc('rampart_governance_attempts_total', { channel: e.channel, outcome: 'ok' });
        const done = await this.log.update(e, {
          status: 'succeeded',
          statusReason: null,
          result,
          error: null,
          finishedAt: iso(),
          lease: null,
          attempts: [...e.attempts, { n, at: iso(), outcome: 'ok', status: null, reason: null, message: result, waitMs: null }],
        });
        if (!done) return this.#lost(e);
        this.#counted(done);
        this.#o.logger.info({ entryId: done.id, action: done.action, user: done.target.user, channel: done.channel }, 'governance action succeeded');
        if (done.revertOf) await this.#markReverted(done.revertOf, done.id);
        return done;
      } catch (err) {
        if (this.#state !== 'running') return this.#stop(e);
        const pe = err instanceof ProviderError ? err : null;
        const wait = pe ? nextDelay(this.#retry, run, pe, this.#random) : null;
        const outcome = pe?.kind ?? 'permanent';
        this.#o.metrics.inc('rampart_governance_attempts_total', { channel: e.channel, outcome });
        const attempt = { n, at: iso(), outcome, status: pe?.status ?? null, reason: pe?.reason ?? null, message: (err as Error).message, waitMs: wait };
        if (wait === null) {
          const error = this.#finalError(e, err, run);
          const failed = await this.log.update(e, {
            status: 'failed',
            statusReason: error.message,
            error: { code: error.code, message: error.message },
            finishedAt: iso(),
            lease: null,
            attempts: [...e.attempts, attempt],
          });
          if (!failed) return this.#lost(e);
          this.#counted(failed);
          this.#o.metrics.inc('rampart_errors_total', { component: 'governance', stage: 'act', error_type: pe?.reason ?? 'error' });
          this.#o.logger.error({ entryId: e.id, action: e.action, user: e.target.user, code: error.code, err: error.message }, 'governance action failed');
          return failed;
        }
        const waiting = await this.log.update(e, { attempts: [...e.attempts, attempt], lease: this.#lease(wait) });
        if (!waiting) return this.#lost(e);
        e = waiting;
        this.#o.logger.warn({ entryId: e.id, action: e.action, attempt: n, waitMs: wait, err: attempt.message }, 'governance action attempt failed; retrying');
        try {
          await this.#sleep(wait, this.#abort.signal);
        } catch {
          return this.#stop(e);
        }
      }
    }
  }

  /** Interrupted: a graceful close releases the lease so the next start resumes at once; a crash leaves it. */
  async #stop(e: GovernanceEntry): Promise<GovernanceEntry> {
    if (this.#state === 'closing') return (await this.log.update(e, { lease: null })) ?? e;
    return e;
  }

  /** Read through a method: the state changes across awaits, which flow narrowing does not see. */
  #stateNow(): 'running' | 'closing' | 'crashed' {
    return this.#state;
  }

  #lost(e: GovernanceEntry): GovernanceEntry {
    this.#o.logger.warn({ entryId: e.id }, 'governance entry changed by another instance; leaving it to that instance');
    return e;
  }

  #finalError(e: GovernanceEntry, err: unknown, runs: number): RampartError {
    if (isRampartError(err)) return err;
    if (!(err instanceof ProviderError))
      return new RampartError('RAMPART_ERR_ACTION_FAILED', [e.action, e.target.user, (err as Error)?.message ?? String(err)], { cause: err });
    const who = err.provider;
    if (err.kind === 'transient') {
      const tooLong = err.retryAfterMs !== null && err.retryAfterMs > this.#retry.maxRetryAfterMs;
      const why = tooLong ? `${err.message} (provider asked to wait ${Math.round(err.retryAfterMs! / 1000)} s)` : err.message;
      return new RampartError('RAMPART_ERR_ACTION_RETRIES_EXHAUSTED', [e.action, e.target.user, runs, `${who}: ${why}`], { cause: err });
    }
    if (err.reason === 'auth' || err.reason === 'forbidden')
      return new RampartError('RAMPART_ERR_ACTION_AUTH_FAILED', [who, e.action, err.status ?? '-', err.message], { cause: err });
    if (err.reason === 'not_found') return new RampartError('RAMPART_ERR_ACTION_TARGET_NOT_FOUND', [who, e.target.user, err.status ?? '-', err.message], { cause: err });
    return new RampartError('RAMPART_ERR_ACTION_FAILED', [e.action, e.target.user, `${who}: ${err.message}`], { cause: err });
  }

  async #markReverted(originalId: string, byEntry: string): Promise<void> {
    for (let i = 0; i < 5; i++) {
      const o = await this.log.get(originalId);
      if (!o || o.status === 'reverted') return;
      if (await this.log.update(o, { status: 'reverted', revertedBy: byEntry, revertedAt: new Date(this.#now()).toISOString() })) {
        this.#counted({ ...o, status: 'reverted' });
        return;
      }
    }
  }

  // ---------- helpers ----------

  #lease(extraMs = 0): { owner: string; until: string } {
    return { owner: this.#instance, until: new Date(this.#now() + extraMs + this.#cfg.leaseSecs * 1000).toISOString() };
  }

  async #newEntry(p: {
    id: string;
    action: ActionName;
    provider: ProviderName;
    target: Target;
    trigger: Trigger;
    reason: string;
    alert: Alert | null;
    decision: Decision;
    revertOf?: string;
  }): Promise<GovernanceEntry> {
    const now = this.log.stamp(null);
    const action = ACTIONS[p.action];
    const params: ActionParams = { target: p.target, provider: p.provider, reason: p.reason, alert: p.alert, entryId: p.id };
    let plan: ActionPlan;
    let status = p.decision.status;
    let statusReason = p.decision.statusReason;
    let error: GovernanceEntry['error'] = null;
    try {
      plan = await action.plan(params, this.#ctx());
    } catch (err) {
      // Nothing can be sent (provider not configured, no email known): record it as failed with the reason.
      plan = { summary: `${p.action} ${p.target.user}`, steps: [] };
      if (status === 'pending' || status === 'awaiting_approval') {
        status = 'failed';
        const re = isRampartError(err) ? err : new RampartError('RAMPART_ERR_ACTION_FAILED', [p.action, p.target.user, (err as Error).message]);
        statusReason = re.message;
        error = { code: re.code, message: re.message };
      }
    }
    return {
      id: p.id,
      action: p.action,
      channel: action.channel(params),
      provider: p.provider,
      target: p.target,
      trigger: p.trigger,
      reason: p.reason,
      status,
      statusReason,
      plan,
      attemptCount: 0,
      attempts: [],
      result: null,
      error,
      approval: p.decision.approval,
      includedIn: p.decision.includedIn,
      revertOf: p.revertOf ?? null,
      revertedBy: null,
      revertedAt: null,
      retries: [],
      alert: p.alert,
      lease: status === 'pending' ? this.#lease() : null,
      createdAt: now,
      updatedAt: now,
      startedAt: null,
      finishedAt: status === 'pending' || status === 'awaiting_approval' ? null : now,
    };
  }

  #counted(e: GovernanceEntry): void {
    if (e.status !== 'pending') this.#o.metrics.inc('rampart_governance_actions_total', { action: e.action, status: e.status });
  }

  #isProtected(t: Target): boolean {
    return [t.user, t.email, t.appUserId].some((k) => k !== null && this.#protected.has(k.toLowerCase()));
  }

  async #mustGet(id: string): Promise<GovernanceEntry> {
    const e = await this.log.get(id);
    if (!e) throw new RampartError('RAMPART_ERR_ACTION_ENTRY_NOT_FOUND', [id]);
    return e;
  }

  async #directoryUser(app: string, idOrEmail: string): Promise<DirectoryUser | null> {
    try {
      return await this.#o.store.getDirectoryUser(app, idOrEmail);
    } catch (err) {
      this.#fault(err, 'directory');
      return null;
    }
  }

  /** Names the account for every provider: email when known (IdPs), the app's id when known (Workplace). */
  async #target(app: string, user: string, userId: string | null): Promise<Target> {
    const dir = (userId ? await this.#directoryUser(app, userId) : null) ?? (await this.#directoryUser(app, user));
    const email = user.includes('@') ? user : (dir?.email ?? null);
    const appUserId = userId ?? dir?.id ?? (user.includes('@') ? null : user);
    return { app, user: email ?? user, appUserId, email };
  }

  #ctx(): ActionContext {
    return {
      provider: (name) => {
        this.#providers ??= buildProviders(this.#cfg, this.#retry, this.#o.env);
        const p = this.#providers[name];
        if (!p) throw new RampartError('RAMPART_ERR_ACTION_PROVIDER_NOT_CONFIGURED', [`provider ${name}`, `governance.providers.${name}`]);
        return p;
      },
      notifier: () => {
        if (this.#notifier === undefined) {
          const s = this.#cfg.smtp;
          this.#notifier = s
            ? new SmtpNotifier({ ...s, password: s.password ? readSecret(s.password, 'governance.smtp.password', this.#o.env) : undefined })
            : null;
        }
        if (!this.#notifier) throw new RampartError('RAMPART_ERR_ACTION_PROVIDER_NOT_CONFIGURED', ['email (SMTP)', 'governance.smtp']);
        return this.#notifier;
      },
      notify: this.#cfg.notify,
      directoryUser: (app, k) => this.#directoryUser(app, k),
      signal: this.#abort.signal,
    };
  }

  #fault(err: unknown, where: string): void {
    this.#o.metrics.inc('rampart_errors_total', { component: 'governance', stage: 'act', error_type: where });
    this.#o.logger.error({ err }, `governance ${where} failed`);
  }
}
