/**
 * REST API over loopback HTTP with a session cookie, on a real `rampart serve` with a SQLite store holding
 * 50,000 activities: request latency (median) of the common reads and export throughput.
 * `node --import tsx bench/api.bench.ts`, or `npm run bench -- api`.
 */
import { activity } from '../test/api/fixtures.ts';
import { startHarness } from '../test/api/harness.ts';
import { hashPassword, verifyPassword } from '../src/api/auth/passwords.ts';
import { runStandalone, type BenchResult } from './types.ts';

export const title = 'REST API';
const N = 50_000;

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const h = await startHarness();
  try {
    const s = await h.account('bench@acme.example', 'viewer');
    const t0 = Date.now() - N * 1000;
    for (let i = 0; i < N; i += 1000) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 1000); j++)
        batch.push(activity({ user: `u${j % 500}@acme.example`, time: new Date(t0 + j * 1000).toISOString(), ip: `192.0.2.${j % 250}`, geo: { country: j % 3 ? 'US' : 'FR', city: null, lat: null, lon: null } }));
      await h.service.store.putActivities(batch);
    }
    const median = async (name: string, path: string, n: number): Promise<number> => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) {
        const a = performance.now();
        const r = await h.call('GET', path, { session: s });
        ms.push(performance.now() - a);
        if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
      }
      ms.sort((x, y) => x - y);
      const v = Math.round(ms[Math.floor(n / 2)] * 10) / 10;
      results.push({ name, value: v, unit: 'ms (median)' });
      return v;
    };
    await median('GET /api/auth/me (session lookup)', '/api/auth/me', 31);
    await median('GET /api/alerts (empty page)', '/api/alerts', 31);
    await median('GET /api/activities?user=..&limit=100', '/api/activities?user=u7@acme.example&limit=100', 11);
    await median('GET /api/activities?limit=1000', '/api/activities?limit=1000', 7);
    await median('GET /api/activities?limit=1000 with filters [geo.country eq FR]', `/api/activities?limit=1000&filters=${encodeURIComponent(JSON.stringify([{ field: 'geo.country', op: 'eq', value: 'FR' }]))}`, 7);
    await median('GET /api/users/{user} (priority, seen, baselines)', '/api/users/u7@acme.example', 7);
    for (const format of ['ndjson', 'csv'] as const) {
      const ms = await median(`export ${N} activities as ${format}`, `/api/activities/export?format=${format}`, 3);
      results.push({ name: `export throughput (${format})`, value: Math.round(N / (ms / 1000)), unit: 'rows/s' });
    }
  } finally {
    await h.close();
  }
  const hash = await hashPassword('bench passphrase 123');
  const ms: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    await verifyPassword('bench passphrase 123', hash);
    ms.push(performance.now() - a);
  }
  ms.sort((x, y) => x - y);
  results.push({ name: 'scrypt verify at sign-in (N=2^15, r=8, p=1)', value: Math.round(ms[2]), unit: 'ms (median)' });
  return results;
}

await runStandalone({ title, run }, import.meta.url);
