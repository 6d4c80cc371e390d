/**
 * @module enrich/enricher
 * Enrichment fills an activity's geo, asn/isp, ipCategory/ipTags, device and userAgentTags from its ip and
 * userAgent. It is synchronous and offline on the hot path (databases and lists are loaded at start).
 */
import type { Activity } from '../schema/activity.ts';

export interface Enricher {
  /** Mutates `activity` in place. Never throws: a lookup failure leaves the fields as they were. */
  enrich(activity: Activity): void;
}
