/**
 * Enrichment benchmark: startup time and RSS of createEnricher, enrich() per second on 1,000,000
 * Workplace-like activities with realistic IP cardinality (tens of thousands of distinct addresses, skewed
 * use, 10% IPv6, a few private/Tor/VPN/cloud) and a few hundred user agents, on the cache-hit path and on
 * the all-miss path, plus raw lookups/s of the geo and ASN databases. JSON.parse of a typical activity line
 * is measured as the reference the pipeline target is expressed in.
 *
 * Run: node --import tsx bench/enrich.bench.ts   (ENRICH_BENCH_EVENTS=200000 for a quicker run)
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { ConfigSchema } from '../src/config/schema.ts';
import { AsnDb, defaultAsnPaths } from '../src/enrich/asn.ts';
import { GeoDb } from '../src/enrich/geo.ts';
import { createEnricher } from '../src/enrich/index.ts';
import { numberToIpv4, parseIp, type ParsedIp } from '../src/enrich/ip.ts';
import type { Activity } from '../src/schema/activity.ts';
import { mulberry32 } from '../src/core/random.ts';
import type { BenchResult } from './types.ts';


const EVENTS = Number(process.env.ENRICH_BENCH_EVENTS ?? 1_000_000);
const DISTINCT_IPS = 40_000;
const MISS_EVENTS = 100_000;

const rng = mulberry32; // seeded: the same run always writes the same data

function ipPool(rand: () => number): string[] {
  const pool: string[] = [];
  // IPv6 from allocated prefixes (random IPv6 is almost all unallocated): rows of the ASN v6 CSV
  const v6rows = readFileSync(defaultAsnPaths().ipv6, 'latin1').split('\n').filter(Boolean);
  const v6count = Math.floor(DISTINCT_IPS * 0.1);
  for (let i = 0; i < v6count; i++) {
    const start = BigInt(v6rows[Math.floor(rand() * v6rows.length)].split(',')[0]);
    const ip = start + BigInt(Math.floor(rand() * 65536)) * 65536n + BigInt(Math.floor(rand() * 65536));
    const parts: string[] = [];
    for (let k = 7; k >= 0; k--) parts.push(((ip >> BigInt(k * 16)) & 0xffffn).toString(16));
    pool.push(parts.join(':'));
  }
  // special addresses: private, Tor (AS60729), VPN (AS39351), cloud (DigitalOcean), Starlink
  const special = ['10.0.%d.%d', '192.168.%d.%d', '185.220.101.%d', '45.83.220.%d', '159.89.%d.%d', '98.97.%d.%d'];
  for (let i = 0; i < 600; i++) {
    pool.push(special[i % special.length].replace(/%d/g, () => String(1 + Math.floor(rand() * 250))));
  }
  // public IPv4
  while (pool.length < DISTINCT_IPS) {
    const p = parseIp(numberToIpv4(Math.floor(rand() * 2 ** 32)));
    if (p && p.range === 'unicast') pool.push(p.text);
  }
  // shuffle so popular ranks mix families
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool;
}

function uaPool(): string[] {
  const out: string[] = [];
  for (let v = 120; v < 152; v++) {
    out.push(`Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`);
    out.push(`Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`);
    out.push(`Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0`);
    out.push(`Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36`);
    out.push(`Mozilla/5.0 (X11; Linux x86_64; rv:${v + 8}.0) Gecko/20100101 Firefox/${v + 8}.0`);
  }
  for (let v = 15; v < 19; v++) {
    for (let m = 0; m < 6; m++) {
      out.push(`Mozilla/5.0 (iPhone; CPU iPhone OS ${v}_${m} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v}.${m} Mobile/15E148 Safari/604.1`);
      out.push(`Workplace/${440 + v * 2 + m}.0.0.33.108 (iPhone; iOS ${v}.${m}; Scale/3.00)`);
    }
  }
  out.push('python-requests/2.31.0', 'curl/8.5.0', 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)');
  return out;
}

const fresh = (ip: string, ua: string, i: number): Activity =>
  ({
    v: 1,
    id: `e${i}`,
    time: '2026-11-01T10:00:00.000Z',
    receivedAt: '2026-11-01T10:00:01.000Z',
    app: 'workplace',
    tenant: 't1',
    source: 'scan',
    action: 'USER_LOGIN',
    category: 'login',
    outcome: 'success',
    interactive: true,
    isAdminActivity: false,
    impersonated: false,
    impersonator: null,
    actor: { id: 'u1', email: 'u1@example.com', name: null },
    target: null,
    objects: [],
    ip,
    userAgent: ua,
    geo: null,
    asn: null,
    isp: null,
    ipCategory: null,
    ipTags: [],
    device: null,
    userAgentTags: [],
    raw: null,
  }) as Activity;

const mb = (n: number) => Math.round(n / 1e6);

/**
 * CPU milliseconds of this process (user + system). The benchmark machines are shared and busy, so wall
 * time mostly measures the neighbours; CPU time measures the work.
 */
const now = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export const title = 'Enrichment: IP geo, ASN, classification and user agents';

export async function run(): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  const add = (name: string, value: number, unit: string, note?: string) => results.push({ name, value: Math.round(value), unit, note });

  // Startup first, in a process with nothing else loaded yet.
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  const wall0 = performance.now();
  let t = now();
  const enricher = await createEnricher(ConfigSchema.parse({}), { shareDatabases: false });
  add('startup: createEnricher (geo v4+v6 mmdb, ASN v4+v6 CSV, built-in lists), CPU', now() - t, 'ms', `wall ${Math.round(performance.now() - wall0)} ms`);
  global.gc?.();
  add('startup: RSS added by the enricher', mb(process.memoryUsage().rss - rss0), 'MB');

  const rand = rng(42);
  const ips = ipPool(rand);
  const uas = uaPool();
  // Skewed use: a few addresses carry most events (offices, home routers), the long tail appears rarely.
  const ipIdx = new Int32Array(EVENTS);
  const uaIdx = new Int32Array(EVENTS);
  for (let i = 0; i < EVENTS; i++) {
    ipIdx[i] = Math.floor(ips.length * rand() ** 2.5);
    // Behind one address sit one or two devices most of the time (a home, a phone); offices and carrier NAT
    // mix more: 80% of events use the address's own user agent, 20% any other (skewed to popular ones).
    uaIdx[i] = rand() < 0.8 ? (Math.imul(ipIdx[i], 2654435761) >>> 0) % uas.length : Math.floor(uas.length * rand() ** 2);
  }
  const distinct = new Set<number>(ipIdx).size;

  // Baseline: building the activity objects alone.
  t = now();
  let sink = 0;
  for (let i = 0; i < EVENTS; i++) sink += fresh(ips[ipIdx[i]], uas[uaIdx[i]], i).id.length;
  const baseMs = now() - t;

  // Warm-up pass fills the IP and UA caches (first sight of each address is a miss).
  t = now();
  for (let i = 0; i < EVENTS; i++) enricher.enrich(fresh(ips[ipIdx[i]], uas[uaIdx[i]], i));
  const firstMs = now() - t;
  add(`enrich(): first pass, ${EVENTS} events, ${distinct} distinct IPs, ${uas.length} UAs (misses included)`, EVENTS / ((firstMs - baseMs) / 1000), 'events/s', `${enricher.stats().misses} misses`);

  t = now();
  for (let i = 0; i < EVENTS; i++) enricher.enrich(fresh(ips[ipIdx[i]], uas[uaIdx[i]], i));
  const hotMs = now() - t;
  add('enrich(): cache-hit path (second pass), shared strings', EVENTS / ((hotMs - baseMs) / 1000), 'events/s', 'object construction subtracted');

  // As in the pipeline, every event's ip and userAgent are fresh strings out of JSON.parse, so the cache
  // keys must be hashed each time; and events come in batches. Build each batch untimed, time enrich().
  const BATCH = 5000;
  let hot2 = 0;
  let lastBatch: Activity[] = [];
  for (let c = 0; c < EVENTS; c += BATCH) {
    const batch: Activity[] = [];
    for (let i = c; i < Math.min(EVENTS, c + BATCH); i++) {
      batch.push(fresh(Buffer.from(ips[ipIdx[i]]).toString('latin1'), Buffer.from(uas[uaIdx[i]]).toString('latin1'), i));
    }
    const tb = now();
    for (const a of batch) enricher.enrich(a);
    hot2 += now() - tb;
    lastBatch = batch;
  }
  add(`enrich(): cache-hit path, fresh strings per event (as from JSON.parse), batches of ${BATCH}`, EVENTS / (hot2 / 1000), 'events/s');
  if (!lastBatch[0]?.device) throw new Error('benchmark broken: not enriched');

  // Miss path: no cache, every event computes geo + ASN + lists + ranges.
  const noCache = await createEnricher(ConfigSchema.parse({ enrich: { cacheEntries: 0 } }));
  const missN = Math.min(MISS_EVENTS, EVENTS);
  t = now();
  for (let i = 0; i < missN; i++) noCache.lookupIp(ips[i % ips.length]);
  add('IP lookup, cache-miss path (geo + ASN + intel + ranges)', missN / ((now() - t) / 1000), 'lookups/s');

  // Raw database lookups on parsed addresses.
  const parsed: ParsedIp[] = ips.map((s) => parseIp(s)!).filter((p) => p.range === 'unicast');
  const geo = await GeoDb.open();
  t = now();
  for (let i = 0; i < missN; i++) sink += geo.lookup(parsed[i % parsed.length]) ? 1 : 0;
  add('geo lookups (maxmind, DB-IP city, 90% v4 / 10% v6)', missN / ((now() - t) / 1000), 'lookups/s');
  t = now();
  const asn = AsnDb.load();
  add('ASN CSV load (v4 + v6) into typed arrays', now() - t, 'ms');
  const n = 2_000_000;
  t = now();
  for (let i = 0; i < n; i++) sink += asn.lookup(parsed[i % parsed.length])?.asn ?? 0;
  add('ASN lookups (binary search, 90% v4 / 10% v6)', n / ((now() - t) / 1000), 'lookups/s');

  // Reference: JSON.parse of a typical activity line (what the pipeline target is expressed in).
  const line = JSON.stringify({ ...fresh('203.0.113.9', uas[0], 1), raw: { type: 'USER_LOGIN', id: '123456789', actor: { id: '100012345', email: 'u1@example.com' }, ip_address: '203.0.113.9', user_agent: uas[0], created_time: 1793530800 } });
  const jn = Math.min(EVENTS, 300_000);
  t = now();
  for (let i = 0; i < jn; i++) sink += (JSON.parse(line) as { id: string }).id.length;
  add(`reference: JSON.parse of one ${line.length}-byte activity line`, jn / ((now() - t) / 1000), 'events/s');

  add('peak RSS of the benchmark process', mb(process.resourceUsage().maxRSS * 1024), 'MB');
  if (sink === -1) console.log(sink);
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const results = await run();
  const w = Math.max(...results.map((r) => r.name.length));
  for (const r of results) console.log(`${r.name.padEnd(w)}  ${r.value.toLocaleString('en-US').padStart(12)} ${r.unit}${r.note ? `  (${r.note})` : ''}`);
  console.log(`node ${process.version}, ${new Date().toISOString()}; rates use CPU time of this process`);
}
