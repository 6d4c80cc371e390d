/** @module api/routes/detections  The registered detections (built-ins and policies) with their settings. */
import { z } from 'zod';
import { MITRE_TACTICS, SEVERITIES } from '../../schema/alert.ts';
import type { ApiContext } from '../context.ts';
import { route } from '../route.ts';

export function detectionRoutes(ctx: ApiContext) {
  return [
    route({
      method: 'GET',
      url: '/api/detections',
      access: 'viewer',
      tag: 'detections',
      summary: 'Registered detections with their settings (from the config file, `detections.<id>`)',
      response: z.object({
        learningDays: z.number(),
        lookbackDays: z.number(),
        items: z.array(
          z.object({
            id: z.string(),
            title: z.string(),
            kind: z.enum(['builtin', 'policy']),
            defaultSeverity: z.enum(SEVERITIES),
            mitreTactic: z.enum(MITRE_TACTICS).nullable(),
            learns: z.boolean(),
            settings: z.record(z.string(), z.unknown()).nullable(),
          }),
        ),
      }),
      handler: async () => {
        const cfg = ctx.engine.config as unknown as Record<string, unknown> & { learningDays: number; lookbackDays: number };
        return {
          learningDays: cfg.learningDays,
          lookbackDays: cfg.lookbackDays,
          items: ctx.engine.detections.map((d) => {
            const s = cfg[d.id];
            return {
              id: d.id,
              title: d.title,
              kind: d.id.startsWith('policy:') ? ('policy' as const) : ('builtin' as const),
              defaultSeverity: d.defaultSeverity,
              mitreTactic: d.mitreTactic,
              learns: d.learns,
              settings: s && typeof s === 'object' ? (s as Record<string, unknown>) : null,
            };
          }),
        };
      },
    }),
  ];
}
