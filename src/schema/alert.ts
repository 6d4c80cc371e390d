/**
 * @module schema/alert
 * An alert raised by a built-in detection (`detection` = its id) or an activity policy (`policy:<name>`).
 */
import { z } from 'zod';

export const SEVERITIES = ['informational', 'low', 'medium', 'high'] as const;
export const ALERT_STATUSES = ['new', 'in_progress', 'resolved'] as const;
export const CLASSIFICATIONS = ['true_positive', 'benign_true_positive', 'false_positive'] as const;
/** MITRE ATT&CK tactics used by the detections (mdca-semantics.md section 1.1). */
export const MITRE_TACTICS = [
  'initial_access',
  'persistence',
  'privilege_escalation',
  'credential_access',
  'collection',
  'exfiltration',
  'defense_evasion',
  'impact',
  'discovery',
] as const;

export type Severity = (typeof SEVERITIES)[number];
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export type Classification = (typeof CLASSIFICATIONS)[number];
export type MitreTactic = (typeof MITRE_TACTICS)[number];

export const SEVERITY_RANK: Record<Severity, number> = { informational: 0, low: 1, medium: 2, high: 3 };

export const AlertSchema = z.object({
  id: z.string(),
  /** Built-in detection id (e.g. `impossible_travel`) or `policy:<name>`. */
  detection: z.string(),
  title: z.string(),
  description: z.string().default(''),
  severity: z.enum(SEVERITIES),
  status: z.enum(ALERT_STATUSES).default('new'),
  /** Actor email when known, else actor id. */
  user: z.string().nullable(),
  userId: z.string().nullable().default(null),
  app: z.string(),
  tenant: z.string().default(''),
  /** Event time of the activity that raised the alert. */
  time: z.string(),
  firstSeen: z.string(),
  lastSeen: z.string(),
  /** How many matches were folded into this alert (dedup within the cool-down). */
  count: z.number().int().positive().default(1),
  activityIds: z.array(z.string()),
  /** Short human-readable strings. */
  evidence: z.array(z.string()),
  /** Structured explanation (per detection). */
  details: z.record(z.string(), z.unknown()),
  mitreTactic: z.enum(MITRE_TACTICS).nullable().default(null),
  /** Entities: ip, country, policy... for pivots. */
  ips: z.array(z.string()).default([]),
  dedupKey: z.string(),
  assignee: z.string().nullable().default(null),
  classification: z.enum(CLASSIFICATIONS).nullable().default(null),
  classificationReason: z.string().nullable().default(null),
  comment: z.string().nullable().default(null),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type Alert = z.output<typeof AlertSchema>;

/** What a detection hands to the engine; the engine fills ids, dedup and lifecycle fields. */
export interface AlertDraft {
  title: string;
  description?: string;
  severity?: Severity;
  /** Detection-specific dedup key part (e.g. country, IP); the engine prefixes detection and user. */
  key?: string;
  activityIds: string[];
  evidence: string[];
  details: Record<string, unknown>;
  ips?: string[];
  /** Overrides the alert's user (e.g. `null` for a password-spray alert about an IP, not one user). */
  user?: string | null;
  /**
   * The draft describes the whole episode so far (e.g. "12 failures in 15 min"): on an open alert its evidence
   * and description replace the old ones. Default: new evidence lines are appended.
   */
  cumulative?: boolean;
}
