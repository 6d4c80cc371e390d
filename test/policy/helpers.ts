/** Builders for policy tests: full Activity objects from a few fields. */
import { ActivitySchema, type Activity, type ActivityInput } from '../../src/schema/activity.ts';

let seq = 0;

export function act(over: Partial<ActivityInput> & { at?: string | number } = {}): Activity {
  const { at, ...rest } = over;
  const time = at === undefined ? '2026-03-02T10:00:00.000Z' : typeof at === 'number' ? new Date(Date.parse('2026-03-02T10:00:00.000Z') + at * 1000).toISOString() : at;
  return ActivitySchema.parse({
    id: `a${++seq}`,
    time,
    receivedAt: time,
    app: 'workplace',
    action: 'USER_LOGIN',
    actor: { id: 'u1', email: 'alice@example.com', name: 'Alice' },
    ...rest,
  });
}
