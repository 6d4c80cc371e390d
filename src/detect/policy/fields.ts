/**
 * @module detect/policy/fields
 * The registry of filterable attributes of an Activity (src/schema/activity.ts). Field names follow the
 * Activity's own paths; `user.*` fields take a role (`as: actor | target | any`) and `user.group` /
 * `user.department` come from the directory. An empty string or empty list counts as missing.
 */
import type { Activity } from '../../schema/activity.ts';
import type { DirectoryUser } from '../../schema/directory.ts';
import type { FieldKind, FieldValue } from './operators.ts';

export type UserRole = 'actor' | 'target' | 'any';
export const USER_ROLES = ['actor', 'target', 'any'] as const;

/** What filters need besides the activity itself. */
export interface FilterEnv {
  /** Directory entry by app and user id or email (synchronous: see DirectoryIndex). */
  directoryUser?(app: string, idOrEmail: string): DirectoryUser | null;
  /** The organisation's own email domains (config `organization.domains`); subdomains count as internal. */
  orgDomains?: readonly string[];
}

export interface FieldSpec {
  readonly kind: FieldKind;
  /** Words for explanations and docs. */
  readonly label: string;
  /** Accepts `as: actor | target | any`. */
  readonly roles?: true;
  extract(a: Activity, env: FilterEnv, role: UserRole): FieldValue;
}

const str = (s: string | null | undefined): string | null => (s ? s : null);
const list = (xs: readonly string[] | null | undefined): readonly string[] | null => (xs && xs.length ? xs : null);
const bool = (b: boolean): string => (b ? 'true' : 'false');

interface PersonLike {
  id: string | null;
  email: string | null;
  name: string | null;
}

/** The user acted on: the target when it is a user (or carries an email). */
function targetUser(a: Activity): PersonLike | null {
  const t = a.target;
  if (!t || (t.type !== 'user' && !t.email)) return null;
  return t;
}

/** Values of one person attribute for a role; `any` is the union (so eq = either, neq = neither). */
function byRole(a: Activity, role: UserRole, pick: (p: PersonLike) => string | readonly string[] | null): FieldValue {
  if (role === 'actor') return pick(a.actor);
  const t = targetUser(a);
  const tv = t ? pick(t) : null;
  if (role === 'target') return tv;
  const av = pick(a.actor);
  if (av === null) return tv;
  if (tv === null) return av;
  return [...(typeof av === 'string' ? [av] : av), ...(typeof tv === 'string' ? [tv] : tv)];
}

const domainOf = (email: string | null): string | null => {
  if (!email) return null;
  const at = email.lastIndexOf('@');
  return at >= 0 && at < email.length - 1 ? email.slice(at + 1).toLowerCase() : null;
};

function isInternalDomain(domain: string, orgDomains: readonly string[]): boolean {
  for (const d of orgDomains) {
    const low = d.toLowerCase();
    if (domain === low || domain.endsWith(`.${low}`)) return true;
  }
  return false;
}

function directoryEntry(a: Activity, env: FilterEnv, p: PersonLike): DirectoryUser | null {
  if (!env.directoryUser) return null;
  return (p.id && env.directoryUser(a.app, p.id)) || (p.email && env.directoryUser(a.app, p.email)) || null;
}

function objectValues(a: Activity, pick: (o: { type: string; id: string | null; name: string | null }) => string | null): FieldValue {
  const out: string[] = [];
  for (const o of a.objects) {
    const v = pick(o);
    if (v) out.push(v);
  }
  if (a.target) {
    const v = pick(a.target);
    if (v) out.push(v);
  }
  return out.length ? out : null;
}

const field = (spec: FieldSpec): FieldSpec => spec;

export const FIELDS = {
  // Activity
  action: field({ kind: 'string', label: 'activity type (action)', extract: (a) => str(a.action) }),
  app: field({ kind: 'string', label: 'app', extract: (a) => str(a.app) }),
  tenant: field({ kind: 'string', label: 'app instance (tenant)', extract: (a) => str(a.tenant) }),
  source: field({ kind: 'string', label: 'source', extract: (a) => str(a.source) }),
  category: field({ kind: 'string', label: 'category', extract: (a) => a.category }),
  outcome: field({ kind: 'string', label: 'outcome', extract: (a) => a.outcome }),
  isAdminActivity: field({ kind: 'boolean', label: 'administrative activity', extract: (a) => bool(a.isAdminActivity) }),
  impersonated: field({ kind: 'boolean', label: 'impersonated activity', extract: (a) => bool(a.impersonated) }),
  interactive: field({ kind: 'boolean', label: 'interactive', extract: (a) => bool(a.interactive) }),
  time: field({ kind: 'time', label: 'date', extract: (a) => a.time }),
  // User (actor / target / any)
  'user.email': field({ kind: 'string', label: 'user email', roles: true, extract: (a, _e, r) => byRole(a, r, (p) => str(p.email)) }),
  'user.id': field({ kind: 'string', label: 'user id', roles: true, extract: (a, _e, r) => byRole(a, r, (p) => str(p.id)) }),
  'user.name': field({ kind: 'string', label: 'user name', roles: true, extract: (a, _e, r) => byRole(a, r, (p) => str(p.name)) }),
  'user.domain': field({ kind: 'string', label: 'user domain', roles: true, extract: (a, _e, r) => byRole(a, r, (p) => domainOf(p.email)) }),
  'user.group': field({
    kind: 'string',
    label: 'user group (directory)',
    roles: true,
    extract: (a, env, r) => byRole(a, r, (p) => list(directoryEntry(a, env, p)?.groups)),
  }),
  'user.department': field({
    kind: 'string',
    label: 'user department (directory)',
    roles: true,
    extract: (a, env, r) => byRole(a, r, (p) => str(directoryEntry(a, env, p)?.department)),
  }),
  'user.external': field({
    kind: 'boolean',
    label: 'external user (domain not in organization.domains)',
    roles: true,
    extract: (a, env, r) =>
      byRole(a, r, (p) => {
        const d = domainOf(p.email);
        // Unknown when there is no email domain or no organisation domains are configured.
        if (!d || !env.orgDomains?.length) return null;
        return bool(!isInternalDomain(d, env.orgDomains));
      }),
  }),
  // Network and location
  ip: field({ kind: 'ip', label: 'IP address', extract: (a) => str(a.ip) }),
  ipCategory: field({ kind: 'string', label: 'IP category', extract: (a) => a.ipCategory }),
  ipTags: field({ kind: 'string', label: 'IP tag', extract: (a) => list(a.ipTags) }),
  'geo.country': field({ kind: 'string', label: 'location (country)', extract: (a) => str(a.geo?.country) }),
  'geo.city': field({ kind: 'string', label: 'location (city)', extract: (a) => str(a.geo?.city) }),
  isp: field({ kind: 'string', label: 'registered ISP', extract: (a) => str(a.isp) }),
  asn: field({ kind: 'number', label: 'ASN', extract: (a) => (a.asn === null ? null : String(a.asn)) }),
  // Device and client
  'device.type': field({ kind: 'string', label: 'device type', extract: (a) => str(a.device?.type) }),
  'device.os': field({ kind: 'string', label: 'operating system', extract: (a) => str(a.device?.os) }),
  'device.browser': field({ kind: 'string', label: 'browser', extract: (a) => str(a.device?.browser) }),
  'device.tags': field({ kind: 'string', label: 'device tag', extract: (a) => list(a.device?.tags) }),
  userAgent: field({ kind: 'string', label: 'user agent', extract: (a) => str(a.userAgent) }),
  userAgentTags: field({ kind: 'string', label: 'user agent tag', extract: (a) => list(a.userAgentTags) }),
  // Activity objects (objects[] and the target)
  'object.id': field({ kind: 'string', label: 'activity object id', extract: (a) => objectValues(a, (o) => o.id) }),
  'object.name': field({ kind: 'string', label: 'activity object name', extract: (a) => objectValues(a, (o) => o.name) }),
  'object.type': field({ kind: 'string', label: 'activity object type', extract: (a) => objectValues(a, (o) => o.type) }),
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof FIELDS;
export const FIELD_NAMES = Object.keys(FIELDS) as [FieldName, ...FieldName[]];

/** Synchronous directory lookups for filters, built once from `store.listDirectoryUsers()`. */
export class DirectoryIndex {
  readonly #byKey = new Map<string, DirectoryUser>();
  constructor(users: readonly DirectoryUser[]) {
    for (const u of users) {
      this.#byKey.set(`${u.app}\u0000${u.id}`, u);
      if (u.email) this.#byKey.set(`${u.app}\u0000${u.email.toLowerCase()}`, u);
    }
  }
  get size(): number {
    return this.#byKey.size;
  }
  lookup = (app: string, idOrEmail: string): DirectoryUser | null =>
    this.#byKey.get(`${app}\u0000${idOrEmail}`) ?? this.#byKey.get(`${app}\u0000${idOrEmail.toLowerCase()}`) ?? null;
}
