/**
 * @module connectors/workplace/config
 * `connectors.workplace`: secrets are named by env var or file, never written in the config.
 * Base URLs default to Meta's real hosts (workplace-api.md §1, §3.4, §7); tests point them at the simulator.
 */
import { z } from 'zod';
import { SecretRefSchema } from '../../config/secret.ts';

export const WORKPLACE_GRAPH_BASE_URL = 'https://graph.workplace.com';
export const WORKPLACE_SCIM_BASE_URL = 'https://scim.workplace.com';
export const ADMIN_CENTER_BASE_URL = 'https://graph.work.meta.com';

const baseUrl = z.url({ protocol: /^https?$/ });

export const WorkplacePullConfigSchema = z
  .object({
    enabled: z.boolean().default(false),
    intervalSecs: z.number().int().min(1).max(86_400).default(60),
    baseUrl: baseUrl.default(ADMIN_CENTER_BASE_URL),
    /** Admin Center integration app id; the token is exchanged with `<appId>|<clientSecret>`. */
    appId: z.string().min(1).max(128).optional(),
    clientSecret: SecretRefSchema.optional(),
    pageSize: z.number().int().min(1).max(1000).default(100),
    /** First pull with no checkpoint starts this far back. */
    lookbackSecs: z.number().int().min(0).max(90 * 86_400).default(86_400),
  })
  .strict();

export const WorkplaceConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    communityId: z.string().min(1).optional(),
    /** Signs webhook deliveries (HMAC) and, when set, the Graph `appsecret_proof`. */
    appSecret: SecretRefSchema.optional(),
    verifyToken: SecretRefSchema.optional(),
    accessToken: SecretRefSchema.optional(),
    /** Accept deliveries signed only with the legacy sha1 `X-Hub-Signature`. */
    acceptSha1: z.boolean().default(false),
    /** Send `appsecret_proof` with Graph/SCIM calls (the integration's "App secret proof" setting). */
    appSecretProof: z.boolean().default(false),
    webhookPath: z.string().regex(/^\/[A-Za-z0-9/_-]*$/).default('/webhooks/workplace'),
    /** Deliveries arriving within this window are committed in one store transaction. */
    groupCommitMs: z.number().int().min(0).max(100).default(0),
    groupCommitMaxEvents: z.number().int().min(1).max(100_000).default(5_000),
    /** 0 disables the scheduled directory sync (on-demand sync still works). */
    directorySyncIntervalSecs: z.number().int().min(0).max(7 * 86_400).default(3_600),
    scimPageSize: z.number().int().min(1).max(1000).default(100),
    pull: WorkplacePullConfigSchema.default({
      enabled: false,
      intervalSecs: 60,
      baseUrl: ADMIN_CENTER_BASE_URL,
      pageSize: 100,
      lookbackSecs: 86_400,
    }),
    graphBaseUrl: baseUrl.default(WORKPLACE_GRAPH_BASE_URL),
    scimBaseUrl: baseUrl.default(WORKPLACE_SCIM_BASE_URL),
    requestTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
    /** Logs the connector health (status, events/min, errors, checkpoint) this often; 0 = never. */
    healthLogIntervalSecs: z.number().int().min(0).max(86_400).default(300),
  })
  .strict();

export type WorkplaceConfig = z.output<typeof WorkplaceConfigSchema>;
export type WorkplaceConfigInput = z.input<typeof WorkplaceConfigSchema>;
export type WorkplacePullConfig = z.output<typeof WorkplacePullConfigSchema>;
