/**
 * Seeded synthetic Workplace-like activity files for benchmarks: realistic cardinalities (users, several IPs
 * each, a few hundred user agents, event mix dominated by logins).
 */
import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { dirname } from 'node:path';

export { mulberry32 } from '../src/core/random.ts';
import { mulberry32 } from '../src/core/random.ts';

const EVENTS: Array<[string, string, number]> = [
  // [event, category, weight]
  ['USER_LOGIN', 'login', 55],
  ['USER_LOGOUT', 'logout', 20],
  ['USER_LOGIN_FAILED', 'login', 8],
  ['PASSWORD_CHANGE', 'account', 4],
  ['PASSWORD_RESET_REQUEST', 'account', 3],
  ['TWO_FACTOR_ENABLED', 'account', 2],
  ['ADMIN_CREATE_ACCOUNT', 'admin', 3],
  ['ADMIN_DEACTIVATE', 'admin', 2],
  ['ADMIN_FORCE_LOG_OUT', 'admin', 1],
  ['CUSTOM_INTEGRATION_EDIT', 'integration', 2],
];
const TOTAL_W = EVENTS.reduce((s, e) => s + e[2], 0);

const BROWSERS = ['Chrome/119.0.0.0', 'Chrome/124.0.0.0', 'Firefox/121.0', 'Edg/120.0.0.0', 'Safari/605.1.15'];
const OSES = ['Windows NT 10.0; Win64; x64', 'Macintosh; Intel Mac OS X 10_15_7', 'X11; Linux x86_64', 'iPhone; CPU iPhone OS 17_1 like Mac OS X', 'Linux; Android 14; Pixel 8'];

export interface SyntheticOptions {
  events: number;
  users: number;
  seed: number;
  /** Output file (NDJSON, `workplace-webhook` format: one webhook body per line). */
  path: string;
  startMs?: number;
}

/** Writes the file unless it already exists with content; returns its size in bytes. */
export async function writeSyntheticWorkplace(o: SyntheticOptions): Promise<number> {
  if (existsSync(o.path) && statSync(o.path).size > 0) return statSync(o.path).size;
  mkdirSync(dirname(o.path), { recursive: true });
  const rnd = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const users = Array.from({ length: o.users }, (_, i) => {
    const nIps = 1 + Math.floor(rnd() * 3);
    // Public-looking addresses spread over many /16s so enrichment sees tens of thousands of distinct IPs.
    const ips = Array.from({ length: nIps }, () => `${pick([81, 86, 90, 185, 195, 212, 5, 31, 37, 46, 62, 77, 79, 84, 92, 93, 94, 109, 176, 178, 188, 213, 217, 24, 50, 64, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 96, 97, 98, 99, 100, 101, 104, 107, 108])}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`);
    const ua = `Mozilla/5.0 (${pick(OSES)}) AppleWebKit/537.36 (KHTML, like Gecko) ${pick(BROWSERS)} Safari/537.36`;
    return { id: String(100064094000000 + i), email: `user${i}@acme.example`, ips, ua };
  });
  const out = createWriteStream(o.path);
  const start = o.startMs ?? Date.UTC(2026, 0, 1);
  const spanMs = 30 * 86_400_000;
  for (let i = 0; i < o.events; i++) {
    const u = users[Math.floor(rnd() * users.length)];
    let w = rnd() * TOTAL_W;
    let ev = EVENTS[0];
    for (const e of EVENTS) if ((w -= e[2]) < 0) { ev = e; break; }
    const t = new Date(start + Math.floor((i / o.events) * spanMs)).toISOString().replace(/\.\d{3}Z$/, '+0000');
    const target = ev[1] === 'admin' ? users[Math.floor(rnd() * users.length)] : u;
    const body = {
      object: 'workplace_security',
      entry: [
        {
          id: '504942447160640',
          time: Math.floor(Date.parse(t.replace('+0000', 'Z')) / 1000),
          changes: [
            {
              field: ev[1] === 'integration' ? 'integrations' : 'sessions',
              value: {
                event: ev[0],
                timestamp: t,
                actor_id: u.id,
                actor_email: u.email,
                target_id: target.id,
                target_email: target.email,
                actor_community_id: '504942443827307',
                actor_scim_company_id: '504942447160640',
                target_community_id: '504942443827307',
                target_company_id: '504942447160640',
                ip: pick(u.ips),
                ip_country: 'GB',
                browser_name: 'Chrome',
                browser_os: 'Windows 10',
                useragent: u.ua,
              },
            },
          ],
        },
      ],
    };
    if (!out.write(JSON.stringify(body) + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return statSync(o.path).size;
}
