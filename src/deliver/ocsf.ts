/**
 * @module deliver/ocsf
 * An alert as an OCSF 1.x Detection Finding (class 2004, category Findings 2), the export format for SIEMs
 * and data lakes that speak OCSF. Pure function; the mapping table is in docs/alert-delivery.md and the
 * output is checked against the class-2004 JSON Schema in test/fixtures/ocsf/.
 */
import type { Alert, MitreTactic, Severity } from '../schema/alert.ts';
import { alertLink } from './destination.ts';

/** OCSF schema version this mapping targets (metadata.version). */
export const OCSF_VERSION = '1.8.0';
export const PRODUCT = { name: 'Rampart', vendor_name: 'Rampart', version: '0.1.0' } as const;

const CLASS_UID = 2004;
const CATEGORY_UID = 2;

/** finding.activity_id: 1 Create, 2 Update, 3 Close. */
const ACTIVITIES = { 1: 'Create', 2: 'Update', 3: 'Close' } as const;

/** base_event.severity_id: 1 Informational, 2 Low, 3 Medium, 4 High (5 Critical and 6 Fatal unused). */
const SEVERITY_IDS: Record<Severity, [number, string]> = {
  informational: [1, 'Informational'],
  low: [2, 'Low'],
  medium: [3, 'Medium'],
  high: [4, 'High'],
};

/** MITRE ATT&CK Enterprise tactic ids. */
export const MITRE_TACTIC_IDS: Record<MitreTactic, [string, string]> = {
  initial_access: ['TA0001', 'Initial Access'],
  persistence: ['TA0003', 'Persistence'],
  privilege_escalation: ['TA0004', 'Privilege Escalation'],
  defense_evasion: ['TA0005', 'Defense Evasion'],
  credential_access: ['TA0006', 'Credential Access'],
  discovery: ['TA0007', 'Discovery'],
  collection: ['TA0009', 'Collection'],
  exfiltration: ['TA0010', 'Exfiltration'],
  impact: ['TA0040', 'Impact'],
};

/** observable.type_id values used here. */
const OBSERVABLE_TYPES = { ip: [2, 'IP Address'], userName: [4, 'User Name'], email: [5, 'Email Address'], resourceUid: [10, 'Resource UID'] } as const;

const ms = (iso: string): number => {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : 0;
};

/** finding.status_id: 1 New, 2 In Progress, 3 Suppressed (benign / false positive), 4 Resolved. */
function status(alert: Alert): [number, string] {
  if (alert.status === 'new') return [1, 'New'];
  if (alert.status === 'in_progress') return [2, 'In Progress'];
  if (alert.classification === 'false_positive' || alert.classification === 'benign_true_positive') return [3, 'Suppressed'];
  return [4, 'Resolved'];
}

function activityId(alert: Alert): 1 | 2 | 3 {
  if (alert.status === 'resolved') return 3;
  return alert.updatedAt !== alert.createdAt || alert.count > 1 ? 2 : 1;
}

export interface OcsfOptions {
  /** Base URL of the console, for finding_info.src_url. */
  consoleBaseUrl?: string;
}

export type OcsfDetectionFinding = Record<string, unknown> & {
  class_uid: 2004;
  category_uid: 2;
  type_uid: number;
  activity_id: number;
  severity_id: number;
  time: number;
  finding_info: { uid: string; title: string } & Record<string, unknown>;
  metadata: { product: Record<string, unknown>; version: string } & Record<string, unknown>;
};

export function toOcsfDetectionFinding(alert: Alert, opts: OcsfOptions = {}): OcsfDetectionFinding {
  const act = activityId(alert);
  const [severityId, severityName] = SEVERITY_IDS[alert.severity];
  const [statusId, statusName] = status(alert);
  const isPolicy = alert.detection.startsWith('policy:');
  const isEmail = alert.user?.includes('@') ?? false;

  const user: Record<string, unknown> = {};
  if (alert.user) {
    user.name = alert.user;
    if (isEmail) user.email_addr = alert.user;
  }
  if (alert.userId) user.uid = alert.userId;

  const evidences: Record<string, unknown>[] = [];
  if (Object.keys(user).length) evidences.push({ actor: { user } });
  for (const ip of alert.ips) evidences.push({ src_endpoint: { ip } });
  // Human-readable evidence and the detection's structured explanation ride in `data`.
  evidences.push({ data: { evidence: alert.evidence, details: alert.details } });

  const observables: Record<string, unknown>[] = [];
  if (alert.user) {
    const [typeId, typeName] = isEmail ? OBSERVABLE_TYPES.email : OBSERVABLE_TYPES.userName;
    observables.push({ name: isEmail ? 'evidences.actor.user.email_addr' : 'evidences.actor.user.name', type_id: typeId, type: typeName, value: alert.user });
  }
  for (const ip of alert.ips) observables.push({ name: 'evidences.src_endpoint.ip', type_id: OBSERVABLE_TYPES.ip[0], type: OBSERVABLE_TYPES.ip[1], value: ip });
  observables.push({ name: 'resources.uid', type_id: OBSERVABLE_TYPES.resourceUid[0], type: OBSERVABLE_TYPES.resourceUid[1], value: alert.app });

  const findingInfo: OcsfDetectionFinding['finding_info'] = {
    uid: alert.id,
    title: alert.title,
    types: [isPolicy ? 'Activity policy' : 'Anomaly detection'],
    analytic: isPolicy
      ? { uid: alert.detection, name: alert.detection.slice('policy:'.length), type_id: 1, type: 'Rule' }
      : { uid: alert.detection, name: alert.detection, type_id: 2, type: 'Behavioral' },
    created_time: ms(alert.createdAt),
    modified_time: ms(alert.updatedAt),
    first_seen_time: ms(alert.firstSeen),
    last_seen_time: ms(alert.lastSeen),
    related_events_count: alert.activityIds.length,
    related_events: alert.activityIds.map((uid) => ({ uid })),
  };
  if (alert.description) findingInfo.desc = alert.description;
  if (opts.consoleBaseUrl) findingInfo.src_url = alertLink(opts.consoleBaseUrl, alert.id);
  if (alert.mitreTactic) {
    const [uid, name] = MITRE_TACTIC_IDS[alert.mitreTactic];
    findingInfo.attacks = [{ tactic: { uid, name }, version: '15' }];
  }

  const finding: OcsfDetectionFinding = {
    activity_id: act,
    activity_name: ACTIVITIES[act],
    category_uid: CATEGORY_UID,
    category_name: 'Findings',
    class_uid: CLASS_UID,
    class_name: 'Detection Finding',
    type_uid: CLASS_UID * 100 + act,
    type_name: `Detection Finding: ${ACTIVITIES[act]}`,
    severity_id: severityId,
    severity: severityName,
    status_id: statusId,
    status: statusName,
    time: ms(alert.time),
    start_time: ms(alert.firstSeen),
    end_time: ms(alert.lastSeen),
    count: alert.count,
    timezone_offset: 0,
    message: alert.title,
    is_alert: true,
    finding_info: findingInfo,
    metadata: { product: { ...PRODUCT }, version: OCSF_VERSION, uid: `${alert.id}@${alert.updatedAt}`, logged_time: ms(alert.updatedAt) },
    evidences,
    observables,
    resources: [{ uid: alert.app, name: alert.app, type: 'SaaS application', ...(alert.tenant ? { group: { name: alert.tenant } } : {}) }],
    unmapped: {
      dedup_key: alert.dedupKey,
      assignee: alert.assignee,
      classification: alert.classification,
      classification_reason: alert.classificationReason,
    },
  };
  if (alert.comment) finding.comment = alert.comment;
  return finding;
}
