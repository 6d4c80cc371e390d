/**
 * @module detect/builtin/unusual_impersonation
 * Activities performed in the name of a user (impersonated = true) that are unusual against that user's
 * baseline: session volume or action types (see session-baseline.ts). The alert's user is the impersonated
 * one (the actor); the impersonator is in the evidence.
 */
import type { SessionBaselineConfig } from '../config.ts';
import { SessionBaselineDetection } from './session-baseline.ts';

export const createUnusualImpersonation = (cfg: SessionBaselineConfig): SessionBaselineDetection =>
  new SessionBaselineDetection(
    {
      id: 'unusual_impersonation',
      title: 'Unusual impersonated activity',
      noun: 'impersonated',
      defaultSeverity: 'medium',
      mitreTactic: 'collection',
      matches: (a) => a.impersonated && a.outcome !== 'failure',
    },
    cfg,
  );
