/**
 * @module posture/routes
 * The posture API, declared the way every API route is (src/api/route.ts): one `route()` per operation with its
 * access role and zod schemas, registered with the others in src/api/index.ts (`...postureRoutes(ctx)`), so the
 * guard authenticates, authorises and audits them and the OpenAPI document lists them.
 *   GET  /api/posture                                   viewer   score per instance and overall, plus the daily trend
 *   GET  /api/posture/recommendations                   viewer   ranked by points left, then cost, then user impact
 *   GET  /api/posture/recommendations/:id               viewer   one, with evidence, remediation and status history
 *   PUT  /api/posture/recommendations/:id/status        admin    { status, reason, instance? }
 *   PUT  /api/posture/recommendations/:id/declaration   admin    { state, justification, instance? }
 *   PUT  /api/posture/recommendations/:id/reviews/:item admin    { reason, instance? }
 *   POST /api/posture/recompute                         analyst  evaluate every check now
 * Without a posture service the routes answer 503 RAMPART_ERR_API_UNAVAILABLE.
 */
import type { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import { principalLabel, type Principal } from '../api/auth/principal.ts';
import { route, type AnyRoute } from '../api/route.ts';
import {
  DeclarationBody,
  InstanceQuery,
  RecommendationParams,
  RecommendationSchema,
  RecommendationsQuery,
  RecommendationsResponse,
  RecomputeResponse,
  ReviewBody,
  ReviewParams,
  ScoreQuery,
  ScoreResponse,
  StatusBody,
  type RecommendationSummarySchema,
} from './api-schemas.ts';
import type { Recommendation } from './score.ts';
import type { PostureService } from './service.ts';

export type PostureApi = Pick<PostureService, 'report' | 'trend' | 'recommendation' | 'setStatus' | 'declare' | 'review' | 'recompute'>;

export function summarize(r: Recommendation): z.output<typeof RecommendationSummarySchema> {
  const { evidence, ...rest } = r;
  return { ...rest, evidenceCounts: evidence.counts, accountsTotal: evidence.accountsTotal };
}

const by = (p: Principal | null): string => principalLabel(p);

export function postureRoutes(ctx: { posture?: PostureApi | null }): AnyRoute[] {
  const svc = (): PostureApi => {
    if (!ctx.posture) throw new RampartError('RAMPART_ERR_API_UNAVAILABLE', ['posture']);
    return ctx.posture;
  };
  return [
    route({
      method: 'GET',
      url: '/api/posture',
      access: 'viewer',
      tag: 'posture',
      summary: 'Posture score per app instance and overall (points earned / points possible), with the daily trend',
      query: ScoreQuery,
      response: ScoreResponse,
      handler: async ({ query }) => {
        const report = await svc().report();
        const trend = (await svc().trend(query.days)).map(({ day, at, overall, instances }) => ({ day, at, overall, instances }));
        return { evaluatedAt: report.evaluatedAt, overall: report.overall, instances: report.instances, trend };
      },
    }),
    route({
      method: 'GET',
      url: '/api/posture/recommendations',
      access: 'viewer',
      tag: 'posture',
      summary: 'Recommendations ranked by points left, then implementation cost, then user impact',
      query: RecommendationsQuery,
      response: RecommendationsResponse,
      handler: async ({ query: q }) => {
        const report = await svc().report();
        const items = report.recommendations.filter(
          (r) =>
            (!q.instance || r.instance === q.instance) &&
            (!q.status || r.status === q.status) &&
            (!q.result || r.result === q.result) &&
            (!q.category || r.controlCategory === q.category),
        );
        return { evaluatedAt: report.evaluatedAt, overall: report.overall, items: items.map(summarize) };
      },
    }),
    route({
      method: 'GET',
      url: '/api/posture/recommendations/:id',
      access: 'viewer',
      tag: 'posture',
      summary: 'One recommendation with its evidence, remediation, declaration and status history',
      params: RecommendationParams,
      query: InstanceQuery,
      response: RecommendationSchema,
      handler: async ({ params, query }) => svc().recommendation(params.id, query.instance),
    }),
    route({
      method: 'PUT',
      url: '/api/posture/recommendations/:id/status',
      access: 'admin',
      tag: 'posture',
      summary: 'Set the status (to_address, planned, risk_accepted, resolved_through_third_party, resolved_through_alternate_mitigation, completed) with a reason',
      params: RecommendationParams,
      body: StatusBody,
      response: RecommendationSchema,
      handler: async ({ params, body, principal, audit }) => {
        audit('posture.status', params.id, { status: body.status, reason: body.reason, instance: body.instance ?? null });
        return svc().setStatus(params.id, { status: body.status, reason: body.reason, by: by(principal), instance: body.instance });
      },
    }),
    route({
      method: 'PUT',
      url: '/api/posture/recommendations/:id/declaration',
      access: 'admin',
      tag: 'posture',
      summary: 'Declare what the data cannot show (applies while the check is unknown); state null withdraws it',
      params: RecommendationParams,
      body: DeclarationBody,
      response: RecommendationSchema,
      handler: async ({ params, body, principal, audit }) => {
        audit('posture.declaration', params.id, { state: body.state, justification: body.justification, instance: body.instance ?? null });
        return svc().declare(params.id, { state: body.state, justification: body.justification, by: by(principal), instance: body.instance });
      },
    }),
    route({
      method: 'PUT',
      url: '/api/posture/recommendations/:id/reviews/:item',
      access: 'admin',
      tag: 'posture',
      summary: 'Mark an item of a review check (custom integration, external account) reviewed',
      params: ReviewParams,
      body: ReviewBody,
      response: RecommendationSchema,
      handler: async ({ params, body, principal, audit }) => {
        audit('posture.review', `${params.id}/${params.item}`, { reason: body.reason, instance: body.instance ?? null });
        return svc().review(params.id, { item: params.item, reason: body.reason, by: by(principal), instance: body.instance });
      },
    }),
    route({
      method: 'POST',
      url: '/api/posture/recompute',
      access: 'analyst',
      tag: 'posture',
      summary: 'Evaluate every posture check now',
      response: RecomputeResponse,
      handler: async ({ audit }) => {
        audit('posture.recompute');
        const report = await svc().recompute();
        return { evaluatedAt: report.evaluatedAt, overall: report.overall, instances: report.instances };
      },
    }),
  ];
}
