/**
 * @module proxy/record
 * Everything the proxy sees becomes an Activity (app of the protected app, source `proxy`), and a session policy
 * that asks for it raises an Alert with detection `session_policy:<name>`.
 */
import { randomId, stableId } from '../core/ids.ts';
import { ActivitySchema, type Activity, type Category } from '../schema/activity.ts';
import { AlertSchema, type Alert, type Severity } from '../schema/alert.ts';
import type { InspectionResult } from './inspect/inspector.ts';
import type { SessionUser } from './identity.ts';
import type { FileFacts } from './policy/filters.ts';
import type { SessionDecision } from './policy/policy-set.ts';
import type { SessionActivity } from './policy/schema.ts';

export const PROXY_ACTIONS: Record<SessionActivity, { action: string; category: Category }> = {
  login: { action: 'LOGIN', category: 'login' },
  view: { action: 'VIEW', category: 'content' },
  download: { action: 'FILE_DOWNLOAD', category: 'file' },
  upload: { action: 'FILE_UPLOAD', category: 'file' },
  share: { action: 'FILE_SHARE', category: 'file' },
};

export interface ActivityFacts {
  app: string;
  tenant: string;
  kind: SessionActivity;
  user: SessionUser | null;
  ip: string;
  userAgent: string | null;
  deviceTags: string[];
  objects: { type: string; id: string | null; name: string | null }[];
  target?: { type: string; id: string | null; email: string | null; name: string | null } | null;
  method: string;
  path: string;
}

/** A new activity for a request; outcome and raw details are filled when the response is known. */
export function newActivity(f: ActivityFacts): Activity {
  const now = new Date().toISOString();
  const spec = PROXY_ACTIONS[f.kind];
  return ActivitySchema.parse({
    id: randomId('pxy'),
    time: now,
    receivedAt: now,
    app: f.app,
    tenant: f.tenant,
    source: 'proxy',
    action: spec.action,
    category: spec.category,
    outcome: 'unknown',
    interactive: true,
    actor: { id: f.user?.id ?? null, email: f.user?.email ?? null, name: f.user?.name ?? null },
    target: f.target ?? null,
    objects: f.objects.slice(0, 50),
    ip: f.ip,
    userAgent: f.userAgent ? f.userAgent.slice(0, 4096) : null,
    device: { type: null, os: null, browser: null, tags: f.deviceTags },
    raw: { proxy: { method: f.method, path: f.path.slice(0, 2048), identity: f.user?.via ?? null } },
  });
}

export interface Outcome {
  status: number;
  decision: SessionDecision | null;
  file: FileFacts | null;
  inspection: InspectionResult | null;
  uninspectable: string | null;
  /** protect: password emailed */
  protectedDelivery?: { emailedTo: string } | null;
}

/** Fills the outcome and the explanation into the activity's raw record. */
export function completeActivity(a: Activity, o: Outcome): void {
  const blocked = o.decision?.action === 'block';
  a.outcome = blocked || o.status >= 400 ? 'failure' : 'success';
  const raw = (a.raw ?? {}) as { proxy: Record<string, unknown> };
  raw.proxy.status = o.status;
  if (o.file) raw.proxy.file = o.file;
  if (o.decision && o.decision.matches.length) {
    raw.proxy.decision = o.decision.action;
    raw.proxy.policies = o.decision.matches;
  }
  if (o.inspection) raw.proxy.inspection = { counts: o.inspection.counts, total: o.inspection.total, rejected: o.inspection.rejected, bytes: o.inspection.bytes, evidence: o.inspection.evidence };
  if (o.uninspectable) raw.proxy.uninspectable = o.uninspectable;
  if (o.protectedDelivery) raw.proxy.protected = o.protectedDelivery;
  a.raw = raw;
}

/** Alerts for the matched policies that ask for one. */
export function sessionAlerts(a: Activity, o: Outcome): Alert[] {
  if (!o.decision) return [];
  const out: Alert[] = [];
  const now = new Date().toISOString();
  for (const m of o.decision.matches) {
    if (!m.alert.create) continue;
    out.push(buildAlert(a, m.policy, m.action, m.alert.severity, m.reasons, o, now));
  }
  return out;
}

export function buildAlert(a: Activity, policy: string, action: string, severity: Severity, reasons: string[], o: Outcome, now = new Date().toISOString()): Alert {
  const user = a.actor.email ?? a.actor.id ?? null;
  const fileName = o.file?.name ? ` "${o.file.name}"` : '';
  const evidence = [
    `${a.action}${fileName} by ${user ?? 'an unknown user'} from ${a.ip ?? 'unknown IP'} (device tags: ${a.device?.tags.length ? a.device.tags.join(', ') : 'none, unmanaged'})`,
    `session policy ${policy}: ${action}`,
    ...reasons,
    ...(o.inspection?.evidence.slice(0, 5).map((e) => `${e.detector}: ${e.context}`) ?? []),
  ];
  return AlertSchema.parse({
    id: randomId('alr'),
    detection: `session_policy:${policy}`,
    title: `Session policy ${policy}: ${action === 'block' ? 'blocked' : action === 'protect' ? 'protected' : 'matched'} ${a.action.toLowerCase().replace(/_/g, ' ')}`,
    description: `The session proxy applied "${action}" to a ${a.action} in ${a.app}.`,
    severity,
    user,
    userId: a.actor.id,
    app: a.app,
    tenant: a.tenant,
    time: a.time,
    firstSeen: a.time,
    lastSeen: a.time,
    activityIds: [a.id],
    evidence,
    details: { policy, action, file: o.file, inspection: o.inspection ? { counts: o.inspection.counts, evidence: o.inspection.evidence } : null, deviceTags: a.device?.tags ?? [] },
    ips: a.ip ? [a.ip] : [],
    dedupKey: stableId('dk', 'session_policy', policy, user, a.id),
    createdAt: now,
    updatedAt: now,
  });
}
