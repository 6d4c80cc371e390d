/**
 * @module schema/rampart-format
 * The `rampart` NDJSON input format: one Activity (src/schema/activity.ts) per line. Enrichment fields may be
 * omitted (they are computed), as may `id` (derived from the content) and `receivedAt` (the read time).
 */
import { EARLIEST_EVENT_MS } from '../core/time.ts';
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';
import { stableId } from '../core/ids.ts';
import type { InputContext, InputFormat } from '../connectors/input-format.ts';
import { ActivitySchema, type Activity } from './activity.ts';

const RampartRecordSchema = ActivitySchema.extend({
  // Input only (stored activities keep validating whatever they hold): no event before 2000 is taken as real.
  time: ActivitySchema.shape.time.refine((s) => Date.parse(s) >= EARLIEST_EVENT_MS, { message: 'before 2000-01-01: not a plausible event time' }),
  id: ActivitySchema.shape.id.optional(),
  receivedAt: ActivitySchema.shape.receivedAt.optional(),
});

/** Short, path-qualified description of the first few problems, for reject messages. */
export function describeZodError(err: z.ZodError, max = 3): string {
  const parts = err.issues.slice(0, max).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (err.issues.length > max) parts.push(`and ${err.issues.length - max} more`);
  return parts.join('; ');
}

export const rampartFormat: InputFormat = {
  id: 'rampart',
  description: 'Rampart activity schema, one activity per line (docs/schema.md)',
  // Validating a record (zod) costs more than writing and reading its activity's JSON: hold the activity.
  scanHold: 'activity',
  detect: (r) => typeof r.action === 'string' && typeof r.time === 'string' && typeof r.app === 'string' && typeof r.actor === 'object',
  parse(record, ctx: InputContext): Activity[] {
    const parsed = RampartRecordSchema.safeParse(record);
    if (!parsed.success) throw new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', ['rampart', describeZodError(parsed.error)]);
    const r = parsed.data;
    const id = r.id ?? stableId('act', r.app, r.tenant, r.time, r.action, r.actor.id, r.actor.email, r.ip, r.target?.id);
    return [{ ...r, id, receivedAt: r.receivedAt ?? ctx.receivedAt, source: record.source === undefined ? ctx.source : r.source }];
  },
};
