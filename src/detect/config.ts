/**
 * @module detect/config
 * Config of the built-in detections, `detections.<id>` in the config file. The detections issue owns this
 * schema; each detection's own options join here.
 */
import { z } from 'zod';

export const DetectionCommonSchema = z
  .object({
    enabled: z.boolean().default(true),
    severity: z.enum(['informational', 'low', 'medium', 'high']).optional(),
    includeUsers: z.array(z.string()).default([]),
    includeGroups: z.array(z.string()).default([]),
    excludeUsers: z.array(z.string()).default([]),
    excludeGroups: z.array(z.string()).default([]),
  })
  .strict();

export const DetectionsConfigSchema = z
  .object({
    learningDays: z.number().int().min(0).max(365).default(7),
    lookbackDays: z.number().int().min(1).max(365).default(30),
  })
  .catchall(z.unknown())
  .default({ learningDays: 7, lookbackDays: 30 });
