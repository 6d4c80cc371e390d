/**
 * @module store/sql
 * The WHERE clauses of activity and alert queries, built once for both dialects. Every value becomes a bound
 * parameter through `Params.add`; only fixed column names and operators are ever written into the SQL text.
 */
import type { ActivityQuery, AlertQuery } from './store.ts';
import { decodeCursor, queryInstant, textNeedle, type KeysetPosition } from './common.ts';

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

/** Alerts, newest first, keyset on (time, id). */
export function buildAlertQuery(dialect: Dialect, q: AlertQuery, limit: number): BuiltQuery {
  const cursor = decodeCursor(q.cursor);
  const p = new Params(dialect);
  const conds: string[] = [];
  if (q.status !== undefined) conds.push(`status = ${p.add(q.status)}`);
  if (q.severity !== undefined) conds.push(`severity = ${p.add(q.severity)}`);
  if (q.detection !== undefined) conds.push(`detection = ${p.add(q.detection)}`);
  if (q.user !== undefined) conds.push(`user_key = ${p.add(q.user.toLowerCase())}`);
  if (q.from !== undefined) conds.push(`time >= ${p.add(queryInstant(q.from, 'from'))}`);
  if (q.to !== undefined) conds.push(`time < ${p.add(queryInstant(q.to, 'to'))}`);
  if (cursor) conds.push(keyset(p, cursor, 'desc'));
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  return { sql: `SELECT time, id, body FROM alerts ${where} ORDER BY time DESC, id DESC LIMIT ${p.add(limit + 1)}`, params: p.values };
}
