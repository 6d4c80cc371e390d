/**
 * @module simulator/tenant
 * The simulated community's state: the organisation, the security event log (what the webhook sends and
 * security_audit_logs serves), and the account actions every API surface shares, so a deactivation through SCIM
 * or Graph is one state change and one ADMIN_DEACTIVATE event.
 */
import { workplaceTime } from './clock.ts';
import type { SimClock } from './clock.ts';
import { FACTS } from './facts.ts';
import { NETWORK, hostingIp, type UserAgentInfo } from './network.ts';
import { newUser, userIdFor, type AuthMethod, type Org, type SimUser } from './org.ts';
import { Rng } from './rng.ts';

/** One `changes[].value` of a `workplace_security` webhook; keys copy the real sample (workplace-api.md §3.1). */
export interface SecurityEventValue {
  event: string;
  timestamp: string;
  actor_community_id?: string;
  actor_scim_company_id?: string;
  actor_id?: string;
  actor_email?: string;
  target_id?: string;
  target_email?: string;
  target_community_id?: string;
  target_company_id?: string;
  ip?: string;
  ip_country?: string;
  browser_name?: string;
  browser_os?: string;
  useragent?: string;
  integration_data?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface RecordedEvent {
  /** Position in the log, 1-based, strictly increasing: the audit API's cursor order. */
  seq: number;
  timeMs: number;
  value: SecurityEventValue;
}

/** Who did it: a person, or the custom integration calling the API. */
export type Actor = SimUser | { integration: true };

export interface EventContext {
  ip: string;
  country: string;
  ua: UserAgentInfo;
  timeMs: number;
  extra?: Record<string, unknown>;
}

/** The receiver's dedupe key for a value (workplace-api.md §9): entry.id, timestamp, event, actor_id, target_id. */
export function dedupeKey(companyId: string, v: SecurityEventValue): string {
  return [companyId, v.timestamp, v.event, v.actor_id ?? '', v.target_id ?? ''].join('|');
}

export class Tenant {
  readonly org: Org;
  readonly clock: SimClock;
  readonly log: RecordedEvent[] = [];
  /** Events trimmed from the head of the log (retention), so seq stays absolute. */
  #trimmed = 0;
  #seq = 0;
  readonly #maxLog: number;
  readonly #byId = new Map<string, SimUser>();
  readonly #byEmail = new Map<string, SimUser>();
  readonly #logouts = new Map<string, number>();
  readonly #listeners = new Set<(e: RecordedEvent) => void>();
  /** dedupe keys of recent events -> event second; keeps keys unique so a receiver never merges two real events. */
  readonly #recentKeys = new Map<string, number>();
  readonly #keyQueue: string[] = [];
  /** (event, actor, target) -> latest second used, so a collision jumps in O(1) instead of probing. */
  readonly #lastSecond = new Map<string, number>();
  #keyHead = 0;
  readonly #usedLocals = new Set<string>();
  readonly #rng: Rng;
  readonly integrationIp: { ip: string; country: string };

  constructor(org: Org, clock: SimClock, rng: Rng, maxLog = 200_000) {
    this.org = org;
    this.clock = clock;
    this.#rng = rng;
    this.#maxLog = maxLog;
    for (const u of org.users) this.#index(u);
    this.integrationIp = hostingIp(new Rng(7), 'US');
  }

  #index(u: SimUser): void {
    this.#byId.set(u.id, u);
    this.#byEmail.set(u.email.toLowerCase(), u);
    this.#usedLocals.add(u.email.split('@')[0]);
  }

  userById(id: string): SimUser | undefined {
    return this.#byId.get(id);
  }

  userByEmail(email: string): SimUser | undefined {
    return this.#byEmail.get(email.toLowerCase());
  }

  /** Users in id order (Graph and SCIM list order). */
  get users(): readonly SimUser[] {
    return this.org.users;
  }

  get admins(): SimUser[] {
    return this.org.users.filter((u) => u.isAdmin && u.active);
  }

  loggedOut(id: string): number {
    return this.#logouts.get(id) ?? 0;
  }

  onEvent(listener: (e: RecordedEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get lastSeq(): number {
    return this.#seq;
  }

  get firstSeq(): number {
    return this.#trimmed + 1;
  }

  /** Builds a value with the key order of the real sample. */
  makeValue(event: string, actor: Actor, target: SimUser | null, ctx: EventContext): SecurityEventValue {
    const o = this.org;
    const person = 'integration' in actor ? null : actor;
    const v: SecurityEventValue = {
      actor_community_id: o.communityId,
      actor_scim_company_id: o.companyId,
      actor_id: person ? person.id : o.integrationId,
      ...(person ? { actor_email: person.email } : {}),
      ...(target ? { target_id: target.id, target_email: target.email, target_community_id: o.communityId, target_company_id: o.companyId } : {}),
      ip: ctx.ip,
      ip_country: ctx.country,
      timestamp: workplaceTime(ctx.timeMs),
      event,
      browser_name: ctx.ua.browser_name,
      browser_os: ctx.ua.browser_os,
      useragent: ctx.ua.useragent,
      ...(ctx.extra ?? {}),
    };
    return v;
  }

  /** Appends to the log, notifies listeners (webhook auto-delivery). Bumps the second if the dedupe key is taken. */
  record(value: SecurityEventValue): RecordedEvent {
    let timeMs = Date.parse(value.timestamp.replace(/\+0000$/, 'Z'));
    let key = dedupeKey(this.org.companyId, value);
    const triple = `${value.event}|${value.actor_id ?? ''}|${value.target_id ?? ''}`;
    if (this.#recentKeys.has(key)) {
      // Jump straight past the last second this (event, actor, target) used, then probe.
      const last = this.#lastSecond.get(triple) ?? timeMs;
      timeMs = Math.max(Math.floor(timeMs / 1000) * 1000, last) + 1000;
      value.timestamp = workplaceTime(timeMs);
      key = dedupeKey(this.org.companyId, value);
      while (this.#recentKeys.has(key)) {
        timeMs += 1000;
        value.timestamp = workplaceTime(timeMs);
        key = dedupeKey(this.org.companyId, value);
      }
    }
    const secMs = Math.floor(timeMs / 1000) * 1000;
    if ((this.#lastSecond.get(triple) ?? -Infinity) < secMs) this.#lastSecond.set(triple, secMs);
    if (this.#lastSecond.size > 200_000) this.#lastSecond.clear();
    this.#recentKeys.set(key, timeMs);
    this.#keyQueue.push(key);
    // Forget keys older than 10 minutes of event time (or beyond 200k keys); the queue is in insertion order.
    while (this.#keyHead < this.#keyQueue.length) {
      const k = this.#keyQueue[this.#keyHead];
      const t = this.#recentKeys.get(k) ?? 0;
      if (this.#keyQueue.length - this.#keyHead <= 200_000 && t >= timeMs - 600_000) break;
      if (this.#recentKeys.get(k) === t) this.#recentKeys.delete(k);
      this.#keyHead++;
    }
    if (this.#keyHead > 100_000) {
      this.#keyQueue.splice(0, this.#keyHead);
      this.#keyHead = 0;
    }
    const rec: RecordedEvent = { seq: ++this.#seq, timeMs, value };
    this.log.push(rec);
    // Trim in chunks (a tenth of the limit) so a full log does not shift the array on every event.
    if (this.log.length > this.#maxLog + Math.ceil(this.#maxLog / 10)) {
      const drop = this.log.length - this.#maxLog;
      this.log.splice(0, drop);
      this.#trimmed += drop;
    }
    for (const l of this.#listeners) l(rec);
    return rec;
  }

  emit(event: string, actor: Actor, target: SimUser | null, ctx: EventContext): RecordedEvent {
    return this.record(this.makeValue(event, actor, target, ctx));
  }

  /** Context for an event caused by the integration calling the API. */
  apiContext(): EventContext {
    return { ...this.integrationIp, ua: NETWORK.userAgents.integration[0], timeMs: this.clock.now() };
  }

  // ---- account actions (shared by Graph, SCIM, generator and scenarios) ----

  setActive(user: SimUser, active: boolean, actor: Actor = { integration: true }, ctx = this.apiContext()): RecordedEvent | null {
    if (user.active === active) return null;
    user.active = active;
    user.updatedTime = ctx.timeMs;
    if (!active) user.deactivateTime = ctx.timeMs;
    return this.emit(active ? 'ADMIN_ACTIVATE_ACCOUNT' : 'ADMIN_DEACTIVATE', actor, user, ctx);
  }

  logout(user: SimUser, actor: Actor = { integration: true }, ctx = this.apiContext()): RecordedEvent {
    this.#logouts.set(user.id, this.loggedOut(user.id) + 1);
    return this.emit('ADMIN_FORCE_LOG_OUT', actor, user, ctx);
  }

  setAuthMethod(user: SimUser, method: AuthMethod): void {
    user.authMethod = method;
    user.updatedTime = this.clock.now();
  }

  /** Creates an account (invited, unclaimed). */
  createUser(
    fields: Partial<Pick<SimUser, 'email' | 'firstName' | 'lastName' | 'name' | 'title' | 'department' | 'externalId' | 'authMethod' | 'managerId' | 'locale'>> & {
      active?: boolean;
      startDate?: number | null;
      termDate?: number | null;
    },
    actor: Actor = { integration: true },
    ctx = this.apiContext(),
  ): SimUser {
    const index = this.org.users.length;
    const u = newUser(this.#rng, index, { domain: this.org.domain, nowMs: ctx.timeMs }, this.#usedLocals);
    // Ids must stay increasing with list position even after deletes.
    const last = this.org.users[this.org.users.length - 1];
    if (last && BigInt(u.id) <= BigInt(last.id)) u.id = String(BigInt(last.id) + 7n);
    if (this.#byId.has(u.id)) u.id = userIdFor(index + 1_000_000);
    Object.assign(u, {
      inviteTime: ctx.timeMs,
      claimTime: null,
      claimed: false,
      invited: true,
      updatedTime: ctx.timeMs,
      startDate: Math.floor(ctx.timeMs / 1000),
    });
    for (const [k, v] of Object.entries(fields)) if (v !== undefined) (u as unknown as Record<string, unknown>)[k] = v;
    if (fields.firstName || fields.lastName) u.name = fields.name ?? `${u.firstName} ${u.lastName}`;
    this.org.users.push(u);
    this.#index(u);
    this.emit('ADMIN_CREATE_ACCOUNT', actor, u, ctx);
    return u;
  }

  /** Deletes an unclaimed account; false when the account is claimed. */
  deleteUser(user: SimUser): boolean {
    if (user.claimed) return false;
    const i = this.org.users.indexOf(user);
    if (i >= 0) this.org.users.splice(i, 1);
    this.#byId.delete(user.id);
    this.#byEmail.delete(user.email.toLowerCase());
    return true;
  }

  updateEmail(user: SimUser, email: string): void {
    this.#byEmail.delete(user.email.toLowerCase());
    user.email = email;
    this.#byEmail.set(email.toLowerCase(), user);
  }

  /** Security event field name for an event (facts.json), or the subscription's fixed field. */
  static fieldFor(event: string, fixedField?: string): string {
    return fixedField ?? FACTS.events[event]?.field ?? FACTS.webhook.defaultField.value;
  }
}
