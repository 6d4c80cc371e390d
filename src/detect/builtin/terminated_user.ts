/**
 * @module detect/builtin/terminated_user
 * Any activity by a user whom the directory reports as deactivated or terminated at that time (Workplace SCIM
 * `active=false` / termDate; later an IdP). The directory is the only state, so a reactivated user stops
 * matching as soon as the directory says so. No learning period, no state (the engine caches the directory's
 * answer per user).
 */
import type { Activity } from '../../schema/activity.ts';
import type { AlertDraft } from '../../schema/alert.ts';
import { endedAtMs } from '../../schema/directory.ts';
import type { TerminatedUserConfig } from '../config.ts';
import { NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { formatDuration } from './common.ts';

export class TerminatedUser implements Detection {
  readonly id = 'terminated_user';
  readonly title = 'Activity performed by a terminated user';
  readonly defaultSeverity = 'high' as const;
  readonly mitreTactic = 'persistence' as const;
  readonly learns = false;
  readonly #cfg: TerminatedUserConfig;

  constructor(cfg: TerminatedUserConfig) {
    this.#cfg = cfg;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    if (!this.#cfg.includeFailed && ctx.fields.outcome === 'failure') return NO_ALERTS;
    const u = ctx.endedDirectoryUser(a);
    if (u === null) return NO_ALERTS;
    const ended = endedAtMs(u, ctx.timeMs);
    if (ended === undefined) return NO_ALERTS;
    const afterSecs = Number.isNaN(ended) ? null : (ctx.timeMs - ended) / 1000;
    if (afterSecs !== null && afterSecs < this.#cfg.graceSecs) return NO_ALERTS;
    const status = [!u.active ? 'active=false' : null, u.deactivatedAt ? `deactivated ${u.deactivatedAt}` : null, u.termDate ? `term date ${u.termDate}` : null]
      .filter(Boolean)
      .join(', ');
    return [
      {
        title: `Activity by terminated user ${u.email ?? u.id}`,
        description: `The directory reports this account as ended (${status}), yet it performed "${a.action}".`,
        activityIds: [a.id],
        evidence: [
          `Directory: ${status}`,
          `Activity "${a.action}" (${a.outcome}) at ${a.time}${afterSecs !== null ? `, ${formatDuration(afterSecs)} after the account ended` : ''}${a.ip ? ` from ${a.ip}` : ''}`,
        ],
        details: {
          directoryUserId: u.id,
          email: u.email,
          active: u.active,
          deactivatedAt: u.deactivatedAt,
          termDate: u.termDate,
          action: a.action,
          outcome: a.outcome,
          secondsAfterEnd: afterSecs === null ? null : Math.round(afterSecs),
        },
      },
    ];
  }
}
