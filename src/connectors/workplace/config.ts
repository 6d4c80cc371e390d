/**
 * @module connectors/workplace/config
 * `connectors.workplace`: secrets are named by env var or file, never written in the config.
 */
import { z } from 'zod';
import { SecretRefSchema } from '../../config/secret.ts';

export const WorkplaceConfigSchema = z
  .object({
    enabled: z.boolean().default(true),
    communityId: z.string().min(1).optional(),
    appSecret: SecretRefSchema.optional(),
    verifyToken: SecretRefSchema.optional(),
    accessToken: SecretRefSchema.optional(),
  })
  .strict();

export type WorkplaceConfig = z.output<typeof WorkplaceConfigSchema>;
