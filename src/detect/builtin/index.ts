/**
 * @module detect/builtin
 * The eight built-in detections, in evaluation order. Their ids are a public contract (alerts, config keys, API).
 */
import type { DetectionsConfig } from '../config.ts';
import type { Detection } from '../detection.ts';
import type { DetectionScope } from '../engine.ts';
import { AnonymousIp } from './anonymous_ip.ts';
import { FailedLogins } from './failed_logins.ts';
import { ImpossibleTravel } from './impossible_travel.ts';
import { InfrequentCountry } from './infrequent_country.ts';
import { SuspiciousIp } from './suspicious_ip.ts';
import { TerminatedUser } from './terminated_user.ts';
import { createUnusualAdmin } from './unusual_admin.ts';
import { createUnusualImpersonation } from './unusual_impersonation.ts';

export const BUILTIN_DETECTION_IDS = [
  'impossible_travel',
  'infrequent_country',
  'anonymous_ip',
  'suspicious_ip',
  'terminated_user',
  'failed_logins',
  'unusual_admin',
  'unusual_impersonation',
] as const;
export type BuiltinDetectionId = (typeof BUILTIN_DETECTION_IDS)[number];

export function createBuiltinDetections(cfg: DetectionsConfig): Array<{ detection: Detection; config: DetectionScope }> {
  return [
    { detection: new ImpossibleTravel(cfg.impossible_travel), config: cfg.impossible_travel },
    { detection: new InfrequentCountry(cfg.infrequent_country), config: cfg.infrequent_country },
    { detection: new AnonymousIp(cfg.anonymous_ip), config: cfg.anonymous_ip },
    { detection: new SuspiciousIp(cfg.suspicious_ip), config: cfg.suspicious_ip },
    { detection: new TerminatedUser(cfg.terminated_user), config: cfg.terminated_user },
    { detection: new FailedLogins(cfg.failed_logins), config: cfg.failed_logins },
    { detection: createUnusualAdmin(cfg.unusual_admin), config: cfg.unusual_admin },
    { detection: createUnusualImpersonation(cfg.unusual_impersonation), config: cfg.unusual_impersonation },
  ];
}
