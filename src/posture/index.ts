/**
 * @module posture
 * Security posture (SSPM) for connected apps: checks (checks/), scoring (score.ts), the service that
 * evaluates on a schedule and keeps snapshots (service.ts), and the API routes (routes.ts). docs/posture.md.
 */
import type { Config } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Alert } from '../schema/alert.ts';
import type { Store } from '../store/store.ts';
import { PostureService } from './service.ts';

export { PostureService, DOC_KINDS, type PostureReport, type Snapshot, type InstanceScore } from './service.ts';
export { postureRoutes, type PostureApi } from './routes.ts';
export { postureJsonSchemas } from './api-schemas.ts';
export { STATUSES, type PostureStatus, type Recommendation } from './score.ts';
export { ALL_CHECKS, CHECKS_BY_APP, findCheck } from './checks/index.ts';
export type { PostureCheck, CheckContext, CheckEvaluation } from './check.ts';

/** The service as `rampart serve` runs it: wire `onAlert` to `pipeline.publish`, then `start()`. */
export function createPostureService(
  config: Config,
  deps: { store: Store; logger: Logger; metrics: Metrics; onAlert?: (alert: Alert) => void | Promise<void> },
): PostureService {
  return new PostureService({ ...deps, config: config.posture, organizationDomains: config.organization.domains });
}
