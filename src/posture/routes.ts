/**
 * @module posture/routes
 * The posture API as a Fastify plugin. The lead mounts it behind authentication, e.g.
 *   app.register(registerPostureRoutes, { prefix: '/api', service, actor: (req) => req.user.name, writeGuard })
 * Routes (relative to the prefix):
 *   GET  /posture                                   score per instance and overall, plus the daily trend (?days=90)
 *   GET  /posture/recommendations                   ranked by points left, then cost, then user impact (?instance&status&result&category)
 *   GET  /posture/recommendations/:id               one, with evidence, remediation and status history (?instance)
 *   PUT  /posture/recommendations/:id/status        { status, reason, instance? }
 *   PUT  /posture/recommendations/:id/declaration   { state: compliant|not_compliant|null, justification, instance? }
 *   PUT  /posture/recommendations/:id/reviews/:item { reason, instance? }  (integrations, external accounts)
 *   POST /posture/recompute                         evaluate every check now
 * Every error leaves as `{ code, message }` (RAMPART_ERR_*), through the server's error handler.
 */
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import {
  DeclarationBody,
  InstanceQuery,
  RecommendationParams,
  RecommendationsQuery,
  ReviewBody,
  ReviewParams,
  ScoreQuery,
  StatusBody,
  type RecommendationSummarySchema,
  type RecommendationsResponse,
  type RecomputeResponse,
  type ScoreResponse,
} from './api-schemas.ts';
import type { Recommendation } from './score.ts';
import type { PostureService } from './service.ts';

export interface PostureRouteDeps {
  service: PostureService;
  /** Who is making the change (recorded with statuses, declarations and reviews). Default: "api". */
  actor?: (req: FastifyRequest) => string;
  /** Runs before every PUT/POST (e.g. require the admin role). */
  writeGuard?: preHandlerHookHandler;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value ?? {});
  if (!r.success) {
    const detail = r.error.issues.map((i) => `${what}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`).join('; ');
    throw new RampartError('RAMPART_ERR_API_BAD_REQUEST', [detail]);
  }
  return r.data;
}

export function summarize(r: Recommendation): z.output<typeof RecommendationSummarySchema> {
  const { evidence, ...rest } = r;
  return { ...rest, evidenceCounts: evidence.counts, accountsTotal: evidence.accountsTotal };
}

export async function registerPostureRoutes(app: FastifyInstance, deps: PostureRouteDeps): Promise<void> {
  const { service } = deps;
  const actor = (req: FastifyRequest): string => deps.actor?.(req) ?? 'api';
  const write = deps.writeGuard ? { preHandler: deps.writeGuard } : {};

  app.get('/posture', async (req): Promise<z.output<typeof ScoreResponse>> => {
    const q = parse(ScoreQuery, req.query, 'query');
    const report = await service.report();
    const trend = (await service.trend(q.days)).map(({ day, at, overall, instances }) => ({ day, at, overall, instances }));
    return { evaluatedAt: report.evaluatedAt, overall: report.overall, instances: report.instances, trend };
  });

  app.get('/posture/recommendations', async (req): Promise<z.output<typeof RecommendationsResponse>> => {
    const q = parse(RecommendationsQuery, req.query, 'query');
    const report = await service.report();
    const items = report.recommendations.filter(
      (r) =>
        (!q.instance || r.instance === q.instance) &&
        (!q.status || r.status === q.status) &&
        (!q.result || r.result === q.result) &&
        (!q.category || r.controlCategory === q.category),
    );
    return { evaluatedAt: report.evaluatedAt, overall: report.overall, items: items.map(summarize) };
  });

  app.get('/posture/recommendations/:id', async (req): Promise<Recommendation> => {
    const { id } = parse(RecommendationParams, req.params, 'params');
    const q = parse(InstanceQuery, req.query, 'query');
    return service.recommendation(id, q.instance);
  });

  app.put('/posture/recommendations/:id/status', write, async (req): Promise<Recommendation> => {
    const { id } = parse(RecommendationParams, req.params, 'params');
    const b = parse(StatusBody, req.body, 'body');
    return service.setStatus(id, { status: b.status, reason: b.reason, by: actor(req), instance: b.instance });
  });

  app.put('/posture/recommendations/:id/declaration', write, async (req): Promise<Recommendation> => {
    const { id } = parse(RecommendationParams, req.params, 'params');
    const b = parse(DeclarationBody, req.body, 'body');
    return service.declare(id, { state: b.state, justification: b.justification, by: actor(req), instance: b.instance });
  });

  app.put('/posture/recommendations/:id/reviews/:item', write, async (req): Promise<Recommendation> => {
    const { id, item } = parse(ReviewParams, req.params, 'params');
    const b = parse(ReviewBody, req.body, 'body');
    return service.review(id, { item, reason: b.reason, by: actor(req), instance: b.instance });
  });

  app.post('/posture/recompute', write, async (): Promise<z.output<typeof RecomputeResponse>> => {
    const report = await service.recompute();
    return { evaluatedAt: report.evaluatedAt, overall: report.overall, instances: report.instances };
  });
}
