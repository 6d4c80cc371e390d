/**
 * Session proxy: latency the proxy adds to a pass-through GET at 500 requests/s (open loop, latency counted from
 * the scheduled send time so a stall is not hidden), compared in the same run with direct access to the
 * simulator's web front; the same for a recorded page view; maximum requests/s direct and through the proxy;
 * content-inspection throughput in process and for an inspected download end to end.
 * The proxy runs in its own process (bench/proxy-server.ts), the simulator and the load generator in this one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startWorkplaceSimulator } from '../src/connectors/workplace/simulator/index.ts';
import { BUILTIN_DETECTORS } from '../src/proxy/inspect/detectors.ts';
import { StreamInspector } from '../src/proxy/inspect/inspector.ts';
import { runStandalone, type BenchModule, type BenchResult } from './types.ts';

const RATE = Number(process.env.RAMPART_BENCH_PROXY_RATE ?? 500);
const SECONDS = Number(process.env.RAMPART_BENCH_PROXY_SECS ?? 2);
const DIR = join(process.cwd(), '.bench-tmp', 'proxy');

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const r2 = (x: number) => Math.round(x * 100) / 100;

async function openLoop(pool: Pool, path: string, headers: Record<string, string>, rate: number, secs: number): Promise<number[]> {
  const total = Math.round(rate * secs);
  const lat: number[] = [];
  const start = performance.now() + 50;
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    while (performance.now() < due); // timers may fire up to 1 ms early; never send before the scheduled time
    inflight.push(
      pool.request({ method: 'GET', path, headers }).then(async (res) => {
        await res.body.dump();
        if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode}`);
        lat.push(performance.now() - due);
      }),
    );
  }
  await Promise.all(inflight);
  return lat;
}

async function closedLoop(pool: Pool, path: string, headers: Record<string, string>, concurrency: number, secs: number): Promise<number> {
  const end = performance.now() + secs * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const res = await pool.request({ method: 'GET', path, headers });
        await res.body.dump();
        n++;
      }
    }),
  );
  return n / secs;
}

async function startProxyProcess(config: unknown): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('bench', 'proxy-server.ts'), JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c) => {
      out += c;
      const m = /@@URL@@(\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`proxy-server exited ${code}`)));
  });
  return { url, child };
}

export const bench: BenchModule = {
  title: 'Session proxy: added latency, requests/s, inspection throughput',
  async run(): Promise<BenchResult[]> {
    mkdirSync(join(DIR, 'policies'), { recursive: true });
    writeFileSync(join(DIR, 'policies', 'monitor.yaml'), 'name: monitor\nactivities: [login, view, download, upload, share]\naction: audit\n');
    writeFileSync(
      join(DIR, 'policies', 'cards.yaml'),
      'name: cards\nactivities: [download]\ninspection:\n  detectors: [credit_card, iban, us_ssn, email]\n  minMatches: 10\naction: block\n',
    );
    const sim = await startWorkplaceSimulator({ users: 50, seed: 1 });
    // A 16 MB clean text file for the inspected download (held and inspected, then delivered).
    const line = 'Quarterly notes: nothing sensitive here, only words and numbers like 1234 and 2027-11-27.\n';
    sim.web.files.set('f-big', { id: 'f-big', groupId: 'g-eng', name: 'big-notes.txt', mimeType: 'text/plain', data: Buffer.from(line.repeat(Math.ceil((16 * 1024 * 1024) / line.length))), ownerEmail: null });
    const { url, child } = await startProxyProcess({
      port: 0,
      apps: [{ name: 'bench', upstream: sim.url }],
      policiesDirectory: join(DIR, 'policies'),
      organizationDomains: [sim.org.domain],
      inspection: { maxBytes: 32 * 1024 * 1024 },
    });
    const direct = new Pool(sim.url, { connections: 32 });
    const proxied = new Pool(url, { connections: 32 });
    const cookie = `wp_session=${sim.web.signIn(sim.org.users[0].email)}`;
    const api = { cookie, accept: 'application/json', 'user-agent': 'bench' };
    const pageH = { cookie, accept: 'text/html', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
    const results: BenchResult[] = [];
    try {
      // Warm-up (JIT, connections, identity cache).
      await openLoop(direct, '/web/api/me', api, 200, 1);
      await openLoop(proxied, '/web/api/me', api, 200, 1);
      await openLoop(proxied, '/web/feed', pageH, 200, 1);

      // Alternating rounds, so a burst of load from other processes on this shared machine hits both sides alike;
      // the median round is reported.
      const rounds = Number(process.env.RAMPART_BENCH_PROXY_ROUNDS ?? 5);
      const per: Record<'d1' | 'p1' | 'd2' | 'p2', { p50: number; p99: number }[]> = { d1: [], p1: [], d2: [], p2: [] };
      for (let r = 0; r < rounds; r++) {
        for (const [k, pool, path, h] of [
          ['d1', direct, '/web/api/me', api],
          ['p1', proxied, '/web/api/me', api],
          ['d2', direct, '/web/feed', pageH],
          ['p2', proxied, '/web/feed', pageH],
        ] as const) {
          const lat = await openLoop(pool, path, h, RATE, SECONDS);
          per[k].push({ p50: pct(lat, 50), p99: pct(lat, 99) });
        }
      }
      const med = (xs: number[]) => pct(xs, 50);
      const added = (d: 'd1' | 'd2', p: 'p1' | 'p2', q: 'p50' | 'p99') => med(per[p].map((x, i) => x[q] - per[d][i][q]));
      const note = `open loop, ${RATE} req/s, ${rounds} alternating rounds of ${SECONDS} s, median round; latency from scheduled send`;
      results.push(
        { name: `pass-through GET (JSON): direct p50`, value: r2(med(per.d1.map((x) => x.p50))), unit: 'ms', note },
        { name: `pass-through GET (JSON): direct p99`, value: r2(med(per.d1.map((x) => x.p99))), unit: 'ms', note },
        { name: `pass-through GET (JSON): via proxy p50`, value: r2(med(per.p1.map((x) => x.p50))), unit: 'ms', note },
        { name: `pass-through GET (JSON): via proxy p99`, value: r2(med(per.p1.map((x) => x.p99))), unit: 'ms', note },
        { name: `pass-through GET: added latency p50 at ${RATE} req/s`, value: r2(added('d1', 'p1', 'p50')), unit: 'ms' },
        { name: `pass-through GET: added latency p99 at ${RATE} req/s`, value: r2(added('d1', 'p1', 'p99')), unit: 'ms', target: { op: '<=', value: 5 } },
        { name: `page view (HTML, recorded activity, notice injected): added latency p50`, value: r2(added('d2', 'p2', 'p50')), unit: 'ms', note },
        { name: `page view (HTML, recorded activity, notice injected): added latency p99`, value: r2(added('d2', 'p2', 'p99')), unit: 'ms', note },
      );
      process.stderr.write(`proxy bench rounds: ${JSON.stringify(per)}\n`);
      const rd = await closedLoop(direct, '/web/api/me', api, 32, 4);
      const rp = await closedLoop(proxied, '/web/api/me', api, 32, 4);
      results.push(
        { name: 'max requests/s, pass-through GET: direct', value: Math.round(rd), unit: 'req/s', note: '32 concurrent, 4 s' },
        { name: 'max requests/s, pass-through GET: via proxy', value: Math.round(rp), unit: 'req/s', note: `${Math.round((rp / rd) * 100)}% of direct` },
      );

      // Inspection in process: all four built-in detectors over 64 MB of mixed text.
      const chunk = Buffer.from(
        Array.from({ length: 800 }, (_, i) => `row ${i}; ref 4111 1111 1111 ${String(1000 + (i % 9000))}; GB82 WEST 1234 5698 7654 32; mail${i}@corp.example; note text here\n`).join(''),
      );
      const ins = new StreamInspector(Object.values(BUILTIN_DETECTORS));
      const t0 = performance.now();
      let bytes = 0;
      while (bytes < 64 * 1024 * 1024) {
        for (let off = 0; off < chunk.length; off += 65536) ins.push(chunk.subarray(off, off + 65536));
        bytes += chunk.length;
      }
      ins.finish();
      results.push({ name: 'content inspection in process (4 detectors, dense matches)', value: r2(bytes / 1048576 / ((performance.now() - t0) / 1000)), unit: 'MB/s' });

      // Inspected download end to end: 16 MB held, inspected with 4 detectors, delivered.
      const runs = 4;
      const t1 = performance.now();
      for (let i = 0; i < runs; i++) {
        const res = await proxied.request({ method: 'GET', path: '/web/files/f-big/download', headers: pageH });
        let n = 0;
        for await (const c of res.body) n += (c as Buffer).length;
        if (n !== sim.web.files.get('f-big')!.data.length) throw new Error(`inspected download returned ${n} bytes`);
      }
      const mb = (runs * sim.web.files.get('f-big')!.data.length) / 1048576;
      results.push({ name: 'inspected download through the proxy (16 MB text, 4 detectors)', value: r2(mb / ((performance.now() - t1) / 1000)), unit: 'MB/s' });
    } finally {
      await direct.close();
      await proxied.close();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await sim.close();
    }
    return results;
  },
};

await runStandalone(bench, import.meta.url);
