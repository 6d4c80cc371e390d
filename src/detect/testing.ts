/**
 * @module detect/testing
 * Builds full activities from short descriptions, for the detection cases (builtin/*.cases.ts), the scenario
 * generator and the benchmark. Geo comes from a small table of real places unless given explicitly.
 */
import { ActivitySchema, type Activity, type Category, type IpCategory, type Outcome } from '../schema/activity.ts';
import { DirectoryUserSchema, type DirectoryUser } from '../schema/directory.ts';
import type { DetectionsConfigInput } from './config.ts';
import { ActivityFields } from './detection.ts';

/** Real coordinates (city centres). */
export const PLACES = {
  newYork: { country: 'US', city: 'New York', lat: 40.71427, lon: -74.00597 },
  losAngeles: { country: 'US', city: 'Los Angeles', lat: 34.05223, lon: -118.24368 },
  anaheim: { country: 'US', city: 'Anaheim', lat: 33.8085, lon: -117.9228 },
  chicago: { country: 'US', city: 'Chicago', lat: 41.85003, lon: -87.65005 },
  seattle: { country: 'US', city: 'Seattle', lat: 47.60621, lon: -122.33207 },
  tysonsCorner: { country: 'US', city: 'Tysons Corner', lat: 38.953, lon: -77.2295 },
  toronto: { country: 'CA', city: 'Toronto', lat: 43.70011, lon: -79.4163 },
  vancouver: { country: 'CA', city: 'Vancouver', lat: 49.24966, lon: -123.11934 },
  mexicoCity: { country: 'MX', city: 'Mexico City', lat: 19.42847, lon: -99.12766 },
  saoPaulo: { country: 'BR', city: 'São Paulo', lat: -23.5475, lon: -46.63611 },
  buenosAires: { country: 'AR', city: 'Buenos Aires', lat: -34.61315, lon: -58.37723 },
  london: { country: 'GB', city: 'London', lat: 51.50853, lon: -0.12574 },
  dublin: { country: 'IE', city: 'Dublin', lat: 53.33306, lon: -6.24889 },
  paris: { country: 'FR', city: 'Paris', lat: 48.85341, lon: 2.3488 },
  strasbourg: { country: 'FR', city: 'Strasbourg', lat: 48.58392, lon: 7.74553 },
  lyon: { country: 'FR', city: 'Lyon', lat: 45.74846, lon: 4.84671 },
  geneva: { country: 'CH', city: 'Geneva', lat: 46.20222, lon: 6.14569 },
  zurich: { country: 'CH', city: 'Zurich', lat: 47.36667, lon: 8.55 },
  kehl: { country: 'DE', city: 'Kehl', lat: 48.57297, lon: 7.81523 },
  berlin: { country: 'DE', city: 'Berlin', lat: 52.52437, lon: 13.41053 },
  munich: { country: 'DE', city: 'Munich', lat: 48.13743, lon: 11.57549 },
  amsterdam: { country: 'NL', city: 'Amsterdam', lat: 52.37403, lon: 4.88969 },
  brussels: { country: 'BE', city: 'Brussels', lat: 50.85045, lon: 4.34878 },
  copenhagen: { country: 'DK', city: 'Copenhagen', lat: 55.67594, lon: 12.56553 },
  malmo: { country: 'SE', city: 'Malmö', lat: 55.60587, lon: 13.00073 },
  madrid: { country: 'ES', city: 'Madrid', lat: 40.4165, lon: -3.70256 },
  lisbon: { country: 'PT', city: 'Lisbon', lat: 38.71667, lon: -9.13333 },
  warsaw: { country: 'PL', city: 'Warsaw', lat: 52.22977, lon: 21.01178 },
  vienna: { country: 'AT', city: 'Vienna', lat: 48.20849, lon: 16.37208 },
  bratislava: { country: 'SK', city: 'Bratislava', lat: 48.14816, lon: 17.10674 },
  moscow: { country: 'RU', city: 'Moscow', lat: 55.75222, lon: 37.61556 },
  lagos: { country: 'NG', city: 'Lagos', lat: 6.45407, lon: 3.39467 },
  johannesburg: { country: 'ZA', city: 'Johannesburg', lat: -26.20227, lon: 28.04363 },
  dubai: { country: 'AE', city: 'Dubai', lat: 25.07725, lon: 55.30927 },
  mumbai: { country: 'IN', city: 'Mumbai', lat: 19.07283, lon: 72.88261 },
  bangalore: { country: 'IN', city: 'Bengaluru', lat: 12.97194, lon: 77.59369 },
  singapore: { country: 'SG', city: 'Singapore', lat: 1.28967, lon: 103.85007 },
  johorBahru: { country: 'MY', city: 'Johor Bahru', lat: 1.4655, lon: 103.7578 },
  tokyo: { country: 'JP', city: 'Tokyo', lat: 35.6895, lon: 139.69171 },
  seoul: { country: 'KR', city: 'Seoul', lat: 37.566, lon: 126.9784 },
  sydney: { country: 'AU', city: 'Sydney', lat: -33.86785, lon: 151.20732 },
  auckland: { country: 'NZ', city: 'Auckland', lat: -36.84853, lon: 174.76349 },
} as const;
export type PlaceName = keyof typeof PLACES;

/** A short description of one activity; everything not given gets a sign-in default. */
export interface CaseActivity {
  /** ISO time, or minutes after the case's start time (`+90` style numbers). */
  at: string | number;
  /** Actor email; null for an actor known only by id. */
  user?: string | null;
  userId?: string;
  id?: string;
  app?: string;
  tenant?: string;
  action?: string;
  category?: Category;
  outcome?: Outcome;
  interactive?: boolean;
  admin?: boolean;
  impersonated?: boolean;
  impersonator?: string;
  ip?: string | null;
  place?: PlaceName;
  geo?: { country: string | null; city?: string | null; lat?: number | null; lon?: number | null } | null;
  asn?: number | null;
  isp?: string | null;
  ipCategory?: IpCategory | null;
  ipTags?: string[];
  deviceType?: string;
}

export const CASE_START = '2026-03-02T08:00:00.000Z';

let seq = 0;
/** A full, schema-valid activity from a short description. */
export function makeActivity(p: CaseActivity, start = CASE_START): Activity {
  const time = typeof p.at === 'number' ? new Date(Date.parse(start) + p.at * 60_000).toISOString() : new Date(p.at).toISOString();
  const geo = p.geo !== undefined ? p.geo : p.place ? PLACES[p.place] : null;
  const email = p.user === undefined ? 'alice@example.com' : p.user;
  return ActivitySchema.parse({
    id: p.id ?? `act-${++seq}`,
    time,
    receivedAt: time,
    app: p.app ?? 'workplace',
    tenant: p.tenant ?? 'acme',
    source: 'scan',
    action: p.action ?? (p.admin ? 'admin.change_settings' : 'login'),
    category: p.category ?? (p.admin ? 'admin' : 'login'),
    outcome: p.outcome ?? 'success',
    interactive: p.interactive ?? true,
    isAdminActivity: p.admin ?? false,
    impersonated: p.impersonated ?? false,
    impersonator: p.impersonator ? { id: null, email: p.impersonator } : null,
    actor: { id: p.userId ?? null, email, name: null },
    ip: p.ip === undefined ? '203.0.113.10' : p.ip,
    geo: geo ? { country: geo.country, city: geo.city ?? null, lat: geo.lat ?? null, lon: geo.lon ?? null } : null,
    asn: p.asn ?? null,
    isp: p.isp ?? null,
    ipCategory: p.ipCategory ?? null,
    ipTags: p.ipTags ?? [],
    device: p.deviceType ? { type: p.deviceType, os: null, browser: null, tags: [] } : null,
  });
}

/** A directory user with sensible defaults. */
export function makeDirectoryUser(p: Partial<DirectoryUser> & { email: string }): DirectoryUser {
  return DirectoryUserSchema.parse({
    app: 'workplace',
    tenant: 'acme',
    id: p.id ?? `dir-${p.email}`,
    active: true,
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...p,
  });
}

/** What one step of a case expects from the case's detection. */
export interface ExpectedAlert {
  severity?: 'informational' | 'low' | 'medium' | 'high';
  /** Substring of the title. */
  title?: string;
  user?: string | null;
  count?: number;
  /** Subset of `details` that must match (deep, partial). */
  details?: Record<string, unknown>;
  /** Substrings that must each appear in some evidence line. */
  evidence?: string[];
}

export interface CaseStep extends CaseActivity {
  /** Alerts this activity must raise or update for the case's detection; omitted = none. */
  expect?: ExpectedAlert[];
}

/** One alert/no-alert scenario for one detection, kept as data beside the detection. */
export interface DetectionCase {
  name: string;
  /** Where the case comes from (e.g. a Panther test), when not our own. */
  source?: string;
  /** Detection config overrides; learningDays defaults to 0 in cases unless given. */
  config?: DetectionsConfigInput;
  directory?: Array<Partial<DirectoryUser> & { email: string }>;
  steps: CaseStep[];
}

/** A detection context for evaluating one detection outside the engine (no directory, never learning). */
export function standaloneContext(over: Partial<import('./detection.ts').DetectionContext> = {}): import('./detection.ts').DetectionContext {
  return {
    directoryUser: () => null,
    endedDirectoryUser: () => null,
    directoryVersion: 0,
    tenantFirstSeen: () => '',
    inLearning: () => false,
    user: null,
    timeMs: 0,
    learning: false,
    lookbackMs: 30 * 86_400_000,
    tenantUserCount: () => 0,
    inScope: () => true,
    userSlots: null,
    userBase: 0,
    fields: new ActivityFields(),
    ...over,
  };
}
