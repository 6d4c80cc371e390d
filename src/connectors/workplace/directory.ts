/**
 * @module connectors/workplace/directory
 * The user directory from SCIM 2.0 `/Users` (offset paging, workplace-api.md §7) plus Graph
 * `/community/admins` (cursor paging, §2), on a schedule and on demand. Between two syncs, a user's
 * deactivation, reactivation and admin grant/removal become activities (source `directory`), because
 * Workplace has no replay of missed webhooks and the directory state is the only backfill (§4).
 */
import { RampartError } from '../../core/errors.ts';
import { stableId } from '../../core/ids.ts';
import type { Activity } from '../../schema/activity.ts';
import type { DirectoryUser } from '../../schema/directory.ts';
import { graphPages, type WorkplaceClient } from './client.ts';
import { WORKPLACE_APP, parseWorkplaceTime } from './normalize.ts';

export const SCIM_CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_TERMDATES = 'urn:ietf:params:scim:schemas:extension:facebook:starttermdates:2.0:User';
export const SCIM_ACCOUNT_STATUS = 'urn:ietf:params:scim:schemas:extension:facebook:accountstatusdetails:2.0:User';
export const SCIM_AUTH_METHOD = 'urn:ietf:params:scim:schemas:extension:facebook:authmethod:2.0:User';
export const SCIM_LIST_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/** Actions of the activities a sync emits (documented in docs/connectors/workplace.md). */
export const DIRECTORY_ACTIONS = {
  deactivated: 'DIRECTORY_USER_DEACTIVATED',
  reactivated: 'DIRECTORY_USER_REACTIVATED',
  adminGranted: 'DIRECTORY_ADMIN_GRANTED',
  adminRevoked: 'DIRECTORY_ADMIN_REVOKED',
  removed: 'DIRECTORY_USER_REMOVED',
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const s = (v: unknown): string | null => (typeof v === 'string' && v.length ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
/** A SCIM boolean: true/false, or the strings "true"/"false" in any case (some exports quote them); else null. */
const b = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : typeof v === 'string' && /^(?:true|false)$/i.test(v) ? v.toLowerCase() === 'true' : null);

/**
 * ISO 8601 in its extended form: a date (the UTC day), or a date-time with Z or an offset. A date-time without
 * one is refused: it would be read in the local time of whoever runs the scan.
 */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2})))?$/;

/** An ISO_8601 text to epoch milliseconds; null when it does not match or names no real day or time (02-30). */
function isoMillis(text: string): number | null {
  const m = ISO_8601.exec(text);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', , sign, offH = '0', offM = '0'] = m;
  const local = Date.UTC(+y, +mo - 1, +d, +h, +mi, +sec, Math.floor(Number(`0.${frac || '0'}`) * 1000));
  const at = new Date(local);
  const real = at.getUTCFullYear() === +y && at.getUTCMonth() === +mo - 1 && at.getUTCDate() === +d && +h < 24 && +mi < 60 && +sec < 60 && +offH < 24 && +offM < 60;
  return real ? local - (sign === '-' ? -1 : 1) * (+offH * 60 + +offM) * 60_000 : null;
}

/**
 * A SCIM date as an ISO instant: unix seconds as a JSON number (Workplace's SCIM API and its Postman collection;
 * milliseconds tolerated, as for event times), or an ISO_8601 text. null, '' and 0 (Workplace's "not set") are
 * none. Anything else (`31/12/2025`, `02/01/2026`: day or month first?) throws rather than being guessed or
 * dropped: a term date read wrong hides a terminated user.
 */
function scimDate(v: unknown, field: string, invalid: (reason: string) => Error): string | null {
  if (v === null || v === undefined || v === '' || v === 0) return null;
  const ms = typeof v === 'number' && Number.isFinite(v) ? (v > 1e12 ? v : v * 1000) : typeof v === 'string' ? isoMillis(v) : null;
  if (ms === null || Number.isNaN(new Date(ms).getTime())) {
    throw invalid(`"${field}" is ${JSON.stringify(v)}: expected an ISO 8601 date (2026-01-31) or date-time with Z or an offset (2026-01-31T09:00:00Z), or unix seconds`);
  }
  return new Date(ms).toISOString();
}

/**
 * One SCIM User resource to a DirectoryUser. `isAdmin` is filled from /community/admins by the sync. A field
 * that cannot be read right (no id, an `active` that is not a boolean, a date that is not ISO 8601) throws
 * RAMPART_ERR_INPUT_INVALID_RECORD naming `at` (e.g. `Resources[3]`), the id and the field: never a guess that
 * keeps a deactivated account active.
 */
export function scimUserToDirectoryUser(r: Obj, tenant: string, updatedAt: string, at?: string): DirectoryUser {
  const id = s(r.id);
  const invalid = (reason: string) =>
    new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', [at ? 'SCIM ListResponse' : 'SCIM User', `${at ? `${at}${id ? ` (id ${id})` : ''}: ` : ''}${reason}`]);
  if (!id) throw invalid('missing "id"');
  // SCIM makes `active` optional: absent means active, as Workplace lists only existing accounts.
  const active = r.active === undefined || r.active === null ? true : b(r.active);
  if (active === null) throw invalid(`"active" is ${JSON.stringify(r.active)}: expected true or false`);
  const ent = isObj(r[SCIM_ENTERPRISE]) ? (r[SCIM_ENTERPRISE] as Obj) : {};
  const dates = isObj(r[SCIM_TERMDATES]) ? (r[SCIM_TERMDATES] as Obj) : {};
  const status = isObj(r[SCIM_ACCOUNT_STATUS]) ? (r[SCIM_ACCOUNT_STATUS] as Obj) : {};
  const auth = isObj(r[SCIM_AUTH_METHOD]) ? (r[SCIM_AUTH_METHOD] as Obj) : {};
  const emails = Array.isArray(r.emails) ? (r.emails.filter(isObj) as Obj[]) : [];
  const email = s(r.userName) ?? s((emails.find((e) => e.primary === true) ?? emails[0])?.value);
  const name = isObj(r.name) ? (r.name as Obj) : {};
  const manager = isObj(ent.manager) ? (ent.manager as Obj) : {};
  const authMethod = s(auth.authMethod);
  // Dates: unix seconds in the Postman collection, ISO strings in one third-party script: accept both.
  const when = (v: unknown, field: string) => scimDate(v, field, invalid);
  return {
    app: WORKPLACE_APP,
    tenant,
    id,
    email: email ? email.toLowerCase() : null,
    name: s(r.displayName) ?? s(name.formatted) ?? ([s(name.givenName), s(name.familyName)].filter(Boolean).join(' ') || null),
    externalId: s(r.externalId),
    active,
    deactivatedAt: null,
    startDate: when(dates.startDate, 'startDate'),
    termDate: when(dates.termDate, 'termDate'),
    department: s(ent.department),
    title: s(r.title),
    managerId: s(manager.managerId) ?? s(manager.value),
    groups: [],
    isAdmin: false,
    authMethod: authMethod === 'password' || authMethod === 'sso' ? authMethod : null,
    claimed: b(status.claimed),
    invited: b(status.invited),
    inviteDate: when(status.inviteDate, 'inviteDate'),
    claimDate: when(status.claimDate, 'claimDate'),
    updatedAt,
  };
}

/**
 * A SCIM 2.0 ListResponse export (`rampart scan --directory users.json`) to DirectoryUsers.
 * Throws RAMPART_ERR_INPUT_INVALID_RECORD when the document is not a ListResponse or a user in it cannot be
 * read (naming its `Resources[i]`).
 */
export function parseScimListResponse(json: unknown, opts: { tenant?: string; updatedAt?: string } = {}): DirectoryUser[] {
  if (!isObj(json) || !Array.isArray(json.Resources)) throw new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', ['SCIM ListResponse', 'no "Resources" array']);
  if (Array.isArray(json.schemas) && !json.schemas.includes(SCIM_LIST_RESPONSE)) {
    throw new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', ['SCIM ListResponse', `schemas does not include ${SCIM_LIST_RESPONSE}`]);
  }
  const updatedAt = opts.updatedAt ?? new Date().toISOString();
  return json.Resources.map((r, i) => {
    if (!isObj(r)) throw new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', ['SCIM ListResponse', `Resources[${i}] is not an object`]);
    return scimUserToDirectoryUser(r, opts.tenant ?? '', updatedAt, `Resources[${i}]`);
  });
}

/** Pages SCIM /Users: `startIndex` from 1, moving on by each page's users while startIndex <= totalResults (scim_sdk.py). */
export async function fetchScimUsers(scim: WorkplaceClient, pageSize: number, maxUsers = 5_000_000): Promise<Obj[]> {
  const users: Obj[] = [];
  const seen = new Set<unknown>();
  let startIndex = 1;
  for (;;) {
    const res = await scim.get<Obj>('Users', { query: { startIndex, count: pageSize } });
    const body = res.body;
    if (!isObj(body) || !Array.isArray(body.Resources)) {
      throw new RampartError('RAMPART_ERR_CONN_UPSTREAM', [scim.connector, 'SCIM /Users answer has no Resources array']);
    }
    // The listing ends at an empty page or one with no user not seen before, whatever totalResults says: an
    // inflated total with empty pages, or a server that ignores startIndex, paged for ever.
    let fresh = 0;
    for (const r of body.Resources) {
      if (!isObj(r)) continue;
      users.push(r);
      if (!seen.has(r.id)) (seen.add(r.id), fresh++);
    }
    const total = Number(body.totalResults);
    if (fresh === 0 || !Number.isFinite(total) || users.length >= maxUsers) break;
    // Our own position moves on by what this page held; a server echoing an old startIndex cannot hold it back.
    startIndex += body.Resources.length;
    if (startIndex > total) break;
  }
  return users;
}

/** Ids of system administrators from Graph /community/admins. */
export async function fetchAdminIds(graph: WorkplaceClient): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const page of graphPages<Obj>(graph, 'community/admins', { fields: 'id,email', limit: 100 })) {
    for (const a of page) {
      const id = s(a?.id);
      if (id) ids.add(id);
    }
  }
  return ids;
}

/**
 * Deactivation times from Graph `/community/former_members` (`account_deactivate_time` [R field]), so
 * `deactivatedAt` is the real time rather than the time a sync first saw it. Optional data: callers treat a
 * failure (e.g. a missing permission) as "unknown".
 */
export async function fetchDeactivationTimes(graph: WorkplaceClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const page of graphPages<Obj>(graph, 'community/former_members', { fields: 'id,account_deactivate_time', limit: 100 })) {
    for (const m of page) {
      const id = s(m?.id);
      const at = parseWorkplaceTime(m?.account_deactivate_time);
      if (id && at) out.set(id, at);
    }
  }
  return out;
}

export interface DirectoryDiff {
  users: DirectoryUser[];
  activities: Activity[];
}

/**
 * Merges a fresh listing with the previous state: keeps known deactivation times, stamps a newly observed
 * deactivation with the sync time, and turns state changes into activities with stable ids (so a sync
 * repeated after a crash stores each change once).
 */
export function diffDirectory(
  previous: ReadonlyMap<string, DirectoryUser>,
  fresh: DirectoryUser[],
  observedAt: string,
  tenant: string,
  deactivationTimes: ReadonlyMap<string, string> = new Map(),
): DirectoryDiff {
  const activities: Activity[] = [];
  const firstSync = previous.size === 0;
  const emit = (u: DirectoryUser, prev: DirectoryUser, action: string) => {
    activities.push({
      v: 1,
      id: stableId('wpd', tenant, u.id, action, prev.updatedAt),
      time: observedAt,
      receivedAt: observedAt,
      app: WORKPLACE_APP,
      tenant,
      source: 'directory',
      action,
      category: 'account',
      outcome: 'success',
      interactive: false,
      isAdminActivity: false,
      impersonated: false,
      impersonator: null,
      actor: { id: null, email: null, name: 'Workplace directory sync' },
      target: { type: 'user', id: u.id, email: u.email, name: u.name },
      objects: [],
      ip: null,
      userAgent: null,
      geo: null,
      asn: null,
      isp: null,
      ipCategory: null,
      ipTags: [],
      device: null,
      userAgentTags: [],
      raw: { previous: { active: prev.active, isAdmin: prev.isAdmin }, current: { active: u.active, isAdmin: u.isAdmin } },
    });
  };
  const seen = new Set<string>();
  for (const u of fresh) {
    seen.add(u.id);
    const prev = previous.get(u.id);
    if (!u.active) {
      u.deactivatedAt =
        deactivationTimes.get(u.id) ?? (prev && !prev.active ? prev.deactivatedAt : firstSync || !prev ? null : observedAt);
    }
    if (!prev) continue;
    if (prev.active && !u.active) emit(u, prev, DIRECTORY_ACTIONS.deactivated);
    if (!prev.active && u.active) emit(u, prev, DIRECTORY_ACTIONS.reactivated);
    if (!prev.isAdmin && u.isAdmin) emit(u, prev, DIRECTORY_ACTIONS.adminGranted);
    if (prev.isAdmin && !u.isAdmin) emit(u, prev, DIRECTORY_ACTIONS.adminRevoked);
  }
  // Gone from SCIM (deleted; only unclaimed accounts can be): kept, inactive, so later activity stands out.
  const users = [...fresh];
  for (const prev of previous.values()) {
    if (seen.has(prev.id)) continue;
    const gone: DirectoryUser = { ...prev, active: false, deactivatedAt: prev.deactivatedAt ?? observedAt, updatedAt: observedAt };
    if (prev.active) emit(gone, prev, DIRECTORY_ACTIONS.removed);
    users.push(gone);
  }
  return { users, activities };
}
