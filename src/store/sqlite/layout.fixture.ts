// Checks the activity layout's invariants (migration 0002) on a database file: every stored row's id is in exactly
// one id table (activity_ids or activity_ids_recent) with the row's rid, every row's email, actor id and IP are in
// exactly one of the big or `_recent` lookup tables of that key, and no entry is left without its row. Merges move
// entries in steps, so a row may have some entries moved and others not yet: each is checked on its own.
// Returns the broken invariants, [] when sound.
import type Database from 'better-sqlite3';

export function layoutProblems(db: Database.Database): string[] {
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  const problems: string[] = [];
  const checks: [string, string][] = [
    [
      'rows without exactly one id entry',
      'SELECT count(*) FROM activities a WHERE (SELECT count(*) FROM activity_ids i WHERE i.id = a.id AND i.rid = a.rid) + ' +
        '(SELECT count(*) FROM activity_ids_recent i WHERE i.id = a.id AND i.rid = a.rid) != 1',
    ],
    ['id entries without their row', 'SELECT (SELECT count(*) FROM activity_ids) + (SELECT count(*) FROM activity_ids_recent) - (SELECT count(*) FROM activities)'],
  ];
  for (const [k, column] of [['email', 'actor_email'], ['actor', 'actor_id'], ['ip', 'ip']]) {
    const big = `activities_by_${k}`;
    const recent = `${big}_recent`;
    const entries = (t: string) => `(SELECT count(*) FROM ${t} x WHERE x.k = a.${column} AND x.t = a.time AND x.r = a.rid)`;
    checks.push(
      [`rows without exactly one ${k} entry`, `SELECT count(*) FROM activities a WHERE a.${column} IS NOT NULL AND ${entries(big)} + ${entries(recent)} != 1`],
      [`${k} entries without their row`, `SELECT (SELECT count(*) FROM ${big}) + (SELECT count(*) FROM ${recent}) - (SELECT count(*) FROM activities WHERE ${column} IS NOT NULL)`],
    );
  }
  for (const [what, sql] of checks) {
    const count = n(sql);
    if (count !== 0) problems.push(`${what}: ${count}`);
  }
  return problems;
}
