/**
 * @module detect/builtin/ip-reputation
 * Shared logic of anonymous_ip and suspicious_ip: a successful interactive activity from an address the
 * enrichment flagged (category or tags), unless the organisation's own ranges trust it (custom beats built-in)
 * or the address is widely used by the organisation's users (MDCA reduces "mis-tagged IP addresses that are
 * widely used by users in the organization"). No learning period.
 */
import type { Activity } from '../../schema/activity.ts';
import type { AlertDraft, MitreTactic, Severity } from '../../schema/alert.ts';
import type { AnonymousIpConfig } from '../config.ts';
import { NO_ALERTS, type Detection, type DetectionContext } from '../detection.ts';
import { isCountedSignIn, placeOf } from './common.ts';

interface IpUse {
  users: Set<string>;
  lastMs: number;
}

/** Distinct users remembered per flagged address: enough to decide "widely used", bounded. */
const MAX_USERS_PER_IP = 1000;

export abstract class IpReputationDetection implements Detection {
  abstract readonly id: string;
  abstract readonly title: string;
  abstract readonly defaultSeverity: Severity;
  abstract readonly mitreTactic: MitreTactic;
  readonly learns = false;
  /** Reads the activity's IP verdict (ctx.fields on the hot path). */
  protected abstract reason(a: Pick<Activity, 'ipCategory' | 'ipTags' | 'asn'>): string | null;
  protected abstract describe(a: Activity, reason: string): { title: string; what: string };
  readonly #cfg: AnonymousIpConfig;
  /** Flagged addresses only: `tenant|ip` -> distinct users seen from it. */
  readonly #ips = new Map<string, IpUse>();

  constructor(cfg: AnonymousIpConfig) {
    this.#cfg = cfg;
  }

  evaluate(a: Activity, ctx: DetectionContext): AlertDraft[] {
    const f = ctx.fields;
    const ip = f.ip;
    if (ctx.user === null || ip === null || !isCountedSignIn(f, this.#cfg)) return NO_ALERTS;
    const reason = this.reason(f);
    if (reason === null) return NO_ALERTS;
    const cfg = this.#cfg;
    const k = `${a.tenant}|${ip}`;
    let use = this.#ips.get(k);
    if (!use) this.#ips.set(k, (use = { users: new Set(), lastMs: ctx.timeMs }));
    if (use.users.size < MAX_USERS_PER_IP) use.users.add(ctx.user);
    if (ctx.timeMs > use.lastMs) use.lastMs = ctx.timeMs;
    const orgUsers = ctx.tenantUserCount(a.tenant);
    const ipUsers = use.users.size;
    if (cfg.orgShareSuppression > 0 && ipUsers >= cfg.orgShareMinUsers && ipUsers >= cfg.orgShareSuppression * orgUsers) return NO_ALERTS;
    const { title, what } = this.describe(a, reason);
    return [
      {
        title,
        description: `${what}: ${a.ip} (${reason}).`,
        key: ip,
        activityIds: [a.id],
        evidence: [
          `${what}: ${a.ip} (${reason})`,
          `Activity "${a.action}" at ${a.time}${a.geo?.country ? ` from ${placeOf(a)}` : ''}${a.isp ? `, ISP ${a.isp}` : ''}${a.asn !== null ? ` AS${a.asn}` : ''}`,
          `${ipUsers} of ${orgUsers} organisation users seen from this address (suppressed at ${Math.round(cfg.orgShareSuppression * 100)}% and ${cfg.orgShareMinUsers} users)`,
        ],
        details: {
          ip: a.ip,
          reason,
          ipCategory: a.ipCategory,
          ipTags: a.ipTags,
          country: a.geo?.country ?? null,
          city: a.geo?.city ?? null,
          asn: a.asn,
          isp: a.isp,
          usersFromIp: ipUsers,
          organisationUsers: orgUsers,
        },
      },
    ];
  }

  prune(beforeMs: number): void {
    for (const [k, u] of this.#ips) if (u.lastMs < beforeMs) this.#ips.delete(k);
  }

  exportState(): unknown {
    return { ips: [...this.#ips].map(([k, u]) => [k, [...u.users], u.lastMs]) };
  }

  importState(state: unknown): void {
    const s = state as { ips: Array<[string, string[], number]> };
    if (!Array.isArray(s?.ips)) throw new Error('expected an ips array');
    this.#ips.clear();
    for (const [k, users, lastMs] of s.ips) this.#ips.set(k, { users: new Set(users), lastMs });
  }
}
