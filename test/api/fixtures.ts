/** Test data built through the real schemas. */
import { randomUUID } from 'node:crypto';
import { ActivitySchema, type Activity, type ActivityInput } from '../../src/schema/activity.ts';
import { AlertSchema, type Alert } from '../../src/schema/alert.ts';

export function activity(p: Partial<ActivityInput> & { user?: string } = {}): Activity {
  const { user, ...rest } = p;
  const time = rest.time ?? new Date().toISOString();
  return ActivitySchema.parse({
    id: `act-${randomUUID()}`,
    time,
    receivedAt: time,
    app: 'workplace',
    tenant: 'acme',
    source: 'api',
    action: 'login',
    category: 'login',
    outcome: 'success',
    interactive: true,
    actor: { id: null, email: user ?? 'alice@acme.example', name: null },
    ...rest,
  });
}

let n = 0;
export function alert(p: Partial<Alert> = {}): Alert {
  const now = new Date().toISOString();
  n++;
  return AlertSchema.parse({
    id: `alert-${n}-${randomUUID().slice(0, 8)}`,
    detection: 'impossible_travel',
    title: `Test alert ${n}`,
    severity: 'medium',
    user: 'alice@acme.example',
    app: 'workplace',
    time: now,
    firstSeen: now,
    lastSeen: now,
    activityIds: [],
    evidence: ['because'],
    details: {},
    dedupKey: `k${n}`,
    createdAt: now,
    updatedAt: now,
    ...p,
  });
}
