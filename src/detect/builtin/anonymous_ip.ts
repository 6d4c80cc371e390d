/**
 * @module detect/builtin/anonymous_ip
 * A successful interactive activity from a Tor exit, an anonymizing proxy or a commercial anonymizing VPN,
 * per the enrichment (built-in intel works offline; feeds and org ranges/tags add to it; org corporate/vpn
 * ranges override it). No learning period.
 */
import type { Activity } from '../../schema/activity.ts';
import { anonymousReason, TOR_TAGS } from '../ip-intel.ts';
import { IpReputationDetection } from './ip-reputation.ts';

export class AnonymousIp extends IpReputationDetection {
  readonly id = 'anonymous_ip';
  readonly title = 'Activity from an anonymous IP address';
  readonly defaultSeverity = 'medium' as const;
  readonly mitreTactic = 'initial_access' as const;

  protected reason(a: Pick<Activity, 'ipCategory' | 'ipTags' | 'asn'>): string | null {
    return anonymousReason(a);
  }

  protected describe(a: Activity): { title: string; what: string } {
    // Whole tag names: a substring test made "Vendor monitoring" or "Storage" a Tor exit.
    const tor = a.ipCategory === 'tor' || a.ipTags.some((t) => TOR_TAGS.has(t.toLowerCase()));
    return { title: `Activity from ${tor ? 'a Tor exit node' : 'an anonymous IP address'}: ${a.ip}`, what: tor ? 'Tor exit node' : 'Anonymizing proxy or VPN service' };
  }
}
