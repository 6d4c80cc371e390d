/**
 * @module api/audit
 * The audit log of Rampart itself: who changed what, when, and from where. Every state-changing API request
 * is recorded (success or failure) by the guard; handlers add what and which target. Stored as Store
 * documents of kind `audit`, ids sortable by time, so both drivers keep it with no schema change.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Store } from '../store/store.ts';

export const AUDIT_KIND = 'audit';

export const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  /** `alice@acme.example`, `token:<name>(<id>)`, `anonymous` or `system`. */
  actor: z.string(),
  actorKind: z.enum(['session', 'token', 'anonymous', 'system']),
  role: z.string().nullable(),
  /** Client address and user agent of the request. */
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  method: z.string(),
  /** The route pattern, e.g. `/api/alerts/:id`. */
  route: z.string(),
  status: z.number().int(),
  outcome: z.enum(['success', 'failure']),
  /** What changed, e.g. `alert.update`, `auth.login`; defaults to `<METHOD> <route>`. */
  action: z.string(),
  target: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.output<typeof AuditEntrySchema>;

export interface AuditQuery {
  actor?: string;
  action?: string;
  from?: string;
  to?: string;
  limit?: number;
  /** The id of the last entry of the previous page. */
  cursor?: string | null;
}

const MAX_DETAIL_CHARS = 4000;

export class AuditLog {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async record(e: Omit<AuditEntry, 'id' | 'at'> & { at?: string }): Promise<AuditEntry> {
    const at = e.at ?? new Date().toISOString();
    let details = e.details;
    if (JSON.stringify(details).length > MAX_DETAIL_CHARS) details = { truncated: true, keys: Object.keys(details).slice(0, 50) };
    const entry: AuditEntry = { ...e, details, userAgent: e.userAgent?.slice(0, 256) ?? null, at, id: `${at}_${randomBytes(6).toString('hex')}` };
    await this.#store.putDoc({ kind: AUDIT_KIND, id: entry.id, body: entry, updatedAt: at });
    return entry;
  }

  /** Newest first. */
  async query(q: AuditQuery = {}): Promise<{ items: AuditEntry[]; next: string | null }> {
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const docs = await this.#store.listDocs<AuditEntry>(AUDIT_KIND);
    const items: AuditEntry[] = [];
    for (let i = docs.length - 1; i >= 0; i--) {
      const e = docs[i].body;
      if (q.cursor && e.id >= q.cursor) continue;
      if (q.actor && e.actor.toLowerCase() !== q.actor.toLowerCase()) continue;
      if (q.action && e.action !== q.action) continue;
      if (q.from && e.at < q.from) continue;
      if (q.to && e.at >= q.to) continue;
      if (items.length === limit) return { items, next: items[items.length - 1].id };
      items.push(e);
    }
    return { items, next: null };
  }
}
