/**
 * @module api/settings
 * Settings changed at run time through the API (the config file holds the rest), kept as one Store document.
 */
import { z } from 'zod';
import { SEVERITIES } from '../schema/alert.ts';
import type { Store } from '../store/store.ts';

export const SETTINGS_DOC = { kind: 'api_settings', id: 'default' } as const;

/**
 * Investigation priority (mdca-semantics.md section 4: "the sum of all risky activities and alerts over the
 * last 7 days"): each alert adds the weight of its severity, each risky activity the weight of its kind.
 */
export const PriorityWeightsSchema = z
  .object({
    alert: z.object(Object.fromEntries(SEVERITIES.map((s) => [s, z.number().min(0).max(1000)])) as Record<(typeof SEVERITIES)[number], z.ZodNumber>).strict(),
    /** From an IP in a risky, Tor or anonymizer category. */
    riskyIp: z.number().min(0).max(1000),
    /** A failed sign-in. */
    failedSignIn: z.number().min(0).max(1000),
    /** An impersonated activity. */
    impersonated: z.number().min(0).max(1000),
  })
  .strict();
export type PriorityWeights = z.output<typeof PriorityWeightsSchema>;

export const DEFAULT_PRIORITY_WEIGHTS: PriorityWeights = {
  alert: { informational: 1, low: 5, medium: 10, high: 20 },
  riskyIp: 2,
  failedSignIn: 1,
  impersonated: 1,
};

export const SettingsSchema = z
  .object({
    /** Shown in the console header. */
    organizationName: z.string().max(200).default(''),
    priorityWeights: PriorityWeightsSchema.default(DEFAULT_PRIORITY_WEIGHTS),
  })
  .strict();
export type Settings = z.output<typeof SettingsSchema>;

/** A change: only the keys given are changed (no defaults, which would reset the others). */
export const SettingsPatchSchema = z
  .object({ organizationName: z.string().max(200).optional(), priorityWeights: PriorityWeightsSchema.optional() })
  .strict();

export async function readSettings(store: Store): Promise<Settings> {
  const doc = await store.getDoc(SETTINGS_DOC.kind, SETTINGS_DOC.id);
  const parsed = SettingsSchema.safeParse(doc?.body ?? {});
  return parsed.success ? parsed.data : SettingsSchema.parse({});
}
