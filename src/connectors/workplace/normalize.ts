/**
 * @module connectors/workplace/normalize
 * Workplace security events to the Activity schema. The mapping is DATA (one row per known event name), so a
 * wrong guess is corrected by editing a row, not code. Each row says whether its event name was read in a real
 * source ([R]) or constructed ([I]); see workplace-api.md §3.2 and docs/connectors/workplace.md.
 *
 * We key on `value.event`, never on `change.field`: only the `integrations` field name is confirmed.
 */
import { RampartError } from '../../core/errors.ts';
import { hashedId, stableId } from '../../core/ids.ts';
import { EARLIEST_EVENT_MS, parseIsoDateOrInstant } from '../../core/time.ts';
import type { Activity, Category, Outcome } from '../../schema/activity.ts';

export const WORKPLACE_APP = 'workplace';

export interface EventMapping {
  category: Category;
  outcome: Outcome;
  /** Performed by a person in a UI (login page, admin panel) rather than by an API client. */
  interactive: boolean;
  isAdminActivity: boolean;
  /** What the `target_*` fields name. */
  targetType: 'user' | 'integration' | 'account';
  /** [R]: the event name was read in a real payload or source; [I]: constructed/inferred. */
  basis: 'R' | 'I';
  note: string;
}

const row = (
  category: Category,
  outcome: Outcome,
  interactive: boolean,
  isAdminActivity: boolean,
  basis: 'R' | 'I',
  note: string,
  targetType: EventMapping['targetType'] = 'user',
): EventMapping => ({ category, outcome, interactive, isAdminActivity, targetType, basis, note });

/**
 * Known `workplace_security` event names. Human names of everything but CUSTOM_INTEGRATION_EDIT are [R]
 * (Netskope's list and the admin-panel log); their UPPER_SNAKE spellings are [I].
 */
export const WORKPLACE_EVENT_MAP: Readonly<Record<string, EventMapping>> = {
  USER_LOGIN: row('login', 'success', true, false, 'I', '"User login" (Netskope); spelling inferred'),
  USER_LOGIN_FAILED: row('login', 'failure', true, false, 'I', 'admin-panel "Login Failed"; webhook enum not confirmed, placeholder'),
  USER_LOGOUT: row('logout', 'success', true, false, 'I', '"User logout" (Netskope); spelling inferred'),
  ADMIN_FORCE_LOG_OUT: row('admin', 'success', true, true, 'I', '"Admin force log out" across all devices'),
  PASSWORD_CHANGE: row('account', 'success', true, false, 'I', '"Password change"'),
  PASSWORD_RESET_REQUEST: row('account', 'success', true, false, 'I', '"Password reset request"'),
  PASSWORD_RESET_SUCCESS: row('account', 'success', true, false, 'I', '"Password reset success"'),
  PASSWORD_RESET_WRONG_CODE: row('account', 'failure', true, false, 'I', '"Password reset wrong code"'),
  FORCE_PASSWORD_RESET: row('admin', 'success', true, true, 'I', '"Force password reset" by an admin'),
  TWO_FACTOR_ENABLED: row('account', 'success', true, false, 'I', '"Two factor enabled"'),
  TWO_FACTOR_DISABLED: row('account', 'success', true, false, 'I', '"Two factor disabled"'),
  ADMIN_CREATE_ACCOUNT: row('admin', 'success', true, true, 'I', '"Admin create account"'),
  ADMIN_DEACTIVATE: row('admin', 'success', true, true, 'I', '"Admin deactivate"'),
  ADMIN_ACTIVATE_ACCOUNT: row('admin', 'success', true, true, 'I', '"Admin activate account"'),
  ADMIN_SET_TO_UNCLAIMED: row('admin', 'success', true, true, 'I', '"Admin set to unclaimed"'),
  ADMIN_ROLE_CHANGED: row('admin', 'success', true, true, 'I', 'admin-panel "Admin Role Changed"; enum constructed'),
  CUSTOM_INTEGRATION_EDIT: row('integration', 'success', true, true, 'R', 'the one real sample (Azure Sentinel); integration_data names it', 'integration'),
};

/**
 * Where the constructed impersonation fields live [C]: no impersonation event was found in any source
 * (workplace-api.md §3.2); the simulator adds `impersonator_integration_id/_name` (its facts.json
 * `constructed.impersonation`) to the value of the event done on the user's behalf. Data, like the table.
 */
export const IMPERSONATION_FIELDS = {
  flag: ['impersonated', 'is_impersonated'],
  id: ['impersonator_integration_id', 'impersonator_id', 'impersonator_app_id'],
  email: ['impersonator_email'],
  name: ['impersonator_integration_name', 'impersonator_name', 'impersonator_app_name'],
} as const;

/**
 * Whether `value` has any key of IMPERSONATION_FIELDS (a test keeps the two in step). Almost no event has one,
 * and these named reads are cheap on JSON.parse's objects, where reading the keys from the lists one by one
 * (a keyed read per key, eight per event) measured ~3% of the whole ingest path.
 */
export const hasImpersonationField = (value: Obj): boolean =>
  value.impersonated !== undefined ||
  value.is_impersonated !== undefined ||
  value.impersonator_integration_id !== undefined ||
  value.impersonator_id !== undefined ||
  value.impersonator_app_id !== undefined ||
  value.impersonator_email !== undefined;

/** Constructed [C] key of role changes: `{old_role, new_role}`, mapped to `objects` of type `role` / `previous_role`. */
export const ROLE_CHANGE_KEY = 'role_data';

/** Limits that keep one envelope bounded (the HTTP body limit applies first). */
export const MAX_CHANGES_PER_ENVELOPE = 10_000;

export interface NormalizeOptions {
  receivedAt: string;
  source: string;
}

export interface NormalizeResult {
  activities: Activity[];
  /** Changes whose `value.event` is not in the mapping table (kept as category `other`). */
  unknownEvents: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const str = (v: unknown, max = 1024): string | null => {
  if (typeof v === 'string') return v.length ? v.slice(0, max) : null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v).slice(0, max); // 1e21 is 5 characters, 1234567890123 13
  return null;
};

const first = (o: Obj, keys: readonly string[], max = 1024): string | null => {
  for (const k of keys) {
    const v = str(o[k], max);
    if (v !== null) return v;
  }
  return null;
};

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number at v[i..i+n) when those are all ASCII digits, else -1. */
function digitsAt(v: string, i: number, n: number): number {
  let x = 0;
  for (let k = i; k < i + n; k++) {
    const c = v.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return -1;
    x = x * 10 + c;
  }
  return x;
}

/**
 * Fast path for the Graph timestamp shape (`2021-03-29T12:00:20+0000`, also `.mmm` and `Z`/`+00:00`): V8's
 * Date.parse takes a slow path for the `+0000` offset, and this runs once per event on ingest, so it reads
 * characters rather than running a regex. Anything else falls back to Date.parse.
 */
function fastUtcIso(v: string): string | null {
  const n = v.length;
  if (n < 20 || n > 29) return null;
  if (v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58) return null; // - - T : :
  const year = digitsAt(v, 0, 4), month = digitsAt(v, 5, 2), day = digitsAt(v, 8, 2);
  const hour = digitsAt(v, 11, 2), minute = digitsAt(v, 14, 2), second = digitsAt(v, 17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1])) return null;
  let i = 19;
  let ms = '000';
  if (v.charCodeAt(19) === 46) {
    // `.` and 1 to 3 digits
    while (i < 22 && i + 1 < n && digitsAt(v, i + 1, 1) >= 0) i++;
    if (i === 19) return null;
    ms = v.slice(20, i + 1).padEnd(3, '0');
    i++;
  }
  const rest = n - i;
  const utc =
    (rest === 1 && v.charCodeAt(i) === 90) || // Z
    (rest === 5 && v.charCodeAt(i) === 43 && digitsAt(v, i + 1, 4) === 0) || // +0000
    (rest === 6 && v.charCodeAt(i) === 43 && digitsAt(v, i + 1, 2) === 0 && v.charCodeAt(i + 3) === 58 && digitsAt(v, i + 4, 2) === 0); // +00:00
  return utc ? `${v.slice(0, 19)}.${ms}Z` : null;
}

export function parseWorkplaceTime(v: unknown): string | null {
  if (typeof v === 'number' && Number.isFinite(v)) {
    const ms = v > 1e12 ? v : v * 1000; // seconds normally; tolerate milliseconds
    // 0 and other pre-2000 values are a missing time, not 1970: the next source of the time is used instead.
    if (ms < EARLIEST_EVENT_MS) return null;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof v === 'string' && v.length <= 64) {
    const fast = fastUtcIso(v);
    if (fast) return fast;
    if (/^\d+$/.test(v)) return parseWorkplaceTime(Number(v));
    // Other offsets and spellings, strictly: Date.parse would roll Feb 30 over and read "2026-01-01T00:00:00"
    // in the host's time zone.
    // A bare calendar date (SCIM term dates) is midnight UTC.
    const t = parseIsoDateOrInstant(v);
    return Number.isNaN(t) || t < EARLIEST_EVENT_MS ? null : new Date(t).toISOString();
  }
  return null;
}

const bad = (reason: string): RampartError => new RampartError('RAMPART_ERR_CONN_BAD_PAYLOAD', [reason]);

/**
 * The dedupe key (workplace-api.md §9): company id, event timestamp, event name, actor and target.
 * A redelivery of the same change gives the same id, so the store writes it once.
 */
export function workplaceEventId(entryId: string, timestamp: string, event: string, actorId: string | null, targetId: string | null): string {
  // stableId('wp', ...) with its joining spelled out: no rest array on the per-event path.
  return hashedId('wp', `${entryId}\u0000${timestamp}\u0000${event}\u0000${actorId ?? ''}\u0000${targetId ?? ''}\u0000`);
}

/** Whether the last toActivity call found its event name in the mapping table (saves a result object per event). */
let lastKnown = false;

/** One change value to an Activity. Never throws: unknown shapes become category `other`. */
export function normalizeChange(
  value: Obj,
  envelope: { object: string; entryId: string; entryTime: unknown; field: string | null },
  opts: NormalizeOptions,
): { activity: Activity; known: boolean } {
  const activity = toActivity(value, envelope.object, envelope.entryId, envelope.entryTime, envelope.field, opts);
  return { activity, known: lastKnown };
}

/** normalizeChange without the per-event envelope and result objects (the ingest hot path). */
function toActivity(value: Obj, object: string, entryId: string, entryTime: unknown, field: string | null, opts: NormalizeOptions): Activity {
  const eventName = str(value.event, 256);
  const action = eventName ?? `${object}.${field ?? 'unknown'}`.slice(0, 256);
  const mapping = eventName ? WORKPLACE_EVENT_MAP[eventName] : undefined;
  const timestamp = value.timestamp;
  const time = parseWorkplaceTime(timestamp) ?? parseWorkplaceTime(entryTime) ?? opts.receivedAt;
  const rawTimestamp = str(timestamp, 64) ?? str(entryTime, 64) ?? '';
  const actorId = str(value.actor_id, 512);
  const targetId = str(value.target_id, 512);
  const integration = isObj(value.integration_data) ? value.integration_data : null;

  const mayImpersonate = hasImpersonationField(value);
  const impersonatorId = mayImpersonate ? first(value, IMPERSONATION_FIELDS.id, 512) : null;
  const impersonatorEmail = mayImpersonate ? first(value, IMPERSONATION_FIELDS.email) : null;
  let impersonated = impersonatorId !== null || impersonatorEmail !== null;
  if (!impersonated && mayImpersonate) for (const k of IMPERSONATION_FIELDS.flag) if (value[k] === true) impersonated = true;

  const targetType = mapping?.targetType ?? 'user';
  let target: Activity['target'] = null;
  if (targetType === 'integration' && integration) {
    target = { type: 'integration', id: str(integration.custom_integration_id, 512), email: null, name: str(integration.custom_integration_name) };
  } else if (targetId !== null || value.target_email !== undefined) {
    target = { type: targetType, id: targetId, email: str(value.target_email), name: str(value.target_name) };
  }

  const browser = str(value.browser_name, 128);
  const os = str(value.browser_os, 128);
  const country = str(value.ip_country, 8);
  const objects: Activity['objects'] = [];
  if (integration && targetType !== 'integration') {
    objects.push({ type: 'integration', id: str(integration.custom_integration_id, 512), name: str(integration.custom_integration_name) });
  }
  if (impersonated) {
    const impersonatorName = first(value, IMPERSONATION_FIELDS.name);
    if (impersonatorId || impersonatorName) objects.push({ type: 'integration', id: impersonatorId, name: impersonatorName });
  }
  // Constructed [C] role change details (simulator facts.json `constructed.roleChange`).
  const role = isObj(value[ROLE_CHANGE_KEY]) ? (value[ROLE_CHANGE_KEY] as Obj) : null;
  if (role) {
    objects.push({ type: 'role', id: null, name: str(role.new_role) });
    if (str(role.old_role) !== null) objects.push({ type: 'previous_role', id: null, name: str(role.old_role) });
  }

  lastKnown = mapping !== undefined;
  return {
    v: 1,
    id: workplaceEventId(entryId, rawTimestamp, action, actorId, targetId),
    time,
    receivedAt: opts.receivedAt,
    app: WORKPLACE_APP,
    tenant: entryId.slice(0, 256),
    source: opts.source,
    action,
    category: mapping?.category ?? 'other',
    outcome: mapping?.outcome ?? 'unknown',
    interactive: mapping?.interactive ?? false,
    isAdminActivity: mapping?.isAdminActivity ?? false,
    impersonated,
    impersonator: impersonated ? { id: impersonatorId, email: impersonatorEmail } : null,
    actor: { id: actorId, email: str(value.actor_email), name: str(value.actor_name) },
    target,
    objects,
    ip: str(value.ip, 64),
    userAgent: str(value.useragent, 4096) ?? str(value.user_agent, 4096),
    geo: country ? { country, city: null, lat: null, lon: null } : null,
    asn: null,
    isp: null,
    ipCategory: null,
    ipTags: [],
    device: browser || os ? { type: null, os, browser, tags: [] } : null,
    userAgentTags: [],
    raw: { object, entryId, entryTime: entryTime ?? null, field, value },
  };
}

/**
 * A webhook body (`{"object","entry":[{"id","time","changes":[{"field","value"}]}]}`) to activities.
 * Throws RAMPART_ERR_CONN_BAD_PAYLOAD only when the envelope itself is malformed; nothing is partially kept.
 */
export function normalizeEnvelope(body: unknown, opts: NormalizeOptions): NormalizeResult {
  if (!isObj(body)) throw bad('body is not a JSON object');
  const object = str(body.object, 64);
  if (object === null) throw bad('missing "object"');
  const entries = body.entry;
  if (!Array.isArray(entries)) throw bad('"entry" is not an array');
  const activities: Activity[] = [];
  let unknownEvents = 0;
  let changesSeen = 0;
  // Plain loops rather than forEach (no closures per body); `in` skips holes as forEach did.
  for (let i = 0; i < entries.length; i++) {
    if (!(i in entries)) continue;
    const entry: unknown = entries[i];
    if (!isObj(entry)) throw bad(`entry[${i}] is not an object`);
    const entryId = str(entry.id, 256);
    if (entryId === null) throw bad(`entry[${i}].id is missing`);
    const changes = entry.changes;
    if (!Array.isArray(changes)) throw bad(`entry[${i}].changes is not an array`);
    for (let j = 0; j < changes.length; j++) {
      if (!(j in changes)) continue;
      const change: unknown = changes[j];
      if (++changesSeen > MAX_CHANGES_PER_ENVELOPE) throw bad(`more than ${MAX_CHANGES_PER_ENVELOPE} changes`);
      if (!isObj(change)) throw bad(`entry[${i}].changes[${j}] is not an object`);
      if (!isObj(change.value)) throw bad(`entry[${i}].changes[${j}].value is not an object`);
      activities.push(toActivity(change.value, object, entryId, entry.time, str(change.field, 128), opts));
      if (!lastKnown) unknownEvents++;
    }
  }
  return { activities, unknownEvents };
}

// ---------------------------------------------------------------------------------------------------------
// Admin Center `security_audit_logs` records (pull API, workplace-api.md §3.4). Only "an event type (e.g.
// "Login", "New role assigned"), the actor's username, target, time and IP" is [R]; every field name is [I],
// so the accepted names are lists (first present wins). A record is turned into a webhook-style `value` and
// normalized by the same table, so both sources give the same category/outcome/action for the same event.

export const AUDIT_LOG_FIELDS = {
  id: ['id', 'event_id'],
  event: ['event'],
  type: ['event_type', 'type', 'action'],
  time: ['creation_time', 'time', 'timestamp', 'event_time', 'created_time'],
  actorId: ['actor_id'],
  actorName: ['actor_username', 'actor_email', 'username'],
  targetId: ['target_id'],
  targetName: ['target_username', 'target_email'],
  ip: ['ip_address', 'ip'],
  userAgent: ['user_agent', 'useragent'],
  country: ['ip_country', 'country'],
} as const;

/**
 * Admin Center display names to webhook event names. "Login" and "New role assigned" are [R] display names;
 * the others are [I] (the simulator's facts.json `auditType`s). Case-insensitive.
 */
export const AUDIT_TYPE_TO_EVENT: Readonly<Record<string, string>> = {
  login: 'USER_LOGIN',
  'login failed': 'USER_LOGIN_FAILED',
  logout: 'USER_LOGOUT',
  'forced logout': 'ADMIN_FORCE_LOG_OUT',
  'password changed': 'PASSWORD_CHANGE',
  'password reset code requested': 'PASSWORD_RESET_REQUEST',
  'password reset succeeded': 'PASSWORD_RESET_SUCCESS',
  'password reset incorrect code': 'PASSWORD_RESET_WRONG_CODE',
  'forced password reset': 'FORCE_PASSWORD_RESET',
  'two-factor authentication enabled': 'TWO_FACTOR_ENABLED',
  'two-factor authentication disabled': 'TWO_FACTOR_DISABLED',
  'account created': 'ADMIN_CREATE_ACCOUNT',
  'account deactivated': 'ADMIN_DEACTIVATE',
  'account activated': 'ADMIN_ACTIVATE_ACCOUNT',
  'account set to unclaimed': 'ADMIN_SET_TO_UNCLAIMED',
  'new role assigned': 'ADMIN_ROLE_CHANGED',
  'integration edited': 'CUSTOM_INTEGRATION_EDIT',
};

/** The webhook event name for an audit record: its `event` when known, else its display type via the alias table. */
export function auditEventName(record: Obj): string | null {
  const event = first(record, AUDIT_LOG_FIELDS.event, 256);
  if (event && WORKPLACE_EVENT_MAP[event]) return event;
  const type = first(record, AUDIT_LOG_FIELDS.type, 256);
  const alias = type ? AUDIT_TYPE_TO_EVENT[type.toLowerCase().trim()] : undefined;
  if (alias) return alias;
  if (type && WORKPLACE_EVENT_MAP[type.toUpperCase().replace(/[ -]/g, '_')]) return type.toUpperCase().replace(/[ -]/g, '_');
  return event ?? type;
}

/** One Admin Center audit record to an Activity; never throws for an object. */
export function normalizeAuditRecord(record: Obj, tenant: string, opts: NormalizeOptions): { activity: Activity; known: boolean } {
  const pick = (keys: readonly string[], max?: number) => first(record, keys, max);
  const person = (k: string) => (isObj(record[k]) ? (record[k] as Obj) : null);
  const actor = person('actor');
  const target = person('target');
  const timeRaw = AUDIT_LOG_FIELDS.time.map((k) => record[k]).find((v) => v !== undefined && v !== null);
  const actorName = pick(AUDIT_LOG_FIELDS.actorName) ?? (actor ? first(actor, ['username', 'email', 'name']) : null);
  const targetName = pick(AUDIT_LOG_FIELDS.targetName) ?? (target ? first(target, ['username', 'email', 'name']) : null);
  const event = auditEventName(record) ?? 'unknown';
  // Constructed keys (role_data, impersonator_*) pass through unchanged, like in a webhook value.
  const value: Obj = { ...record };
  Object.assign(value, {
    event,
    timestamp: timeRaw ?? null,
    actor_id: pick(AUDIT_LOG_FIELDS.actorId, 512) ?? (actor ? first(actor, ['id'], 512) : null),
    actor_email: actorName && actorName.includes('@') ? actorName : null,
    actor_name: actorName && !actorName.includes('@') ? actorName : null,
    target_id: pick(AUDIT_LOG_FIELDS.targetId, 512) ?? (target ? first(target, ['id'], 512) : null),
    target_email: targetName && targetName.includes('@') ? targetName : null,
    target_name: targetName && !targetName.includes('@') ? targetName : null,
    ip: pick(AUDIT_LOG_FIELDS.ip, 64),
    ip_country: pick(AUDIT_LOG_FIELDS.country, 8),
    useragent: pick(AUDIT_LOG_FIELDS.userAgent, 4096),
  });
  if (value.target_id === null && value.target_email === null) delete value.target_email;
  const { activity, known } = normalizeChange(value, { object: 'security_audit_logs', entryId: tenant, entryTime: null, field: null }, opts);
  const recId = pick(AUDIT_LOG_FIELDS.id, 512);
  activity.id = recId
    ? stableId('wpa', tenant, recId)
    : stableId('wpa', tenant, String(timeRaw ?? ''), event, activity.actor.id ?? activity.actor.email, activity.target?.id ?? null);
  activity.raw = record;
  return { activity, known };
}
