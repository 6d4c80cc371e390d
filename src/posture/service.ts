/**
 * @module posture/service
 * Evaluates every check on every app instance, applies declarations and statuses, keeps the score, a
 * daily snapshot (docs of kind `posture_snapshot`, one per UTC day, the day's last evaluation) and the
 * last evaluation per instance (`posture_last`), and raises an informational alert (`posture:<check id>`)
 * when a check regresses between two evaluations. Recomputes on a schedule and on demand.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { RampartError } from '../core/errors.ts';
import { stableId } from '../core/ids.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { AlertSchema, type Alert } from '../schema/alert.ts';
import type { DirectoryUser } from '../schema/directory.ts';
import type { Store } from '../store/store.ts';
import type { AppInstance, CheckEvaluation, CheckState, ItemReview, PostureCheck } from './check.ts';
import { CHECKS_BY_APP } from './checks/index.ts';
import { POSTURE_DEFAULTS, type PostureConfig } from './config.ts';
import { activityLogFrom, buildContext, instancesOf } from './context.ts';
import {
  DATA_INDEPENDENT,
  rankRecommendations,
  recommendation,
  scoreOf,
  type Declaration,
  type PostureStatus,
  type Recommendation,
  type ScoreLine,
  type StatusRecord,
} from './score.ts';

export const DOC_KINDS = {
  status: 'posture_status',
  declaration: 'posture_declaration',
  review: 'posture_review',
  snapshot: 'posture_snapshot',
  last: 'posture_last',
} as const;

const MAX_HISTORY = 50;

export interface InstanceScore extends ScoreLine {
  instance: string;
  app: string;
  tenant: string;
  counts: { compliant: number; notCompliant: number; unknown: number; declared: number; conflicts: number };
}

export interface PostureReport {
  evaluatedAt: string;
  overall: ScoreLine;
  instances: InstanceScore[];
  /** Ranked by points left, then implementation cost, then user impact. */
  recommendations: Recommendation[];
}

export interface Snapshot {
  day: string;
  at: string;
  overall: ScoreLine;
  instances: { instance: string; earned: number; possible: number; pct: number | null }[];
  checks: { instance: string; id: string; result: CheckState; status: PostureStatus; scoreEarned: number; maxScore: number }[];
}

interface LastEvaluation {
  evaluatedAt: string;
  checks: Record<string, { result: CheckState; score: number }>;
}

export interface PostureServiceOptions {
  store: Store;
  config?: PostureConfig;
  organizationDomains?: readonly string[];
  logger: Logger;
  metrics: Metrics;
  /** Receives the informational regression alerts; the service wires it to pipeline.publish. */
  onAlert?: (alert: Alert) => void | Promise<void>;
  /** Checks by app (default: the registry). */
  checks?: Readonly<Record<string, readonly PostureCheck[]>>;
  now?: () => Date;
}

const key = (...parts: string[]): string => parts.join('|');

export class PostureService {
  readonly config: PostureConfig;
  readonly #o: PostureServiceOptions;
  readonly #checks: Readonly<Record<string, readonly PostureCheck[]>>;
  #latest: PostureReport | null = null;
  /** Raw evaluations of the latest run, so a status or declaration change re-scores without re-reading data. */
  #evaluations = new Map<string, { check: PostureCheck; instance: AppInstance; ev: CheckEvaluation }>();
  #running: Promise<PostureReport> | null = null;
  #loop: Promise<void> | null = null;
  readonly #abort = new AbortController();

  constructor(o: PostureServiceOptions) {
    this.#o = o;
    this.config = o.config ?? POSTURE_DEFAULTS;
    this.#checks = o.checks ?? CHECKS_BY_APP;
  }

  #now(): string {
    return (this.#o.now?.() ?? new Date()).toISOString();
  }

  get checks(): PostureCheck[] {
    return Object.values(this.#checks).flat();
  }

  /** Starts the scheduled recompute (the first run happens now). No-op when intervalSecs is 0. */
  start(): void {
    if (this.#loop || !this.config.enabled || this.config.intervalSecs <= 0) return;
    const every = this.config.intervalSecs * 1000;
    this.#loop = (async () => {
      while (!this.#abort.signal.aborted) {
        await this.recompute().catch(() => undefined); // logged and counted inside
        await sleep(every, undefined, { signal: this.#abort.signal }).catch(() => undefined);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.#running?.catch(() => undefined);
  }

  /** The latest report, computing one when there is none yet. */
  async report(): Promise<PostureReport> {
    return this.#latest ?? this.recompute();
  }

  /** Evaluates every check now; concurrent callers share one run. */
  recompute(): Promise<PostureReport> {
    if (!this.#running) this.#running = this.#recompute().finally(() => (this.#running = null));
    return this.#running;
  }

  async #recompute(): Promise<PostureReport> {
    const { store, logger, metrics } = this.#o;
    const now = this.#now();
    const apps = Object.keys(this.#checks);
    let users: DirectoryUser[];
    try {
      users = (await Promise.all(apps.map((a) => store.listDirectoryUsers(a)))).flat();
    } catch (err) {
      metrics.inc('rampart_errors_total', { component: 'posture', stage: 'evaluate', error_type: 'store' });
      logger.error({ err }, 'posture: cannot read the directory; score not recomputed');
      throw err;
    }
    const instances = instancesOf(users, apps);
    const evaluations = new Map<string, { check: PostureCheck; instance: AppInstance; ev: CheckEvaluation }>();
    const src = { store, config: this.config, organizationDomains: this.#o.organizationDomains ?? [], now };
    const reviews = await this.#reviews();
    const logFrom = new Map<string, string | null>();
    for (const app of apps) logFrom.set(app, await activityLogFrom(store, app).catch(() => null));
    for (const instance of instances) {
      const instUsers = users.filter((u) => u.app === instance.app && u.tenant === instance.tenant);
      for (const check of this.#checks[instance.app] ?? []) {
        const ctx = buildContext(src, instance, instUsers, logFrom.get(instance.app) ?? null, reviews.get(key(instance.id, check.id)) ?? new Map());
        let ev: CheckEvaluation;
        try {
          ev = await check.evaluate(ctx);
        } catch (cause) {
          const err = new RampartError('RAMPART_ERR_POSTURE_CHECK_FAILED', [check.id, instance.id, (cause as Error)?.message ?? String(cause)], { cause });
          metrics.inc('rampart_errors_total', { component: 'posture', stage: 'evaluate', error_type: 'exception' });
          logger.error({ err, code: err.code, check: check.id, instance: instance.id }, err.message);
          ev = { status: 'unknown', scoreEarned: 0, observed: 'observed', evidence: { counts: {}, accounts: [], accountsTotal: 0, notes: [`${err.code}: ${err.message}`] } };
        }
        evaluations.set(key(instance.id, check.id), { check, instance, ev });
      }
    }
    this.#evaluations = evaluations;
    const report = await this.#score(now);
    await this.#detectRegressions(report);
    await this.#snapshot(report);
    metrics.inc('rampart_posture_evaluations_total');
    for (const i of report.instances) metrics.set('rampart_posture_score_pct', { instance: i.instance }, i.pct ?? 0);
    logger.info({ score: report.overall.pct, earned: report.overall.earned, possible: report.overall.possible }, 'posture recomputed');
    return report;
  }

  /** Applies the stored statuses and declarations to the latest evaluations. */
  async #score(evaluatedAt: string): Promise<PostureReport> {
    const { store } = this.#o;
    const statuses = new Map((await store.listDocs<StatusRecord>(DOC_KINDS.status)).map((d) => [d.id, d.body]));
    const declarations = new Map((await store.listDocs<Declaration>(DOC_KINDS.declaration)).map((d) => [d.id, d.body]));
    const recs: Recommendation[] = [];
    for (const [k, { check, instance, ev }] of this.#evaluations) {
      recs.push(recommendation(check, instance, ev, evaluatedAt, statuses.get(k) ?? null, declarations.get(k) ?? null));
    }
    const byInstance = new Map<string, Recommendation[]>();
    for (const r of recs) byInstance.set(r.instance, [...(byInstance.get(r.instance) ?? []), r]);
    const instances: InstanceScore[] = [...byInstance].map(([id, list]) => ({
      instance: id,
      app: list[0].app,
      tenant: list[0].tenant,
      ...scoreOf(list),
      counts: {
        compliant: list.filter((r) => r.result === 'compliant').length,
        notCompliant: list.filter((r) => r.result === 'not_compliant').length,
        unknown: list.filter((r) => r.result === 'unknown').length,
        declared: list.filter((r) => r.observed === 'declared').length,
        conflicts: list.filter((r) => r.conflict).length,
      },
    }));
    this.#latest = { evaluatedAt, overall: scoreOf(recs), instances, recommendations: rankRecommendations(recs) };
    return this.#latest;
  }

  async #reviews(): Promise<Map<string, Map<string, ItemReview>>> {
    const out = new Map<string, Map<string, ItemReview>>();
    for (const d of await this.#o.store.listDocs<ItemReview & { instance: string; checkId: string }>(DOC_KINDS.review)) {
      const k = key(d.body.instance, d.body.checkId);
      if (!out.has(k)) out.set(k, new Map());
      out.get(k)!.set(d.body.item, d.body);
    }
    return out;
  }

  /**
   * A check regresses when its data-based result drops between two evaluations: compliant to not compliant,
   * or fewer points while not compliant. Unknown (missing data) is not a regression, and checks whose status
   * makes their points independent of the data (risk accepted, resolved through ...) raise nothing.
   */
  async #detectRegressions(report: PostureReport): Promise<void> {
    const { store, logger, metrics } = this.#o;
    for (const inst of report.instances) {
      const doc = await store.getDoc<LastEvaluation>(DOC_KINDS.last, inst.instance);
      const prev = doc?.body.checks ?? {};
      const current: LastEvaluation = { evaluatedAt: report.evaluatedAt, checks: {} };
      for (const r of report.recommendations.filter((x) => x.instance === inst.instance)) {
        current.checks[r.id] = { result: r.result, score: r.evaluatedScore };
        const before = prev[r.id];
        if (!before || r.result !== 'not_compliant' || DATA_INDEPENDENT.has(r.status)) continue;
        if (before.result === 'compliant' || (before.result === 'not_compliant' && r.evaluatedScore < before.score - 0.005)) {
          const alert = this.#alert(r, before, doc!.body.evaluatedAt);
          metrics.inc('rampart_posture_regressions_total');
          try {
            await this.#o.onAlert?.(alert);
          } catch (err) {
            metrics.inc('rampart_errors_total', { component: 'posture', stage: 'deliver', error_type: 'exception' });
            logger.error({ err, alertId: alert.id }, 'posture regression alert could not be published');
          }
        }
      }
      await store.putDoc({ kind: DOC_KINDS.last, id: inst.instance, body: current, updatedAt: report.evaluatedAt });
    }
  }

  #alert(r: Recommendation, before: { result: CheckState; score: number }, beforeAt: string): Alert {
    const at = r.evaluatedAt;
    const listed = r.evidence.accounts.slice(0, 10).map((a) => `${a.email ?? a.name ?? a.id}: ${a.detail}`);
    return AlertSchema.parse({
      id: stableId('alr', 'posture', r.instance, r.id, at),
      detection: `posture:${r.id}`,
      title: `Security posture regressed: ${r.title}`,
      description:
        `${r.title} on ${r.instance} went from ${before.result} (${before.score}/${r.maxScore} points, ${beforeAt}) ` +
        `to ${r.result} (${r.evaluatedScore}/${r.maxScore} points).`,
      severity: 'informational',
      user: null,
      app: r.app,
      tenant: r.tenant,
      time: at,
      firstSeen: at,
      lastSeen: at,
      activityIds: r.evidence.accounts.flatMap((a) => a.activityIds ?? []).slice(0, 100),
      evidence: [`${r.result}: ${r.evaluatedScore} of ${r.maxScore} points (was ${before.score})`, ...r.evidence.notes, ...listed],
      details: { instance: r.instance, check: r.id, before: { ...before, at: beforeAt }, after: { result: r.result, score: r.evaluatedScore, at }, counts: r.evidence.counts },
      dedupKey: `posture:${r.id}:${r.instance}`,
      createdAt: at,
      updatedAt: at,
    });
  }

  async #snapshot(report: PostureReport): Promise<void> {
    const { store } = this.#o;
    const day = report.evaluatedAt.slice(0, 10);
    const body: Snapshot = {
      day,
      at: report.evaluatedAt,
      overall: report.overall,
      instances: report.instances.map((i) => ({ instance: i.instance, earned: i.earned, possible: i.possible, pct: i.pct })),
      checks: report.recommendations.map((r) => ({ instance: r.instance, id: r.id, result: r.result, status: r.status, scoreEarned: r.scoreEarned, maxScore: r.maxScore })),
    };
    await store.putDoc({ kind: DOC_KINDS.snapshot, id: day, body, updatedAt: report.evaluatedAt });
    const oldest = new Date(Date.parse(report.evaluatedAt) - this.config.snapshotRetentionDays * 86_400_000).toISOString().slice(0, 10);
    for (const d of await store.listDocs<Snapshot>(DOC_KINDS.snapshot)) if (d.id < oldest) await store.deleteDoc(DOC_KINDS.snapshot, d.id);
  }

  /** Daily snapshots, oldest first, the last `days` days. */
  async trend(days = 90): Promise<Snapshot[]> {
    const since = new Date(Date.parse(this.#now()) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    return (await this.#o.store.listDocs<Snapshot>(DOC_KINDS.snapshot))
      .map((d) => d.body)
      .filter((s) => s.day >= since)
      .sort((a, b) => a.day.localeCompare(b.day));
  }

  // ---- lookups and admin changes ----

  /** Resolves an instance id; omitted means the only instance of the check's app. */
  async resolveInstance(checkId: string, instance?: string): Promise<{ check: PostureCheck; instance: string }> {
    const check = this.checks.find((c) => c.id === checkId);
    if (!check) throw new RampartError('RAMPART_ERR_POSTURE_UNKNOWN_CHECK', [checkId]);
    const report = await this.report();
    const known = report.instances.filter((i) => i.app === check.app).map((i) => i.instance);
    if (instance === undefined) {
      if (known.length === 1) return { check, instance: known[0] };
      throw new RampartError('RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE', ['(none given)', known.join(', ') || 'none']);
    }
    if (!known.includes(instance)) throw new RampartError('RAMPART_ERR_POSTURE_UNKNOWN_INSTANCE', [instance, known.join(', ') || 'none']);
    return { check, instance };
  }

  async recommendation(checkId: string, instance?: string): Promise<Recommendation> {
    const r = await this.resolveInstance(checkId, instance);
    return (await this.report()).recommendations.find((x) => x.id === r.check.id && x.instance === r.instance)!;
  }

  /** Records a status (with who and why) and re-scores; returns the updated recommendation. */
  async setStatus(checkId: string, change: { status: PostureStatus; by: string; reason: string; instance?: string }): Promise<Recommendation> {
    const { check, instance } = await this.resolveInstance(checkId, change.instance);
    const id = key(instance, check.id);
    const prev = (await this.#o.store.getDoc<StatusRecord>(DOC_KINDS.status, id))?.body;
    const at = this.#now();
    const history = prev ? [{ status: prev.status, by: prev.by, at: prev.at, reason: prev.reason }, ...prev.history].slice(0, MAX_HISTORY - 1) : [];
    const body: StatusRecord = { instance, checkId: check.id, status: change.status, by: change.by, at, reason: change.reason, history };
    await this.#o.store.putDoc({ kind: DOC_KINDS.status, id, body, updatedAt: at });
    return this.#rescored(check.id, instance);
  }

  /** Declares what cannot be observed; applies only while the data says `unknown`. `state: null` withdraws it. */
  async declare(
    checkId: string,
    d: { state: Declaration['state'] | null; justification: string; by: string; instance?: string },
  ): Promise<Recommendation> {
    const { check, instance } = await this.resolveInstance(checkId, d.instance);
    const id = key(instance, check.id);
    const at = this.#now();
    if (d.state === null) await this.#o.store.deleteDoc(DOC_KINDS.declaration, id);
    else {
      const body: Declaration = { instance, checkId: check.id, state: d.state, justification: d.justification, by: d.by, at };
      await this.#o.store.putDoc({ kind: DOC_KINDS.declaration, id, body, updatedAt: at });
    }
    return this.#rescored(check.id, instance);
  }

  /** Marks one item (integration, external account) of a reviewable check reviewed, then re-evaluates. */
  async review(checkId: string, r: { item: string; by: string; reason: string; instance?: string }): Promise<Recommendation> {
    const { check, instance } = await this.resolveInstance(checkId, r.instance);
    if (!check.reviewable) throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [`check ${check.id} has no items to review`]);
    const at = this.#now();
    const body = { instance, checkId: check.id, item: r.item, by: r.by, at, reason: r.reason };
    await this.#o.store.putDoc({ kind: DOC_KINDS.review, id: key(instance, check.id, r.item), body, updatedAt: at });
    await this.recompute();
    return this.recommendation(check.id, instance);
  }

  async #rescored(checkId: string, instance: string): Promise<Recommendation> {
    await this.#running?.catch(() => undefined);
    const report = await this.#score(this.#latest?.evaluatedAt ?? this.#now());
    await this.#snapshot({ ...report, evaluatedAt: this.#now() });
    return report.recommendations.find((x) => x.id === checkId && x.instance === instance)!;
  }
}
