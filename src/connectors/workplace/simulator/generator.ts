/**
 * @module simulator/generator
 * Benign traffic for the simulated organisation, deterministic for a seed: work-hour logins in each person's time
 * zone, logouts, mobile logins whose IP changes, corporate VPN, cross-border commuters, business trips (always
 * with a plausible gap, never impossible travel), failed logins followed by success, password resets and changes,
 * two-factor changes, and steady admin activity. Two modes: `replay(days)` writes a past history in chronological
 * order (a month in about a second); `live(n)` emits n events at the clock's now (streaming).
 */
import type { SimClock } from './clock.ts';
import { FACTS } from './facts.ts';
import { COUNTRY_CODES, NETWORK, countryIp, utcOffsetHours, vpnIp, type UserAgentInfo } from './network.ts';
import type { SimUser } from './org.ts';
import { Rng } from './rng.ts';
import type { EventContext, RecordedEvent, Tenant } from './tenant.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;

interface Planned {
  timeMs: number;
  order: number;
  run: () => void;
}

export interface Location {
  country: string;
  traveling: boolean;
  /** at the office abroad (commuter workday) */
  commuting: boolean;
  /** flying to or from a trip: no activity that day, so benign travel never looks impossible (long-haul included) */
  transit?: boolean;
}

export class TrafficGenerator {
  readonly #tenant: Tenant;
  readonly #clock: SimClock;
  readonly #seed: number;
  readonly #rng: Rng;
  readonly #sessions = new Set<string>();
  readonly #lastLive = new Map<string, { country: string; t: number }>();
  #order = 0;

  constructor(tenant: Tenant, clock: SimClock, seed: number) {
    this.#tenant = tenant;
    this.#clock = clock;
    this.#seed = seed;
    this.#rng = new Rng(seed ^ 0x5eed);
  }

  /** Where `user` is on the UTC day `day` (days since epoch). Pure: a function of seed, user and day. */
  location(user: SimUser, day: number): Location {
    const p = user.profile;
    const weekday = ((day % 7) + 7 + 4) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
    const workday = weekday >= 1 && weekday <= 5;
    if (p.traveler) {
      const block = Math.floor(day / 14);
      const r = new Rng(this.#seed ^ Math.imul(Number(user.id.slice(-7)), 31) ^ Math.imul(block, 2654435761));
      if (r.chance(0.5)) {
        const start = block * 14 + r.range(3, 8);
        const len = r.range(2, 4);
        const candidates = COUNTRY_CODES.filter((c) => c !== p.home && c !== p.office);
        const dest = r.pick(candidates);
        // The first and the last day are spent flying (no activity), so a trip never implies an impossible speed.
        if (day === start || day === start + len) return { country: p.home, traveling: false, commuting: false, transit: true };
        if (day > start && day < start + len) return { country: dest, traveling: true, commuting: false };
      }
    }
    if (p.commuter && workday) return { country: p.office, traveling: false, commuting: true };
    return { country: p.home, traveling: false, commuting: false };
  }

  #ctx(user: SimUser, loc: Location, timeMs: number, device: 'desktop' | 'mobile', rng: Rng): EventContext {
    const p = user.profile;
    let ip: string;
    let country = loc.country;
    let ua: UserAgentInfo = p.desktopUa;
    if (device === 'mobile') {
      ip = countryIp(loc.country, 'mobile', rng); // carrier NAT: a new address nearly every time
      ua = p.mobileUa;
    } else if (p.vpn && !loc.traveling && p.office === loc.country && NETWORK.vpnEgress[loc.country] && rng.chance(0.6)) {
      // Corporate VPN egress is in the office country; used only when there (never a country hop in minutes).
      const v = vpnIp(p.office, rng);
      ip = v.ip;
      country = v.country;
    } else if (!loc.traveling && !loc.commuting) {
      ip = p.homeIp;
    } else {
      ip = countryIp(loc.country, 'broadband', rng); // hotel or office network abroad
    }
    return { ip, country, ua, timeMs };
  }

  /** The admin who performs routine admin work (deterministic choice). */
  #admin(rng: Rng): SimUser | undefined {
    const admins = this.#tenant.admins;
    return admins.length ? rng.pick(admins) : undefined;
  }

  #randomUser(rng: Rng, pred: (u: SimUser) => boolean): SimUser | undefined {
    const users = this.#tenant.users;
    for (let i = 0; i < 20; i++) {
      const u = users[rng.int(users.length)];
      if (u && pred(u)) return u;
    }
    return users.find(pred);
  }

  /** Plans one person's day. */
  #planDay(user: SimUser, day: number, rng: Rng, plan: Planned[]): void {
    const t = this.#tenant;
    const loc = this.location(user, day);
    if (loc.transit) return;
    const weekday = ((day % 7) + 7 + 4) % 7;
    const workday = weekday >= 1 && weekday <= 5;
    if (!workday && !rng.chance(user.frontline ? 0.4 : 0.1)) return;
    const offset = utcOffsetHours(loc.traveling ? loc.country : user.profile.home);
    const dayStart = day * DAY - offset * HOUR;
    // A person deactivated before the planned time does nothing (no false "deactivated activity").
    const add = (timeMs: number, run: () => void) => plan.push({ timeMs, order: this.#order++, run: () => user.active && run() });
    const loginAt = dayStart + (workday ? user.profile.startHour : rng.range(10, 20)) * HOUR + rng.int(90) * MIN + rng.int(60_000);
    const desktop = workday || rng.chance(0.3);
    const ctx = this.#ctx(user, loc, loginAt, desktop ? 'desktop' : 'mobile', rng);
    if (rng.chance(0.04)) {
      // A typo: failed attempt(s), then success from the same place.
      const fails = rng.range(1, 2);
      for (let i = 0; i < fails; i++) {
        const at = loginAt - (fails - i) * rng.range(15, 60) * 1000;
        add(at, () => t.emit('USER_LOGIN_FAILED', user, user, { ...ctx, timeMs: at }));
      }
    }
    add(loginAt, () => t.emit('USER_LOGIN', user, user, ctx));
    if (user.profile.mobile && rng.chance(0.7)) {
      const n = rng.range(1, 2);
      for (let i = 0; i < n; i++) {
        const at = loginAt + rng.range(2, 10) * HOUR + rng.int(60) * MIN;
        const mctx = this.#ctx(user, loc, at, 'mobile', rng);
        add(at, () => t.emit('USER_LOGIN', user, user, mctx));
      }
    }
    if (rng.chance(0.5)) {
      const at = loginAt + rng.range(7, 10) * HOUR + rng.int(60) * MIN;
      add(at, () => t.emit('USER_LOGOUT', user, user, { ...ctx, timeMs: at }));
    }
    if (user.authMethod === 'password' && rng.chance(0.01)) {
      const at = loginAt + rng.range(1, 6) * HOUR;
      add(at, () => t.emit('PASSWORD_RESET_REQUEST', user, user, { ...ctx, timeMs: at }));
      if (rng.chance(0.25)) add(at + 2 * MIN, () => t.emit('PASSWORD_RESET_WRONG_CODE', user, user, { ...ctx, timeMs: at + 2 * MIN }));
      add(at + 4 * MIN, () => t.emit('PASSWORD_RESET_SUCCESS', user, user, { ...ctx, timeMs: at + 4 * MIN }));
    } else if (user.authMethod === 'password' && rng.chance(0.005)) {
      const at = loginAt + rng.range(1, 6) * HOUR;
      add(at, () => t.emit('PASSWORD_CHANGE', user, user, { ...ctx, timeMs: at }));
    }
    if (!user.profile.mfa && rng.chance(0.003)) {
      const at = loginAt + 20 * MIN;
      add(at, () => {
        user.profile.mfa = true;
        t.emit('TWO_FACTOR_ENABLED', user, user, { ...ctx, timeMs: at });
      });
    }
  }

  /** Plans routine admin work for one day. */
  #planAdminDay(day: number, rng: Rng, plan: Planned[]): void {
    const t = this.#tenant;
    const weekday = ((day % 7) + 7 + 4) % 7;
    if (weekday === 0 || weekday === 6) return;
    const scale = Math.max(1, Math.round(t.users.length / 100));
    const n = rng.range(1, 2 + scale);
    for (let i = 0; i < n; i++) {
      const admin = this.#admin(rng);
      if (!admin) return;
      const loc = this.location(admin, day);
      if (loc.transit) continue;
      const at = day * DAY - utcOffsetHours(loc.country) * HOUR + rng.range(9, 16) * HOUR + rng.int(3_600_000);
      const ctx = this.#ctx(admin, loc, at, 'desktop', rng);
      const add = (run: () => void) => plan.push({ timeMs: at, order: this.#order++, run });
      add(() => this.#adminAction(admin, ctx, rng));
    }
  }

  /** One routine admin action by `admin` (also used by live mode). */
  /**
   * Each admin has a repertoire (their role): four kinds of action make up almost all they do, the others are rare,
   * as in a real admin team. Deterministic per admin.
   */
  #adminWeights(admin: SimUser): Record<string, number> {
    const base: Record<string, number> = { forceReset: 25, forceLogout: 25, create: 15, deactivate: 12, activate: 4, unclaimed: 4, integration: 10, role: 5 };
    const kinds = Object.keys(base);
    // Consecutive admins take consecutive slices of the list, so any two admins together cover every kind.
    const index = Math.max(0, this.#tenant.users.filter((u) => u.isAdmin).indexOf(admin));
    const mine = new Set(Array.from({ length: 4 }, (_, i) => kinds[(index * 4 + i) % kinds.length]));
    return Object.fromEntries(kinds.map((k) => [k, mine.has(k) ? base[k] : base[k] / 40]));
  }

  #adminAction(admin: SimUser, ctx: EventContext, rng: Rng): void {
    const t = this.#tenant;
    const kind = rng.weighted(this.#adminWeights(admin));
    const other = (pred: (u: SimUser) => boolean) => this.#randomUser(rng, (u) => u !== admin && pred(u));
    switch (kind) {
      case 'forceReset': {
        const u = other((x) => x.active && x.authMethod === 'password');
        if (u) t.emit('FORCE_PASSWORD_RESET', admin, u, ctx);
        break;
      }
      case 'forceLogout': {
        const u = other((x) => x.active);
        if (u) t.logout(u, admin, ctx);
        break;
      }
      case 'create':
        t.createUser({}, admin, ctx);
        break;
      case 'deactivate': {
        // A leaver: their term date is today. Keep the active population roughly stable.
        const active = t.users.filter((x) => x.active).length;
        const u = active > t.users.length * 0.9 ? other((x) => x.active && !x.isAdmin) : undefined;
        if (u) {
          u.termDate = Math.floor(ctx.timeMs / 1000);
          t.setActive(u, false, admin, ctx);
        }
        break;
      }
      case 'activate': {
        const u = other((x) => !x.active);
        if (u) {
          u.termDate = null;
          t.setActive(u, true, admin, ctx);
        }
        break;
      }
      case 'unclaimed': {
        const u = other((x) => x.active && x.claimed && !x.isAdmin);
        if (u) {
          u.claimed = false;
          u.claimTime = null;
          t.emit('ADMIN_SET_TO_UNCLAIMED', admin, u, ctx);
        }
        break;
      }
      case 'integration':
        t.emit('CUSTOM_INTEGRATION_EDIT', admin, admin, {
          ...ctx,
          extra: { integration_data: { custom_integration_name: rng.pick(['HR Sync', 'Rampart Security', 'Helpdesk Bot']), custom_integration_status: rng.pick(['INSTALLED', 'INSTALLED', 'UPDATED']) } },
        });
        break;
      case 'role': {
        const u = other((x) => x.active && x.claimed);
        if (u) {
          const rc = FACTS.constructed.roleChange;
          t.emit('ADMIN_ROLE_CHANGED', admin, u, { ...ctx, extra: { [rc.key]: { [rc.fields[0]]: 'Member', [rc.fields[1]]: rng.pick(['Content Moderator', 'Group Admin']) } } });
        }
        break;
      }
    }
  }

  /**
   * Writes `days` of history ending at `endMs` (default: the clock's now) into the tenant, in time order.
   * Returns the events written.
   */
  replay(days: number, endMs = this.#clock.now()): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    const off = this.#tenant.onEvent((e) => out.push(e));
    try {
      const firstDay = Math.floor(endMs / DAY) - days;
      const lastDay = Math.floor(endMs / DAY);
      let pending: Planned[] = [];
      const runUntil = (limitMs: number) => {
        pending.sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
        let i = 0;
        for (; i < pending.length && pending[i].timeMs < limitMs; i++) {
          const p = pending[i];
          if (p.timeMs <= endMs && p.timeMs > endMs - days * DAY) p.run();
        }
        pending = pending.slice(i);
      };
      for (let day = firstDay; day <= lastDay; day++) {
        const rng = new Rng(this.#seed ^ Math.imul(day, 0x9e3779b1));
        for (const u of [...this.#tenant.users]) if (u.active && u.claimed) this.#planDay(u, day, rng, pending);
        this.#planAdminDay(day, rng, pending);
        // Days overlap across time zones: run only what no later day can precede (the earliest zone is +10 h).
        runUntil((day + 1) * DAY - 11 * HOUR);
      }
      runUntil(Infinity);
    } finally {
      off();
    }
    return out;
  }

  /**
   * Live traffic is sampled at random moments, so a trip or commute boundary could put two logins in different
   * countries minutes apart. A person whose country changes stays quiet until 8 hours after their last activity.
   */
  #liveLocation(user: SimUser, now: number, day: number): Location | null {
    const want = this.location(user, day);
    if (want.transit) return null;
    const last = this.#lastLive.get(user.id);
    // Travelling: quiet for 8 hours after the last activity in the previous country (the flight).
    if (last && last.country !== want.country && now - last.t < 8 * HOUR) return null;
    this.#lastLive.set(user.id, { country: want.country, t: now });
    return want;
  }

  /**
   * Emits exactly `n` benign events at the clock's now (streaming mode): each step picks a person, preferring
   * those in their working hours, and moves their session along (login, mobile login, logout, ...).
   */
  live(n: number): RecordedEvent[] {
    const out: RecordedEvent[] = [];
    const off = this.#tenant.onEvent((e) => out.push(e));
    const t = this.#tenant;
    const rng = this.#rng;
    try {
      let guard = n * 4;
      while (out.length < n && guard-- > 0) {
        const now = this.#clock.now();
        const day = Math.floor(now / DAY);
        if (rng.chance(1 / 150)) {
          const admin = this.#admin(rng);
          const aloc = admin && this.#liveLocation(admin, now, day);
          if (admin && aloc) this.#adminAction(admin, this.#ctx(admin, aloc, now, 'desktop', rng), rng);
          continue;
        }
        let user: SimUser | undefined;
        let loc: Location | null = null;
        for (let i = 0; i < 8; i++) {
          const u = this.#randomUser(rng, (x) => x.active && x.claimed);
          if (!u) break;
          const local = (((now / HOUR + utcOffsetHours(u.profile.home)) % 24) + 24) % 24;
          if (i < 5 && (local < 7 || local > 19)) continue; // prefer people in their working hours
          loc = this.#liveLocation(u, now, day);
          if (loc) {
            user = u;
            break;
          }
        }
        if (!user || !loc) continue;
        const inSession = this.#sessions.has(user.id);
        const r = rng.next();
        // Multi-event steps only while room is left, so live(n) returns exactly n events.
        const room = n - out.length;
        if (!inSession) {
          const ctx = this.#ctx(user, loc, now, user.profile.mobile && r < 0.3 ? 'mobile' : 'desktop', rng);
          if (rng.chance(0.04) && room >= 2) t.emit('USER_LOGIN_FAILED', user, user, ctx);
          t.emit('USER_LOGIN', user, user, ctx);
          this.#sessions.add(user.id);
        } else if (r < 0.45) {
          t.emit('USER_LOGOUT', user, user, this.#ctx(user, loc, now, 'desktop', rng));
          this.#sessions.delete(user.id);
        } else if (r < 0.85) {
          t.emit('USER_LOGIN', user, user, this.#ctx(user, loc, now, user.profile.mobile ? 'mobile' : 'desktop', rng));
        } else if (r < 0.9 && user.authMethod === 'password' && room >= 3) {
          const ctx = this.#ctx(user, loc, now, 'desktop', rng);
          t.emit('PASSWORD_RESET_REQUEST', user, user, ctx);
          if (rng.chance(0.25)) t.emit('PASSWORD_RESET_WRONG_CODE', user, user, ctx);
          t.emit('PASSWORD_RESET_SUCCESS', user, user, ctx);
        } else if (r < 0.92 && user.authMethod === 'password') {
          t.emit('PASSWORD_CHANGE', user, user, this.#ctx(user, loc, now, 'desktop', rng));
        } else if (r < 0.925) {
          user.profile.mfa = !user.profile.mfa;
          t.emit(user.profile.mfa ? 'TWO_FACTOR_ENABLED' : 'TWO_FACTOR_DISABLED', user, user, this.#ctx(user, loc, now, 'desktop', rng));
        } else {
          t.emit('USER_LOGIN', user, user, this.#ctx(user, loc, now, 'desktop', rng));
        }
      }
    } finally {
      off();
    }
    return out;
  }
}
