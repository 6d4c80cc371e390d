/**
 * @module simulator/scenarios
 * Attacks injected on demand. Each writes its events into the tenant (so they are in the audit log and, with
 * auto-delivery, sent by webhook) and returns them with a label, so a test knows exactly what should alert.
 */
import { FACTS } from './facts.ts';
import { NETWORK, countryIp, hostingIp, torIp, utcOffsetHours } from './network.ts';
import type { SimUser } from './org.ts';
import type { Rng } from './rng.ts';
import type { RecordedEvent, SecurityEventValue, Tenant } from './tenant.ts';

export const SCENARIOS = ['credential_stuffing', 'impossible_travel', 'tor_login', 'admin_burst', 'deactivated_activity', 'impersonation'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioOptions {
  /** The victim (or, for admin_burst, the compromised admin). Default: picked by the seeded rng. */
  userId?: string;
  /** Simulated time of the first event (ms). Default: the clock's now. */
  atMs?: number;
  /** credential_stuffing: failed attempts before the success (default 12); admin_burst: actions (default 15). */
  count?: number;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  /** Human label, e.g. "credential stuffing against ana.souza@… from 68.183.17.4 (US), then success". */
  label: string;
  /** The user the scenario is about (victim or compromised admin). */
  userId: string;
  /** The attacker's address(es). */
  ips: string[];
  events: RecordedEvent[];
  values: SecurityEventValue[];
}

const MIN = 60_000;

function pickUser(t: Tenant, rng: Rng, pred: (u: SimUser) => boolean, userId?: string): SimUser {
  if (userId) {
    const u = t.userById(userId) ?? t.userByEmail(userId);
    if (!u) throw new Error(`scenario: no user ${userId}`);
    return u;
  }
  const pool = t.users.filter(pred);
  if (!pool.length) throw new Error('scenario: no suitable user in the organisation');
  return rng.pick(pool);
}

const regular = (u: SimUser) => u.active && u.claimed && !u.isAdmin;

/** Countries far from `home` (at least 7 hours of UTC offset apart), for impossible travel. */
function farCountry(home: string, rng: Rng): string {
  const h = utcOffsetHours(home);
  const far = Object.keys(NETWORK.countries).filter((c) => Math.abs(utcOffsetHours(c) - h) >= 7);
  return rng.pick(far.length ? far : Object.keys(NETWORK.countries).filter((c) => c !== home));
}

export function runScenario(t: Tenant, rng: Rng, name: ScenarioName, opts: ScenarioOptions = {}): ScenarioResult {
  const start = opts.atMs ?? t.clock.now();
  const events: RecordedEvent[] = [];
  const off = t.onEvent((e) => events.push(e));
  let label = '';
  let user: SimUser;
  const ips: string[] = [];
  try {
    switch (name) {
      case 'credential_stuffing': {
        user = pickUser(t, rng, (u) => regular(u) && u.authMethod === 'password', opts.userId);
        const src = hostingIp(rng, rng.pick(['US', 'NL', 'SG', 'FR']));
        ips.push(src.ip);
        const ua = rng.pick(NETWORK.userAgents.attacker);
        const n = opts.count ?? 12;
        // Other accounts tried from the same address first (a spray), then the victim repeatedly, then success.
        for (let i = 0; i < Math.min(5, n); i++) {
          const other = pickUser(t, rng, regular);
          t.emit('USER_LOGIN_FAILED', other, other, { ...src, ua, timeMs: start + i * 2000 });
        }
        for (let i = 0; i < n; i++) t.emit('USER_LOGIN_FAILED', user, user, { ...src, ua, timeMs: start + 10_000 + i * 3000 });
        t.emit('USER_LOGIN', user, user, { ...src, ua, timeMs: start + 10_000 + n * 3000 + 5000 });
        label = `credential stuffing from ${src.ip} (${src.country}, hosting) against ${user.email}: ${n} failures then a successful login`;
        break;
      }
      case 'impossible_travel': {
        user = pickUser(t, rng, regular, opts.userId);
        const home = user.profile.home;
        const far = farCountry(home, rng);
        const ip1 = user.profile.homeIp;
        const ip2 = countryIp(far, 'broadband', rng);
        ips.push(ip2);
        t.emit('USER_LOGIN', user, user, { ip: ip1, country: home, ua: user.profile.desktopUa, timeMs: start });
        t.emit('USER_LOGIN', user, user, { ip: ip2, country: far, ua: rng.pick(NETWORK.userAgents.desktop), timeMs: start + 25 * MIN });
        label = `impossible travel: ${user.email} logged in from ${home} (${ip1}) then ${far} (${ip2}) 25 minutes later`;
        break;
      }
      case 'tor_login': {
        user = pickUser(t, rng, regular, opts.userId);
        const tor = torIp(rng);
        ips.push(tor.ip);
        t.emit('USER_LOGIN', user, user, { ...tor, ua: NETWORK.userAgents.tor[0], timeMs: start });
        label = `login from Tor exit ${tor.ip} by ${user.email}`;
        break;
      }
      case 'admin_burst': {
        user = pickUser(t, rng, (u) => u.isAdmin && u.active, opts.userId);
        const src = hostingIp(rng, rng.pick(['SG', 'IN', 'NL']));
        ips.push(src.ip);
        const ua = rng.pick(NETWORK.userAgents.attacker);
        const n = opts.count ?? 15;
        const ctx = (i: number) => ({ ...src, ua, timeMs: start + i * 20_000 });
        t.emit('USER_LOGIN', user, user, ctx(0));
        const victims = t.users.filter((u) => regular(u) && u !== user);
        rng.shuffle(victims);
        for (let i = 0; i < n && i < victims.length; i++) {
          const v = victims[i];
          const k = i % 3;
          if (k === 0) t.setActive(v, false, user, ctx(i + 1));
          else if (k === 1) t.emit('FORCE_PASSWORD_RESET', user, v, ctx(i + 1));
          else {
            const rc = FACTS.constructed.roleChange;
            t.emit('ADMIN_ROLE_CHANGED', user, v, { ...ctx(i + 1), extra: { [rc.key]: { [rc.fields[0]]: 'Member', [rc.fields[1]]: 'System Administrator' } } });
          }
        }
        label = `admin burst: compromised admin ${user.email} from ${src.ip} (${src.country}) made ${n} admin changes in ${Math.round((n * 20) / 60)} minutes`;
        break;
      }
      case 'deactivated_activity': {
        user = pickUser(t, rng, (u) => u.claimed && !u.isAdmin, opts.userId);
        if (user.active) {
          const admin = t.admins[0];
          const actx = admin ? { ip: admin.profile.homeIp, country: admin.profile.home, ua: admin.profile.desktopUa, timeMs: start - 2 * 3_600_000 } : t.apiContext();
          user.termDate = Math.floor(actx.timeMs / 1000);
          t.setActive(user, false, admin ?? { integration: true }, actx);
        }
        const src = { ip: countryIp(user.profile.home, 'mobile', rng), country: user.profile.home };
        ips.push(src.ip);
        t.emit('USER_LOGIN', user, user, { ...src, ua: user.profile.mobileUa, timeMs: start });
        t.emit('PASSWORD_CHANGE', user, user, { ...src, ua: user.profile.mobileUa, timeMs: start + 3 * MIN });
        label = `activity by deactivated account ${user.email} from ${src.ip}`;
        break;
      }
      case 'impersonation': {
        user = pickUser(t, rng, regular, opts.userId);
        const imp = FACTS.constructed.impersonation;
        const integration = { id: String(BigInt(t.org.integrationId) + 17n), name: 'Shadow Export Tool' };
        const src = hostingIp(rng, 'US');
        ips.push(src.ip);
        const extra = { [imp.integrationIdKey]: integration.id, [imp.integrationNameKey]: integration.name };
        const ua = NETWORK.userAgents.integration[0];
        t.emit('USER_LOGIN', user, user, { ...src, ua, timeMs: start, extra });
        t.emit('PASSWORD_CHANGE', user, user, { ...src, ua, timeMs: start + 2 * MIN, extra });
        t.emit('TWO_FACTOR_DISABLED', user, user, { ...src, ua, timeMs: start + 3 * MIN, extra });
        label = `impersonated activity: integration "${integration.name}" (${integration.id}, permission "${imp.permission}") acted as ${user.email}`;
        break;
      }
      default:
        throw new Error(`unknown scenario ${String(name)}; known: ${SCENARIOS.join(', ')}`);
    }
  } finally {
    off();
  }
  return { scenario: name, label, userId: user.id, ips, events, values: events.map((e) => e.value) };
}
