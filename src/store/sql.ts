/**
 * @module store/sql
 * The WHERE clauses of activity and alert queries, built once for both dialects. Every value becomes a bound
 * parameter through `Params.add`; only fixed column names and operators are ever written into the SQL text.
 */
import { RampartError } from '../core/errors.ts';
import type { Alert } from '../schema/alert.ts';
import type { ActivityQuery, AlertQuery, AlertSort, Page } from './store.ts';
import { decodeCursor, encodeCursor, queryInstant, textNeedle, type KeysetPosition } from './common.ts';

export interface Dialect {
  /** Placeholder for the n-th (1-based) parameter. */
  placeholder(n: number): string;
  /** A boolean SQL expression: the lowercased needle occurs in the activity's searchable fields. */
  textMatch(p: Params, needle: string): string;
  /** An activity `time` value as the driver's column holds it (SQLite: epoch milliseconds). */
  activityTime(iso: string): unknown;
  /**
   * A column reference the planner must not pick an index for (SQLite: `+col`). Used for the broad columns (action,
   * category, outcome, app) when a selective user or IP filter is present: without statistics SQLite would otherwise
   * walk the (action, time) index over every login instead of the user's own (actor, time) index.
   */
  unindexed(column: string): string;
}

export class Params {
  readonly values: unknown[] = [];
  constructor(private readonly dialect: Dialect) {}
  add(value: unknown): string {
    this.values.push(value);
    return this.dialect.placeholder(this.values.length);
  }
}

/** `(time, id)` beyond the cursor in the direction of the order (`columns`: how the query names the two). */
export function keyset(
  p: Params,
  pos: KeysetPosition,
  order: 'asc' | 'desc',
  time: (iso: string) => unknown = (t) => t,
  columns: { time: string; id: string } = { time: 'time', id: 'id' },
): string {
  const op = order === 'desc' ? '<' : '>';
  const bound = order === 'desc' ? '<=' : '>=';
  const t = time(pos.time);
  const [tc, ic] = [columns.time, columns.id];
  // The lone `time <=`/`>=` term is redundant with the OR but gives the planner an index range.
  return `${tc} ${bound} ${p.add(t)} AND (${tc} ${op} ${p.add(t)} OR (${tc} = ${p.add(t)} AND ${ic} ${op} ${p.add(pos.id)}))`;
}

export interface BuiltQuery {
  sql: string;
  params: unknown[];
}

/**
 * One activity query. A `user` filter becomes two index-friendly branches (by lowercased email, by id) merged
 * with UNION, so each branch walks its own (column, time) index instead of sorting an OR.
 */
export function buildActivityQuery(dialect: Dialect, q: ActivityQuery, limit: number, columns: string): BuiltQuery {
  const order = q.order === 'asc' ? 'asc' : 'desc';
  const cursor = decodeCursor(q.cursor);
  const from = q.from !== undefined ? queryInstant(q.from, 'from') : undefined;
  const to = q.to !== undefined ? queryInstant(q.to, 'to') : undefined;
  const p = new Params(dialect);
  const dir = order === 'desc' ? 'DESC' : 'ASC';

  const branch = (userColumn: string | null): string => {
    const conds: string[] = [];
    const selective = userColumn !== null || q.ip !== undefined;
    const broad = (c: string) => (selective ? dialect.unindexed(c) : c);
    if (userColumn === 'actor_email') conds.push(`actor_email = ${p.add(q.user!.toLowerCase())}`);
    if (userColumn === 'actor_id') conds.push(`actor_id = ${p.add(q.user)}`);
    if (q.ip !== undefined) conds.push(`ip = ${p.add(q.ip)}`);
    if (q.action !== undefined) conds.push(`${broad('action')} = ${p.add(q.action)}`);
    if (q.category !== undefined) conds.push(`${broad('category')} = ${p.add(q.category)}`);
    if (q.outcome !== undefined) conds.push(`${broad('outcome')} = ${p.add(q.outcome)}`);
    if (q.app !== undefined) conds.push(`${broad('app')} = ${p.add(q.app)}`);
    if (from !== undefined) conds.push(`time >= ${p.add(dialect.activityTime(from))}`);
    if (to !== undefined) conds.push(`time < ${p.add(dialect.activityTime(to))}`);
    if (q.text !== undefined && q.text !== '') conds.push(dialect.textMatch(p, textNeedle(q.text)));
    if (cursor) conds.push(keyset(p, cursor, order, dialect.activityTime));
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    return `SELECT ${columns} FROM activities ${where} ORDER BY time ${dir}, id ${dir} LIMIT ${p.add(limit + 1)}`;
  };

  if (q.user === undefined || q.user === '') return { sql: branch(null), params: p.values };
  const byEmail = branch('actor_email');
  const byId = branch('actor_id');
  const sql =
    `SELECT * FROM (${byEmail}) AS by_email UNION SELECT * FROM (${byId}) AS by_id ` +
    `ORDER BY time ${dir}, id ${dir} LIMIT ${p.add(limit + 1)}`;
  return { sql, params: p.values };
}

/** The rank `sort: 'severity'` orders by, most severe highest (fixed SQL text, no value from the query). */
const SEVERITY_RANK = `(CASE severity WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END)`;
const RANKS: Record<string, number> = { high: 3, medium: 2, low: 1 };
const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Where a sorted alert page ended: the last row's sort key (severity rank, or user key) with its (time, id). */
interface AlertPosition extends KeysetPosition {
  key: number | string | null;
}

/**
 * An alert cursor. `time` order keeps the plain `[time, id]` cursor; the other orders carry
 * `[time, id, sort, key]`, so a cursor is refused under a sort that did not issue it.
 */
function decodeAlertCursor(cursor: string | null | undefined, sort: AlertSort): AlertPosition | null {
  if (sort === 'time') {
    const pos = decodeCursor(cursor);
    return pos && { ...pos, key: null };
  }
  if (cursor === null || cursor === undefined || cursor === '') return null;
  try {
    if (cursor.length > 4096) throw new Error('too long');
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 4 && typeof v[0] === 'string' && ISO_MS.test(v[0]) && typeof v[1] === 'string' && v[2] === sort) {
      const key: unknown = v[3];
      if (sort === 'severity' && Number.isInteger(key) && (key as number) >= 0 && (key as number) <= 3) return { time: v[0], id: v[1], key: key as number };
      if (sort === 'user' && (key === null || typeof key === 'string')) return { time: v[0], id: v[1], key };
    }
  } catch {
    // fall through to the one error below
  }
  throw new RampartError('RAMPART_ERR_STORE_INVALID_QUERY', ['the cursor is not one this store issued']);
}

/** The columns of an alert row that place it in every order. */
export interface AlertRowKeys {
  time: string;
  id: string;
  severity: string;
  userKey: string | null;
}

/** Builds an alert page from `limit + 1` fetched rows (the extra row only tells that another page exists). */
export function toAlertPage<R>(rows: R[], limit: number, sort: AlertSort | undefined, item: (r: R) => Alert, keys: (r: R) => AlertRowKeys): Page<Alert> {
  const s = sort ?? 'time';
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  let next: string | null = null;
  if (more) {
    const last = keys(kept[kept.length - 1]);
    const key = s === 'severity' ? (RANKS[last.severity] ?? 0) : last.userKey;
    next = s === 'time' ? encodeCursor(last) : Buffer.from(JSON.stringify([last.time, last.id, s, key]), 'utf8').toString('base64url');
  }
  return { items: kept.map(item), next };
}

/**
 * Alerts: newest first, keyset on (time, id); or by severity / by user, keyset on (rank or user key, time, id).
 * The sorted orders have no index: the database sorts the alerts the filters leave (a top-N sort per page).
 */
export function buildAlertQuery(dialect: Dialect, q: AlertQuery, limit: number): BuiltQuery {
  const sort = q.sort ?? 'time';
  const cursor = decodeAlertCursor(q.cursor, sort);
  const p = new Params(dialect);
  const conds: string[] = [];
  if (q.status !== undefined) conds.push(`status = ${p.add(q.status)}`);
  if (q.severity !== undefined) conds.push(`severity = ${p.add(q.severity)}`);
  if (q.detection !== undefined) conds.push(`detection = ${p.add(q.detection)}`);
  if (q.user !== undefined) conds.push(`user_key = ${p.add(q.user.toLowerCase())}`);
  if (q.from !== undefined) conds.push(`time >= ${p.add(queryInstant(q.from, 'from'))}`);
  if (q.to !== undefined) conds.push(`time < ${p.add(queryInstant(q.to, 'to'))}`);
  let order = 'time DESC, id DESC';
  if (sort === 'severity') {
    order = `${SEVERITY_RANK} DESC, time DESC, id DESC`;
    if (cursor) {
      const r = cursor.key as number;
      conds.push(`(${SEVERITY_RANK} < ${p.add(r)} OR (${SEVERITY_RANK} = ${p.add(r)} AND ${keyset(p, cursor, 'desc')}))`);
    }
  } else if (sort === 'user') {
    // Alerts without a user come last in both dialects (SQLite sorts NULL first, PostgreSQL last).
    order = '(user_key IS NULL), user_key, time DESC, id DESC';
    if (cursor && cursor.key === null) conds.push(`(user_key IS NULL AND ${keyset(p, cursor, 'desc')})`);
    else if (cursor) {
      const k = cursor.key as string;
      conds.push(`(user_key > ${p.add(k)} OR user_key IS NULL OR (user_key = ${p.add(k)} AND ${keyset(p, cursor, 'desc')}))`);
    }
  } else if (cursor) conds.push(keyset(p, cursor, 'desc'));
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  return { sql: `SELECT time, id, severity, user_key, body FROM alerts ${where} ORDER BY ${order} LIMIT ${p.add(limit + 1)}`, params: p.values };
}
