/**
 * Posture recompute cost: every Workplace check over a directory of N users and an activity log with logins over
 * 120 days, in a SQLite file. The dormant-accounts check does one indexed login lookup per claimed active user, so
 * the recompute grows with the directory; the event checks read only their own actions.
 * Run alone: `node --import tsx bench/posture.bench.ts`; or `npm run bench -- posture`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../src/core/logger.ts';
import { Metrics } from '../src/core/metrics.ts';
import { PostureService } from '../src/posture/service.ts';
import { ActivitySchema, type Activity } from '../src/schema/activity.ts';
import { DirectoryUserSchema } from '../src/schema/directory.ts';
import { SqliteStore } from '../src/store/sqlite/index.ts';
import { runStandalone, type BenchResult } from './types.ts';

export const title = 'Security posture recompute';
const SIZES = (process.env.POSTURE_BENCH_USERS ?? '1000,10000').split(',').map(Number);
const LOGINS_PER_USER = 10;
const NOW = Date.parse('2026-11-27T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

async function one(users: number): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rampart-posture-bench-'));
  const store = new SqliteStore({ path: join(dir, 'r.db') });
  await store.migrate();
  try {
    await store.putDirectoryUsers(
      Array.from({ length: users }, (_, i) =>
        DirectoryUserSchema.parse({
          app: 'workplace', tenant: 'c1', id: String(100000 + i), email: `u${i}@acme.example`, active: i % 50 !== 0,
          authMethod: i % 5 ? 'sso' : 'password', isAdmin: i < 5, invited: true, claimed: i % 40 !== 0,
          inviteDate: iso(NOW - 400 * 86_400_000), claimDate: iso(NOW - 399 * 86_400_000), updatedAt: iso(NOW),
        }),
      ),
    );
    let batch: Activity[] = [];
    let n = 0;
    for (let i = 0; i < users; i++) {
      // every 7th user last logged in 100+ days ago: dormant
      for (let k = 0; k < LOGINS_PER_USER; k++) {
        const age = i % 7 === 0 ? 100 + k : (k * 12) % 120;
        const t = iso(NOW - age * 86_400_000 - i * 1000);
        batch.push(ActivitySchema.parse({ id: `b${n++}`, time: t, receivedAt: t, app: 'workplace', action: 'USER_LOGIN', category: 'login', actor: { id: String(100000 + i) } }));
      }
      if (batch.length >= 5000) {
        await store.putActivities(batch);
        batch = [];
      }
    }
    if (batch.length) await store.putActivities(batch);
    const svc = new PostureService({ store, organizationDomains: ['acme.example'], logger: silentLogger(), metrics: new Metrics(), now: () => new Date(NOW) });
    await svc.recompute(); // warm
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const runs = 3;
    let report;
    for (let r = 0; r < runs; r++) report = await svc.recompute();
    const wall = (performance.now() - t0) / runs;
    const cpu = process.cpuUsage(c0);
    const dormant = report!.recommendations.find((x) => x.id === 'workplace.no_dormant_accounts')!;
    return [
      { name: `recompute, ${users} users, ${n} logins (wall)`, value: Math.round(wall), unit: 'ms', note: `dormant found: ${dormant.evidence.counts.dormant}` },
      { name: `recompute, ${users} users (CPU user+system)`, value: Math.round((cpu.user + cpu.system) / 1000 / runs), unit: 'ms' },
    ];
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  for (const n of SIZES) out.push(...(await one(n)));
  return out;
}

await runStandalone({ title, run }, import.meta.url);
