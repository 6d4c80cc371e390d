/**
 * A deterministic generated activity history for policy tests and the benchmark: ordinary traffic plus
 * download bursts, password-guessing runs, Tor logins, admin work from outside, and external users.
 */
import { ActivitySchema, type Activity } from '../../src/schema/activity.ts';
import { mulberry32 } from '../../src/core/random.ts';

const rng = mulberry32; // seeded: the same run always writes the same data

const ACTIONS = [
  ['USER_LOGIN', 'login', 'success'],
  ['USER_LOGIN_FAILED', 'login', 'failure'],
  ['FILE_DOWNLOAD', 'file', 'success'],
  ['FILE_UPLOAD', 'file', 'success'],
  ['POST_CREATE', 'content', 'success'],
  ['ADMIN_ROLE_CHANGED', 'admin', 'success'],
] as const;
const COUNTRIES = ['US', 'FR', 'DE', 'GB', 'BR', 'IN'];
const APPS = ['workplace', 'box'];

export interface HistoryOptions {
  events: number;
  users?: number;
  start?: string;
  /** Mean seconds between events. */
  spacingSecs?: number;
  seed?: number;
  /** Build plain objects without zod parsing (faster, for the benchmark). */
  raw?: boolean;
}

/** Yields activities in strictly increasing time order. */
export function* generateHistory(o: HistoryOptions): Generator<Activity> {
  const r = rng(o.seed ?? 7);
  const users = o.users ?? 200;
  const spacing = (o.spacingSecs ?? 5) * 1000;
  let t = Date.parse(o.start ?? '2026-03-01T00:00:00.000Z');
  let n = 0;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const make = (over: Partial<Activity> & { action: string; category: Activity['category']; outcome: Activity['outcome'] }, user: number, maxGapMs = spacing): Activity => {
    t += 1 + Math.floor(r() * maxGapMs);
    const time = new Date(t).toISOString();
    const external = user % 37 === 0;
    const ipCategory = over.ipCategory ?? (r() < 0.3 ? 'corporate' : null);
    const base = {
      v: 1 as const,
      id: `h${String(++n).padStart(9, '0')}`,
      time,
      receivedAt: time,
      app: over.app ?? pick(APPS),
      tenant: 'acme',
      source: 'scan',
      interactive: true,
      isAdminActivity: over.category === 'admin',
      impersonated: false,
      impersonator: null,
      actor: { id: `u${user}`, email: external ? `guest${user}@partner.org` : `user${user}@example.com`, name: `User ${user}` },
      target: null,
      objects: over.category === 'file' ? [{ type: 'file', id: `file-${Math.floor(r() * 5000)}`, name: null }] : [],
      ip: `198.51.${user % 250}.${1 + Math.floor(r() * 250)}`,
      userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0',
      geo: { country: pick(COUNTRIES), city: null, lat: null, lon: null },
      asn: 64500 + (user % 20),
      isp: 'Example ISP',
      ipCategory,
      ipTags: [],
      device: { type: 'PC', os: 'Windows', browser: 'Chrome', tags: [] },
      userAgentTags: [],
      raw: null,
      ...over,
    } as Activity;
    return o.raw ? base : ActivitySchema.parse(base);
  };
  while (n < o.events) {
    const user = Math.floor(r() * users);
    const roll = r();
    if (roll < 0.002) {
      // download burst: 40-70 downloads, under a second apart on average
      const len = 40 + Math.floor(r() * 31);
      const app = pick(APPS);
      for (let i = 0; i < len && n < o.events; i++) {
        yield make({ action: 'FILE_DOWNLOAD', category: 'file', outcome: 'success', app }, user, 1500);
      }
    } else if (roll < 0.004) {
      // password guessing: 8-16 failures, about 15 s apart
      const len = 8 + Math.floor(r() * 9);
      const app = pick(APPS);
      for (let i = 0; i < len && n < o.events; i++) {
        yield make({ action: 'USER_LOGIN_FAILED', category: 'login', outcome: 'failure', app }, user, 30_000);
      }
    } else if (roll < 0.006) {
      yield make({ action: 'USER_LOGIN', category: 'login', outcome: 'success', ipCategory: pick(['tor', 'anonymizer', 'risky'] as const) }, user);
    } else {
      const [action, category, outcome] = pick(ACTIONS);
      yield make({ action, category, outcome }, user);
    }
  }
}
