/**
 * @module simulator/org
 * A seeded organisation: users with departments, managers, home countries, work patterns, and a few admins.
 * Graph, SCIM and the event generator all read and change this one state.
 */
import { NETWORK, countryIp, type UserAgentInfo } from './network.ts';
import type { Rng } from './rng.ts';

export type AuthMethod = 'sso' | 'password';

/** How a simulated person behaves; never exposed by the APIs. */
export interface BehaviourProfile {
  home: string;
  /** Country of the office; differs from home for cross-border commuters. */
  office: string;
  commuter: boolean;
  traveler: boolean;
  vpn: boolean;
  mobile: boolean;
  desktopUa: UserAgentInfo;
  mobileUa: UserAgentInfo;
  /** The home broadband address (stable for weeks, like a real DSL/cable line). */
  homeIp: string;
  /** Start of the working day, local hour. */
  startHour: number;
  mfa: boolean;
}

export interface SimUser {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  name: string;
  title: string;
  department: string;
  division: string;
  organization: string;
  costCenter: string;
  employeeNumber: string;
  externalId: string;
  locale: string;
  timezone: string;
  managerId: string | null;
  active: boolean;
  invited: boolean;
  claimed: boolean;
  /** ms since epoch, or null */
  inviteTime: number | null;
  claimTime: number | null;
  deactivateTime: number | null;
  /** unix seconds (SCIM starttermdates) */
  startDate: number | null;
  termDate: number | null;
  authMethod: AuthMethod;
  isAdmin: boolean;
  frontline: boolean;
  updatedTime: number;
  profile: BehaviourProfile;
}

export interface Org {
  companyId: string;
  communityId: string;
  domain: string;
  name: string;
  /** Integration (custom app) the simulator's tokens belong to; acts as the actor of API-caused events. */
  integrationId: string;
  integrationName: string;
  users: SimUser[];
}

const FIRST = ['Ana', 'Raj', 'Mei', 'Lukas', 'Chloé', 'Tom', 'Sofia', 'Kenji', 'Amara', 'Jonas', 'Priya', 'Mateo', 'Olga', 'Liam', 'Aisha', 'Pierre', 'Emma', 'Noah', 'Yuki', 'Carlos', 'Fatima', 'Jan', 'Marta', 'Omar', 'Sara', 'Ivan', 'Lea', 'David', 'Nora', 'Hugo', 'Zoe', 'Arjun', 'Lucia', 'Felix', 'Hana', 'Diego', 'Ingrid', 'Kwame', 'Elif', 'Marco'];
const LAST = ['Souza', 'Patel', 'Chen', 'Müller', 'Martin', 'Smith', 'Rossi', 'Tanaka', 'Okafor', 'Schmidt', 'Sharma', 'García', 'Nowak', 'Brown', 'Khan', 'Dubois', 'Johansson', 'Jansen', 'Sato', 'López', 'Haddad', 'Kowalski', 'Fernández', 'Ali', 'Peeters', 'Ivanova', 'Weber', 'Wilson', 'Berg', 'Moreau', 'Singh', 'Costa', 'Fischer', 'Kim', 'Silva', 'Larsen', 'Mensah', 'Yilmaz', 'Bianchi', 'Taylor'];
const DEPARTMENTS: Record<string, string[]> = {
  Engineering: ['Software Engineer', 'Senior Software Engineer', 'Engineering Manager', 'SRE'],
  Sales: ['Account Executive', 'Sales Manager', 'Sales Engineer'],
  Marketing: ['Marketing Manager', 'Content Strategist', 'Designer'],
  Finance: ['Accountant', 'Financial Analyst', 'Controller'],
  HR: ['HR Business Partner', 'Recruiter'],
  IT: ['IT Administrator', 'Service Desk Analyst', 'Security Engineer'],
  Legal: ['Counsel', 'Paralegal'],
  Operations: ['Operations Manager', 'Logistics Coordinator', 'Store Associate'],
  Support: ['Support Specialist', 'Support Lead'],
  Product: ['Product Manager', 'UX Researcher'],
};
const DEPT_WEIGHTS: Record<string, number> = { Engineering: 25, Sales: 15, Marketing: 8, Finance: 6, HR: 4, IT: 6, Legal: 2, Operations: 18, Support: 10, Product: 6 };
const LOCALE: Record<string, string> = { US: 'en_US', CA: 'en_US', GB: 'en_GB', DE: 'de_DE', FR: 'fr_FR', NL: 'nl_NL', BE: 'nl_BE', CH: 'de_DE', ES: 'es_ES', IT: 'it_IT', PL: 'pl_PL', SE: 'sv_SE', IN: 'en_GB', BR: 'pt_BR', MX: 'es_LA', JP: 'ja_JP', SG: 'en_GB', AU: 'en_GB' };

const ascii = (s: string): string => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/ü/g, 'u').toLowerCase();

export interface OrgOptions {
  users: number;
  companyId: string;
  communityId: string;
  domain: string;
  /** The custom integration's id (actor of API-caused events). */
  integrationId: string;
  /** Time the generated history ends (ms); account dates are set before it. */
  nowMs: number;
}

/** First user id; ids are 15-digit numbers like Workplace's, increasing with the index so Graph order is stable. */
const ID_BASE = 100064094300000;

export function userIdFor(index: number): string {
  return String(ID_BASE + index * 7);
}

export function newUser(rng: Rng, index: number, opts: Pick<OrgOptions, 'domain' | 'nowMs'>, used: Set<string>): SimUser {
  const firstName = rng.pick(FIRST);
  const lastName = rng.pick(LAST);
  let local = `${ascii(firstName)}.${ascii(lastName)}`.replace(/[^a-z.]/g, '');
  for (let n = 2; used.has(local); n++) local = `${ascii(firstName)}.${ascii(lastName)}${n}`.replace(/[^a-z.0-9]/g, '');
  used.add(local);
  const department = rng.weighted(DEPT_WEIGHTS);
  const commuter = rng.chance(0.05);
  let home = rng.weighted(NETWORK.homeCountries);
  let office = home;
  if (commuter) {
    const pair = rng.pick(NETWORK.commuterPairs);
    [home, office] = rng.chance(0.5) ? pair : [pair[1], pair[0]];
  }
  const frontline = department === 'Operations' && rng.chance(0.5);
  const invitedDaysAgo = rng.range(40, 1500);
  const inviteTime = opts.nowMs - invitedDaysAgo * 86_400_000 - rng.int(86_400_000);
  const claimed = !rng.chance(0.03);
  const claimTime = claimed ? inviteTime + rng.range(60, 3 * 86_400) * 1000 : null;
  const offset = NETWORK.countries[home].utcOffset;
  return {
    id: userIdFor(index),
    email: `${local}@${opts.domain}`,
    firstName,
    lastName,
    name: `${firstName} ${lastName}`,
    title: rng.pick(DEPARTMENTS[department]),
    department,
    division: department === 'Operations' || department === 'Support' ? 'Field' : 'Corporate',
    organization: 'Rampart Demo Corp',
    costCenter: `CC-${100 + Object.keys(DEPARTMENTS).indexOf(department)}`,
    employeeNumber: String(10_000 + index),
    externalId: `E${String(10_000 + index)}`,
    locale: LOCALE[home] ?? 'en_US',
    timezone: `UTC${offset >= 0 ? '+' : ''}${offset}`,
    managerId: null,
    active: true,
    invited: true,
    claimed,
    inviteTime,
    claimTime,
    deactivateTime: null,
    startDate: Math.floor(inviteTime / 1000) - 86_400 * rng.range(0, 14),
    termDate: null,
    authMethod: rng.chance(0.8) ? 'sso' : 'password',
    isAdmin: false,
    frontline,
    updatedTime: claimTime ?? inviteTime,
    profile: {
      home,
      office,
      commuter,
      traveler: ['Sales', 'Product', 'Engineering'].includes(department) ? rng.chance(0.35) : rng.chance(0.08),
      vpn: department === 'Engineering' || department === 'IT' ? rng.chance(0.6) : rng.chance(0.15),
      mobile: frontline || rng.chance(0.6),
      desktopUa: rng.pick(NETWORK.userAgents.desktop),
      mobileUa: rng.pick(NETWORK.userAgents.mobile),
      homeIp: countryIp(home, 'broadband', rng),
      startHour: rng.range(7, 10),
      mfa: rng.chance(0.4),
    },
  };
}

/** Builds the organisation. Deterministic for a given rng state and options. */
export function generateOrg(rng: Rng, opts: OrgOptions): Org {
  const used = new Set<string>();
  const users: SimUser[] = [];
  for (let i = 0; i < opts.users; i++) users.push(newUser(rng, i, opts, used));
  // Managers: the first person of each department manages the others in it.
  const heads = new Map<string, SimUser>();
  for (const u of users) {
    const head = heads.get(u.department);
    if (!head) heads.set(u.department, u);
    else u.managerId = head.id;
  }
  // Admins: a few IT people (at least one, at least two in orgs of 20+).
  const it = users.filter((u) => u.department === 'IT' && u.claimed);
  const wanted = Math.max(opts.users >= 20 ? 2 : 1, Math.min(6, Math.round(opts.users / 150)));
  const pool = it.length >= wanted ? it : users.filter((u) => u.claimed);
  for (const u of pool.slice(0, Math.min(wanted, pool.length))) {
    u.isAdmin = true;
    u.authMethod = 'sso';
    u.profile.mfa = true;
  }
  return {
    companyId: opts.companyId,
    communityId: opts.communityId,
    domain: opts.domain,
    name: 'Rampart Demo Corp',
    integrationId: opts.integrationId,
    integrationName: 'Rampart Security',
    users,
  };
}
