/**
 * @module detect/builtin/suspicious_ip
 * A successful interactive activity from an address in threat intelligence (feeds: botnet, C&C, scanning,
 * brute force) or in an organisation range of category `risky`. No learning period.
 */
import type { Activity } from '../../schema/activity.ts';
import { suspiciousReason } from '../ip-intel.ts';
import { IpReputationDetection } from './ip-reputation.ts';

export class SuspiciousIp extends IpReputationDetection {
  readonly id = 'suspicious_ip';
  readonly title = 'Successful activity from a suspicious IP address';
  readonly defaultSeverity = 'high' as const;
  readonly mitreTactic = 'initial_access' as const;

  protected reason(a: Pick<Activity, 'ipCategory' | 'ipTags' | 'asn'>): string | null {
    return suspiciousReason(a);
  }

  protected describe(a: Activity): { title: string; what: string } {
    return { title: `Successful activity from a suspicious IP address: ${a.ip}`, what: a.ipCategory === 'risky' ? 'Address in an organisation range marked risky' : 'Address listed by threat intelligence' };
  }
}
