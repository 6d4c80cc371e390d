/**
 * @module detect/builtin/unusual_admin
 * Administrative activities unusual for the user: a session with far more admin actions than the user's own
 * sessions, or admin action types the user never performed (see session-baseline.ts).
 */
import type { SessionBaselineConfig } from '../config.ts';
import { SessionBaselineDetection } from './session-baseline.ts';

export const createUnusualAdmin = (cfg: SessionBaselineConfig): SessionBaselineDetection =>
  new SessionBaselineDetection(
    {
      id: 'unusual_admin',
      title: 'Unusual administrative activity',
      noun: 'administrative',
      defaultSeverity: 'medium',
      mitreTactic: 'privilege_escalation',
      // Failed admin attempts are not admin work done; they are left to policies.
      matches: (a) => a.isAdminActivity && a.outcome !== 'failure',
    },
    cfg,
  );
