/**
 * @module api/suppressions
 * Triage feedback (issue: alert lifecycle): resolving an alert as a false positive or benign true positive can
 * add a suppression for this detection and user, narrowed to the alert's IP or ISP, for good or for a number of
 * days (a tuning decision that lapses by itself cannot hide a later attack forever). Suppressions are listed,
 * count their hits, and are removed by a person or lapse at `expiresAt`; the pipeline stores a matching new alert already resolved
 * (never silently dropped). Kept as Store documents of kind `suppression`, cached in memory.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AlertSuppressor } from '../core/pipeline.ts';
import type { Alert, Classification } from '../schema/alert.ts';
import type { Store } from '../store/store.ts';

export const SUPPRESSION_KIND = 'suppression';
export const SUPPRESS_BY = ['user', 'ip', 'isp'] as const;

export const SuppressionSchema = z.object({
  id: z.string(),
  detection: z.string(),
  /** Null: every user (never created from the API, which always narrows to the alert's user). */
  user: z.string().nullable(),
  ip: z.string().nullable(),
  isp: z.string().nullable(),
  classification: z.enum(['true_positive', 'benign_true_positive', 'false_positive']),
  reason: z.string().nullable(),
  comment: z.string().nullable(),
  fromAlert: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
  /** Null: until removed. Past: listed, but matches nothing. */
  expiresAt: z.string().nullable(),
  hits: z.number().int(),
  lastHitAt: z.string().nullable(),
});
export type Suppression = z.output<typeof SuppressionSchema>;

export class Suppressions implements AlertSuppressor {
  readonly #store: Store;
  readonly #now: () => number;
  #cache: Map<string, Suppression> | null = null;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  async #all(): Promise<Map<string, Suppression>> {
    if (!this.#cache) this.#cache = new Map((await this.#store.listDocs<Suppression>(SUPPRESSION_KIND)).map((d) => [d.id, d.body]));
    return this.#cache;
  }

  async list(): Promise<Suppression[]> {
    return [...(await this.#all()).values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
  }

  async add(input: { alert: Alert; by: readonly (typeof SUPPRESS_BY)[number][]; isp: string | null; classification: Classification; reason: string | null; comment: string | null; createdBy: string; now: string; forDays?: number | null }): Promise<Suppression> {
    const a = input.alert;
    const s: Suppression = {
      id: `sup_${randomBytes(8).toString('hex')}`,
      detection: a.detection,
      user: a.user?.toLowerCase() ?? null,
      ip: input.by.includes('ip') ? (a.ips[0] ?? null) : null,
      isp: input.by.includes('isp') ? input.isp : null,
      classification: input.classification,
      reason: input.reason,
      comment: input.comment,
      fromAlert: a.id,
      createdBy: input.createdBy,
      createdAt: input.now,
      expiresAt: input.forDays ? new Date(Date.parse(input.now) + input.forDays * 86_400_000).toISOString() : null,
      hits: 0,
      lastHitAt: null,
    };
    await this.#store.putDoc({ kind: SUPPRESSION_KIND, id: s.id, body: s, updatedAt: s.createdAt });
    (await this.#all()).set(s.id, s);
    return s;
  }

  async remove(id: string): Promise<boolean> {
    const removed = await this.#store.deleteDoc(SUPPRESSION_KIND, id);
    (await this.#all()).delete(id);
    return removed;
  }

  /** The first suppression matching a new alert (its hit is counted), or null. */
  async check(alert: Alert): Promise<{ id: string; classification: Classification; reason: string | null } | null> {
    const user = alert.user?.toLowerCase() ?? null;
    let isp: string | null | undefined;
    const now = this.#now();
    for (const s of (await this.#all()).values()) {
      // Documents written before expiry existed have no expiresAt: they last until removed.
      if (s.expiresAt && Date.parse(s.expiresAt) <= now) continue;
      if (s.detection !== alert.detection || (s.user !== null && s.user !== user)) continue;
      if (s.ip !== null && !alert.ips.includes(s.ip)) continue;
      if (s.isp !== null) {
        isp ??= await this.#ispOf(alert);
        if (isp?.toLowerCase() !== s.isp.toLowerCase()) continue;
      }
      const hit: Suppression = { ...s, hits: s.hits + 1, lastHitAt: new Date(now).toISOString() };
      this.#cache!.set(s.id, hit);
      await this.#store.putDoc({ kind: SUPPRESSION_KIND, id: s.id, body: hit, updatedAt: hit.lastHitAt! });
      return { id: s.id, classification: s.classification, reason: s.reason };
    }
    return null;
  }

  /** The ISP of the alert's latest activity. */
  async #ispOf(alert: Alert): Promise<string | null> {
    const id = alert.activityIds[alert.activityIds.length - 1];
    return id ? ((await this.#store.getActivity(id))?.isp ?? null) : null;
  }
}
