/**
 * @module store/sqlite/query
 * Activity queries over the SQLite layout of migrations 0002 and 0003: the append-only `activities` table (indexed
 * by time and by action), and the lookup tables for email, actor id and IP in three levels (the big tables, `_mid`
 * and the small `_recent`) plus the log of the newest rows (migration 0005; each row's entry is in exactly one). A
 * user or IP filter becomes a walk of the three lookup tables of its key in (key, time) order, each joined to the
 * row and stopping after one page, and a scan of the log; the parts are merged by (time, id). Values are always
 * bound parameters.
 */
import type { ActivityQuery } from '../store.ts';
import { decodeCursor, queryInstant, textNeedle } from '../common.ts';
import { keyset, Params, type BuiltQuery, type Dialect } from '../sql.ts';
import { READ_LEVEL_SUFFIX } from './activity-writer.js';

type Keyed = 'actor_email' | 'actor_id' | 'ip';
const LOOKUP: Record<Keyed, string> = { actor_email: 'activities_by_email', actor_id: 'activities_by_actor', ip: 'activities_by_ip' };

export function buildSqliteActivityQuery(dialect: Dialect, q: ActivityQuery, limit: number): BuiltQuery {
  const order = q.order === 'asc' ? 'asc' : 'desc';
  const dir = order === 'desc' ? 'DESC' : 'ASC';
  const cursor = decodeCursor(q.cursor);
  const from = q.from !== undefined ? dialect.activityTime(queryInstant(q.from, 'from')) : undefined;
  const to = q.to !== undefined ? dialect.activityTime(queryInstant(q.to, 'to')) : undefined;
  const p = new Params(dialect);

  /**
   * One part. `big` / `mid` / `recent` / `log`: walk that level of the key's lookup tables (the log, a view over
   * the few thousand newest rows, is scanned); `table`: the table itself through its time or action index (every
   * row, whatever its level).
   */
  const part = (key: { column: Keyed; value: string } | null, source: keyof typeof READ_LEVEL_SUFFIX | 'table'): string => {
    const conds: string[] = [];
    // The lookup walk orders by its own copy of the time (x.t), so the page stops early.
    const time = source === 'table' ? 'a.time' : 'x.t';
    const broad = (c: string) => (source === 'table' && key === null && q.ip === undefined ? `a.${c}` : `+a.${c}`);
    if (source !== 'table') conds.push(`x.k = ${p.add(key!.value)}`);
    // An IP filter beside a user filter is checked on the user's rows.
    if (q.ip !== undefined && key?.column !== 'ip') conds.push(`+a.ip = ${p.add(q.ip)}`);
    if (q.action !== undefined) conds.push(`${broad('action')} = ${p.add(q.action)}`);
    // The (category, time) index only for a walk of the table with no user, IP or action filter (those are narrower).
    if (q.category !== undefined) conds.push(`${q.action === undefined ? broad('category') : '+a.category'} = ${p.add(q.category)}`);
    if (q.outcome !== undefined) conds.push(`+a.outcome = ${p.add(q.outcome)}`);
    if (q.app !== undefined) conds.push(`+a.app = ${p.add(q.app)}`);
    if (from !== undefined) conds.push(`${time} >= ${p.add(from)}`);
    if (to !== undefined) conds.push(`${time} < ${p.add(to)}`);
    if (q.text !== undefined && q.text !== '') conds.push(dialect.textMatch(p, textNeedle(q.text)));
    if (cursor) conds.push(keyset(p, cursor, order, dialect.activityTime, { time, id: 'a.id' }));
    // CROSS JOIN keeps the lookup table as the outer loop.
    const fromSql =
      source === 'table' ? 'activities AS a' : `${LOOKUP[key!.column]}${READ_LEVEL_SUFFIX[source]} AS x CROSS JOIN activities AS a ON a.rid = x.r`;
    const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
    return (
      `SELECT a.time AS time, a.id AS id, a.body AS body FROM ${fromSql} ${where} ` +
      `ORDER BY ${time} ${dir}, a.id ${dir} LIMIT ${p.add(limit + 1)}`
    );
  };

  const keys: { column: Keyed; value: string }[] = [];
  if (q.user !== undefined && q.user !== '') {
    keys.push({ column: 'actor_email', value: q.user.toLowerCase() }, { column: 'actor_id', value: q.user });
  } else if (q.ip !== undefined) {
    keys.push({ column: 'ip', value: q.ip });
  }
  if (keys.length === 0) {
    const sql = part(null, 'table');
    return { sql, params: p.values };
  }
  const parts: string[] = [];
  for (const k of keys) parts.push(part(k, 'big'), part(k, 'mid'), part(k, 'recent'), part(k, 'log'));
  // UNION, not UNION ALL: a row can match a user by both its email and its id.
  const sql =
    parts.map((s, i) => `SELECT * FROM (${s}) AS p${i}`).join(' UNION ') + ` ORDER BY time ${dir}, id ${dir} LIMIT ${p.add(limit + 1)}`;
  return { sql, params: p.values };
}
