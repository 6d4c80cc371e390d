/**
 * @module schema/activity
 * The one normalized record for every SaaS activity. Field names are a public contract: policies, the API,
 * exports and the `rampart` NDJSON input format use them. docs/schema.md documents each field.
 */
import { parseIsoInstant } from '../core/time.ts';
import { z } from 'zod';

export const ACTIVITY_SCHEMA_VERSION = 1;

export const CATEGORIES = ['login', 'logout', 'admin', 'account', 'file', 'content', 'integration', 'other'] as const;
export const OUTCOMES = ['success', 'failure', 'unknown'] as const;
/** Organisation IP range categories (MDCA semantics) plus `tor`/`anonymizer`/`hosting`/`private` from built-in intel. */
export const IP_CATEGORIES = [
  'corporate',
  'administrative',
  'risky',
  'vpn',
  'cloud_provider',
  'other',
  'anonymizer',
  'tor',
  'hosting',
  'private',
] as const;

export type Category = (typeof CATEGORIES)[number];
export type Outcome = (typeof OUTCOMES)[number];
export type IpCategory = (typeof IP_CATEGORIES)[number];

/** ISO-8601 instant with an explicit offset (core/time.ts: no guessing), normalised to UTC with milliseconds. */
export const isoTime = z
  .string()
  .max(64)
  .refine((s) => !Number.isNaN(parseIsoInstant(s)), { message: 'not an ISO-8601 date-time with a time zone offset (e.g. 2026-03-01T09:00:00Z)' })
  .transform((s) => new Date(parseIsoInstant(s)).toISOString());

const shortStr = z.string().max(1024);
const idStr = z.string().min(1).max(512);

export const PersonSchema = z.object({
  id: idStr.nullable().default(null),
  email: shortStr.nullable().default(null),
  name: shortStr.nullable().default(null),
});

export const TargetSchema = z.object({
  type: z.string().max(64),
  id: idStr.nullable().default(null),
  email: shortStr.nullable().default(null),
  name: shortStr.nullable().default(null),
});

export const ObjectRefSchema = z.object({
  type: z.string().max(64),
  id: idStr.nullable().default(null),
  name: shortStr.nullable().default(null),
});

export const GeoSchema = z.object({
  country: z.string().max(8).nullable().default(null),
  city: shortStr.nullable().default(null),
  lat: z.number().min(-90).max(90).nullable().default(null),
  lon: z.number().min(-180).max(180).nullable().default(null),
});

export const DeviceSchema = z.object({
  type: z.string().max(32).nullable().default(null),
  os: z.string().max(128).nullable().default(null),
  browser: z.string().max(128).nullable().default(null),
  /** Device tags from session control, e.g. "Valid client certificate". */
  tags: z.array(z.string().max(128)).max(32).default([]),
});

export const ActivitySchema = z.object({
  v: z.literal(ACTIVITY_SCHEMA_VERSION).default(ACTIVITY_SCHEMA_VERSION),
  id: idStr,
  time: isoTime,
  receivedAt: isoTime,
  app: z.string().min(1).max(64),
  tenant: z.string().max(256).default(''),
  /** Where Rampart got it: webhook, pull, directory, scan, proxy, api. */
  source: z.string().max(32).default('scan'),
  action: z.string().min(1).max(256),
  category: z.enum(CATEGORIES).default('other'),
  outcome: z.enum(OUTCOMES).default('unknown'),
  interactive: z.boolean().default(false),
  isAdminActivity: z.boolean().default(false),
  impersonated: z.boolean().default(false),
  impersonator: z.object({ id: idStr.nullable().default(null), email: shortStr.nullable().default(null) }).nullable().default(null),
  actor: PersonSchema,
  target: TargetSchema.nullable().default(null),
  objects: z.array(ObjectRefSchema).max(1000).default([]),
  ip: z.string().max(64).nullable().default(null),
  userAgent: z.string().max(4096).nullable().default(null),
  // Enrichment (filled by src/enrich; values given in input are kept only where enrichment finds nothing).
  geo: GeoSchema.nullable().default(null),
  asn: z.number().int().nonnegative().nullable().default(null),
  isp: shortStr.nullable().default(null),
  ipCategory: z.enum(IP_CATEGORIES).nullable().default(null),
  ipTags: z.array(z.string().max(128)).max(64).default([]),
  device: DeviceSchema.nullable().default(null),
  userAgentTags: z.array(z.string().max(64)).max(16).default([]),
  /** The original payload, kept verbatim. */
  raw: z.unknown().default(null),
});

export type Activity = z.output<typeof ActivitySchema>;
export type ActivityInput = z.input<typeof ActivitySchema>;
export type Person = z.output<typeof PersonSchema>;
export type Geo = z.output<typeof GeoSchema>;

/** The user an activity is attributed to: actor email when known, else actor id (the alert `user` rule). */
export const userKey = (a: Pick<Activity, 'actor'>): string | null => a.actor.email?.toLowerCase() ?? a.actor.id ?? null;

/**
 * Mapping of each category to its OCSF class (peers.md section 7). Exports and the OCSF view use it.
 */
export const OCSF_CLASS_BY_CATEGORY: Record<Category, { uid: number; name: string }> = {
  login: { uid: 3002, name: 'Authentication' },
  logout: { uid: 3002, name: 'Authentication' },
  account: { uid: 3001, name: 'Account Change' },
  admin: { uid: 3004, name: 'Entity Management' },
  integration: { uid: 6003, name: 'API Activity' },
  file: { uid: 6001, name: 'Web Resources Activity' },
  content: { uid: 6001, name: 'Web Resources Activity' },
  other: { uid: 6003, name: 'API Activity' },
};
