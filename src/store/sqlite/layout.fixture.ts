// Checks the activity layout's invariants (migrations 0002, 0003, 0005) on a database file: every stored row's id is
// in exactly one level (activity_ids, activity_ids_mid, activity_ids_recent or the log) with the row's rid, every row's
// email, actor id and IP are in exactly one level (big, `_mid`, `_recent`, log) of that key's lookups, and no entry is left
// without its row. Merges move entries in steps, so a row may have some entries moved and others not yet: each is
// checked on its own.
// Returns the broken invariants, [] when sound.
import type Database from 'better-sqlite3';
import { READ_LEVEL_SUFFIX } from './activity-writer.js';

export function layoutProblems(db: Database.Database): string[] {
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  const problems: string[] = [];
  const levels = Object.values(READ_LEVEL_SUFFIX);
  const sum = (term: (level: string) => string) => levels.map(term).join(' + ');
  const checks: [string, string][] = [
    [
      'rows without exactly one id entry',
      `SELECT count(*) FROM activities a WHERE ${sum((l) => `(SELECT count(*) FROM activity_ids${l} i WHERE i.id = a.id AND i.rid = a.rid)`)} != 1`,
    ],
    ['id entries without their row', `SELECT ${sum((l) => `(SELECT count(*) FROM activity_ids${l})`)} - (SELECT count(*) FROM activities)`],
  ];
  for (const [k, column] of [['email', 'actor_email'], ['actor', 'actor_id'], ['ip', 'ip']]) {
    const table = `activities_by_${k}`;
    const entries = (l: string) => `(SELECT count(*) FROM ${table}${l} x WHERE x.k = a.${column} AND x.t = a.time AND x.r = a.rid)`;
    checks.push(
      [`rows without exactly one ${k} entry`, `SELECT count(*) FROM activities a WHERE a.${column} IS NOT NULL AND ${sum(entries)} != 1`],
      [`${k} entries without their row`, `SELECT ${sum((l) => `(SELECT count(*) FROM ${table}${l})`)} - (SELECT count(*) FROM activities WHERE ${column} IS NOT NULL)`],
    );
  }
  for (const [what, sql] of checks) {
    const count = n(sql);
    if (count !== 0) problems.push(`${what}: ${count}`);
  }
  return problems;
}
