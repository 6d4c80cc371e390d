// Checks the activity layout's invariants (migration 0002) on a database file: every stored row's id is in exactly
// one id table (merged rows in activity_ids, newer rows in activity_ids_recent), and every row has its email,
// actor id and IP lookup entries in the merged or the recent lookup tables to match, with nothing left over. Returns the broken invariants, [] when sound.
import type Database from 'better-sqlite3';

export function layoutProblems(db: Database.Database): string[] {
  const n = (sql: string) => db.prepare(sql).pluck().get() as number;
  const problems: string[] = [];
  const merged = 'SELECT merged_rid FROM activity_merge';
  const checks: [string, string][] = [
    ['rows without exactly one id entry', `SELECT count(*) FROM activities a WHERE (SELECT count(*) FROM activity_ids i WHERE i.id = a.id AND i.rid = a.rid AND a.rid <= (${merged})) + (SELECT count(*) FROM activity_ids_recent i WHERE i.id = a.id AND i.rid = a.rid AND a.rid > (${merged})) != 1`],
    ['id entries without their row', 'SELECT (SELECT count(*) FROM activity_ids) + (SELECT count(*) FROM activity_ids_recent) - (SELECT count(*) FROM activities)'],
    ['merged rows missing an email entry', `SELECT count(*) FROM activities a WHERE a.rid <= (${merged}) AND a.actor_email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activities_by_email x WHERE x.k = a.actor_email AND x.t = a.time AND x.r = a.rid)`],
    ['merged rows missing an actor entry', `SELECT count(*) FROM activities a WHERE a.rid <= (${merged}) AND a.actor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activities_by_actor x WHERE x.k = a.actor_id AND x.t = a.time AND x.r = a.rid)`],
    ['merged rows missing an IP entry', `SELECT count(*) FROM activities a WHERE a.rid <= (${merged}) AND a.ip IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activities_by_ip x WHERE x.k = a.ip AND x.t = a.time AND x.r = a.rid)`],
    ['recent rows missing an email entry', `SELECT count(*) FROM activities a WHERE a.rid > (${merged}) AND a.actor_email IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activities_by_email_recent x WHERE x.k = a.actor_email AND x.t = a.time AND x.r = a.rid)`],
    ['recent rows missing an actor entry', `SELECT count(*) FROM activities a WHERE a.rid > (${merged}) AND a.actor_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activities_by_actor_recent x WHERE x.k = a.actor_id AND x.t = a.time AND x.r = a.rid)`],
    ['recent rows missing an IP entry', `SELECT count(*) FROM activities a WHERE a.rid > (${merged}) AND a.ip IS NOT NULL AND NOT EXISTS (SELECT 1 FROM activities_by_ip_recent x WHERE x.k = a.ip AND x.t = a.time AND x.r = a.rid)`],
    ['recent lookup entries without their row', `SELECT (SELECT count(*) FROM activities_by_email_recent) + (SELECT count(*) FROM activities_by_actor_recent) + (SELECT count(*) FROM activities_by_ip_recent) - (SELECT count(*) FROM activities WHERE rid > (${merged}) AND actor_email IS NOT NULL) - (SELECT count(*) FROM activities WHERE rid > (${merged}) AND actor_id IS NOT NULL) - (SELECT count(*) FROM activities WHERE rid > (${merged}) AND ip IS NOT NULL)`],
    ['lookup entries without their merged row', `SELECT (SELECT count(*) FROM activities_by_email) + (SELECT count(*) FROM activities_by_actor) + (SELECT count(*) FROM activities_by_ip) - (SELECT count(*) FROM activities WHERE rid <= (${merged}) AND actor_email IS NOT NULL) - (SELECT count(*) FROM activities WHERE rid <= (${merged}) AND actor_id IS NOT NULL) - (SELECT count(*) FROM activities WHERE rid <= (${merged}) AND ip IS NOT NULL)`],
  ];
  for (const [what, sql] of checks) {
    const count = n(sql);
    if (count !== 0) problems.push(`${what}: ${count}`);
  }
  return problems;
}
