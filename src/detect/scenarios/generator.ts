/**
 * @module detect/scenarios/generator
 * Seeded generator of multi-day, multi-user activity sets: a benign organisation (office workers, mobile
 * users with changing IPs, cross-border commuters, business travellers, steady admins, impersonating
 * schedulers, leavers, a new hire, typo'd passwords) plus optional attacks with the alerts they must raise and
 * the look-alike alerts they must not. The same output runs through the engine directly or, written as NDJSON
 * in the `rampart` format (the Activity schema), through `rampart scan`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActivitySchema, type Activity, type IpCategory } from '../../schema/activity.ts';
import type { Severity } from '../../schema/alert.ts';
import { DirectoryUserSchema, type DirectoryUser } from '../../schema/directory.ts';
import type { DetectionsConfigInput } from '../config.ts';
import { SATELLITE_ASNS } from '../ip-intel.ts';
import { haversineKm } from '../geo.ts';
import { NETWORKS_BY_COUNTRY, type NetRow } from './ip-table.ts';
import { mulberry32 } from '../../core/random.ts';

export const ATTACKS = ['impossible_travel', 'tor', 'brute_force', 'password_spray', 'terminated', 'admin_takeover', 'impersonation_burst', 'risky_ip'] as const;
export type AttackName = (typeof ATTACKS)[number];

export interface ScenarioOptions {
  seed?: number;
  users?: number;
  days?: number;
  /** Monday 00:00 UTC of the first day. */
  start?: string;
  attacks?: readonly AttackName[];
}

/** An alert the scenario requires, or forbids (every given field must match). */
export interface AlertMatch {
  detection: string;
  user?: string | null;
  severity?: Severity;
  why: string;
}

export interface IpRangeSpec {
  name: string;
  category: 'corporate' | 'vpn' | 'risky';
  subnets: string[];
}

export interface Scenario {
  name: string;
  activities: Activity[];
  directory: DirectoryUser[];
  /** The `detections` config the scenario assumes (frequent travellers excluded from infrequent_country). */
  detections: DetectionsConfigInput;
  /** Organisation ranges (offices, VPN, a risky range), as `ipRanges` in the config file. */
  ipRanges: IpRangeSpec[];
  required: AlertMatch[];
  forbidden: AlertMatch[];
  /** Users who are attack victims or attackers (their alerts are not benign noise). */
  attackUsers: Set<string>;
  userDays: number;
}

const prng = mulberry32;

const HOSTING = /amazon|microsoft|google|digitalocean|alibaba|rackspace|selectel|cloud|data ?cent|hosting|skylogic|ovh|hetzner|linode|oracle|macquarie|n-able|leaseweb|akamai/i;
/** Residential/business networks only: cloud and satellite networks have no physical location. */
const NETS: Record<string, NetRow[]> = Object.fromEntries(
  Object.entries(NETWORKS_BY_COUNTRY).map(([c, rows]) => [c, rows.filter((r) => !HOSTING.test(r[5]) && !SATELLITE_ASNS.has(r[4]))]),
);

interface Endpoint {
  ip: string;
  country: string;
  city: string | null;
  lat: number;
  lon: number;
  asn: number;
  isp: string;
  category: IpCategory | null;
  tags: string[];
}

const endpoint = (country: string, row: NetRow, host: number, category: IpCategory | null = null, tags: string[] = []): Endpoint => ({
  ip: `${row[0]}.${host}`,
  country,
  city: row[1],
  lat: row[2],
  lon: row[3],
  asn: row[4],
  isp: row[5],
  category,
  tags,
});

const OFFICES = { GB: 0, FR: 1, DE: 2, US: 3, SG: 4 } as const;
const COMMUTES: Array<[home: string, work: string]> = [
  ['DE', 'FR'],
  ['SE', 'DK'],
  ['FR', 'CH'],
  ['BE', 'NL'],
  ['AT', 'DE'],
];
const TRIP_COUNTRIES = ['US', 'JP', 'SG', 'IN', 'BR', 'AU', 'AE', 'CA', 'ZA', 'ES', 'IT', 'PL'];
const ADMIN_TYPES = ['user.update', 'group.member.add', 'group.member.remove', 'user.invite', 'settings.update', 'user.reset_password'];
const CONTENT = ['post.create', 'comment.create', 'file.view', 'message.send', 'group.view', 'file.download'];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

type Kind = 'office' | 'mobile' | 'commuter' | 'traveller' | 'admin' | 'exec';

interface User {
  email: string;
  id: string;
  kind: Kind;
  home: Endpoint;
  office: Endpoint;
  mobile: Endpoint[];
  firstDay: number;
  lastDay: number;
  vpnUser: boolean;
  groups: string[];
}

export function generateScenario(opts: ScenarioOptions = {}): Scenario {
  const seed = opts.seed ?? 7;
  const rnd = prng(seed);
  const nUsers = opts.users ?? 220;
  const days = opts.days ?? 21;
  const t0 = Date.parse(opts.start ?? '2026-03-02T00:00:00.000Z');
  const attacks = opts.attacks ?? [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const host = () => 2 + Math.floor(rnd() * 250);
  const acts: Activity[] = [];
  let seq = 0;

  // Organisation networks: one corporate /24 per office, one VPN exit (US), one risky range.
  const officeNet = Object.fromEntries(Object.keys(OFFICES).map((c) => [c, NETS[c][0]])) as Record<string, NetRow>;
  const vpnNet = NETS.US[1];
  const riskyNet = NETS.RU[0];
  const ipRanges: IpRangeSpec[] = [
    ...Object.entries(officeNet).map(([c, r]) => ({ name: `office-${c.toLowerCase()}`, category: 'corporate' as const, subnets: [`${r[0]}.0/24`] })),
    { name: 'corporate-vpn', category: 'vpn', subnets: [`${vpnNet[0]}.0/24`] },
    { name: 'blocked-partner', category: 'risky', subnets: [`${riskyNet[0]}.0/24`] },
  ];
  const officeEp = (c: string) => endpoint(c, officeNet[c], 10, 'corporate');

  const users: User[] = [];
  for (let i = 0; i < nUsers; i++) {
    const r = rnd();
    const kind: Kind = i < 6 ? 'admin' : i < 9 ? 'exec' : r < 0.16 ? 'mobile' : r < 0.22 ? 'commuter' : r < 0.3 ? 'traveller' : 'office';
    let homeC: string = pick(Object.keys(OFFICES));
    let workC = homeC;
    if (kind === 'commuter') [homeC, workC] = pick(COMMUTES);
    const homeNets = NETS[homeC].slice(1);
    const u: User = {
      email: `user${String(i).padStart(3, '0')}@acme.example`,
      id: String(100000 + i),
      kind,
      home: endpoint(homeC, pick(homeNets), host()),
      office: kind === 'commuter' ? endpoint(workC, pick(NETS[workC].slice(1)), host()) : officeEp(workC),
      mobile: Array.from({ length: 3 }, () => endpoint(homeC, pick(homeNets), host())),
      firstDay: 0,
      lastDay: days - 1,
      vpnUser: rnd() < 0.1,
      groups: kind === 'traveller' ? ['Frequent Travellers'] : kind === 'admin' ? ['IT Admins'] : [],
    };
    users.push(u);
  }
  // A new hire from day 10, two leavers on day 12 (their directory entry says so).
  users[nUsers - 1].firstDay = 10;
  const leavers = [users[nUsers - 2], users[nUsers - 3]];
  for (const l of leavers) l.lastDay = 11;
  // Three office workers visit another office once (days 14-15), without being in the travellers group.
  const visitors = new Set(users.filter((u) => u.kind === 'office').slice(-4, -1));

  const emit = (u: User | string, t: number, ep: Endpoint, p: Partial<Activity> & { action: string }) => {
    const email = typeof u === 'string' ? u : u.email;
    const time = new Date(t).toISOString();
    acts.push(
      ActivitySchema.parse({
        id: `scn${seed}-${++seq}`,
        time,
        receivedAt: time,
        app: 'workplace',
        tenant: 'acme',
        source: 'scan',
        category: 'login',
        outcome: 'success',
        interactive: true,
        actor: { id: typeof u === 'string' ? null : u.id, email, name: null },
        ip: ep.ip,
        geo: { country: ep.country, city: ep.city, lat: ep.lat, lon: ep.lon },
        asn: ep.asn,
        isp: ep.isp,
        ipCategory: ep.category,
        ipTags: ep.tags,
        ...p,
      }),
    );
  };
  /** Where and when each user was last physically seen: nobody moves faster than a plane (650 km/h + 3 h). */
  const lastSeen = new Map<string, { t: number; ep: Endpoint }>();
  /** A sign-in then a few content actions from the same place. */
  const session = (u: User, t: number, ep: Endpoint, n = 2 + Math.floor(rnd() * 5), deviceMobile = false) => {
    const prev = lastSeen.get(u.email);
    if (prev && ep.category !== 'vpn') {
      const flightHours = prev.ep.country === ep.country ? 0 : haversineKm(prev.ep.lat, prev.ep.lon, ep.lat, ep.lon) / 650 + 3;
      t = Math.max(t, prev.t + flightHours * HOUR);
    }
    if (ep.category !== 'vpn') lastSeen.set(u.email, { t: t + (n + 1) * 25 * 60_000, ep });
    const device = deviceMobile ? { type: 'mobile', os: 'iOS', browser: 'Workplace', tags: [] } : null;
    if (rnd() < 0.04) for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) emit(u, t - (k + 1) * 20_000, ep, { action: 'login', outcome: 'failure', device });
    emit(u, t, ep, { action: 'login', device });
    for (let k = 1; k <= n; k++) emit(u, t + k * (3 + rnd() * 20) * 60_000, ep, { action: pick(CONTENT), category: 'content', device });
  };

  for (const u of users) {
    // Travellers: a trip every week or so, 2-4 days, to a random country; flights take realistic time.
    const trips: Array<{ from: number; to: number; ep: Endpoint }> = [];
    if (visitors.has(u)) {
      const c = pick(Object.keys(OFFICES).filter((x) => x !== u.home.country));
      trips.push({ from: 14, to: 15, ep: officeEp(c) });
    }
    if (u.kind === 'traveller') {
      for (let d = 2 + Math.floor(rnd() * 3); d < days - 3; d += 6 + Math.floor(rnd() * 3)) {
        const c = pick(TRIP_COUNTRIES.filter((x) => x !== u.home.country));
        trips.push({ from: d, to: d + 2 + Math.floor(rnd() * 2), ep: endpoint(c, pick(NETS[c]), host()) });
      }
    }
    for (let d = u.firstDay; d <= u.lastDay; d++) {
      const day0 = t0 + d * DAY;
      const weekend = d % 7 >= 5;
      const tz = u.home.lon / 15; // local 09:00 in UTC hours
      const at = (localHour: number) => day0 + (localHour - tz) * HOUR + rnd() * 40 * 60_000;
      const trip = trips.find((x) => d >= x.from && d <= x.to);
      if (trip) {
        // session() delays the arrival by the flight time from wherever the traveller was last seen.
        if (d === trip.from) session(u, at(7), u.home, 1);
        session(u, day0 + (9 - trip.ep.lon / 15) * HOUR + rnd() * 30 * 60_000, trip.ep);
        continue;
      }
      if (weekend) {
        if (rnd() < 0.25) session(u, at(11), u.kind === 'mobile' ? pick(u.mobile) : u.home, 2, u.kind === 'mobile');
        continue;
      }
      if (u.kind === 'mobile') {
        // Phones hop between carrier gateways and IPs within the home country.
        for (let k = 0; k < 3; k++) {
          const m = pick(u.mobile);
          session(u, at(8 + k * 4), { ...m, ip: `${m.ip.slice(0, m.ip.lastIndexOf('.'))}.${host()}` }, 2, true);
        }
        continue;
      }
      const wfh = u.kind !== 'commuter' && rnd() < 0.4;
      if (u.vpnUser && rnd() < 0.3) session(u, at(9), endpoint('US', vpnNet, host(), 'vpn'));
      else session(u, at(9), wfh ? u.home : u.office);
      if (u.kind === 'commuter' || rnd() < 0.3) session(u, at(20), u.home, 2);
      if (u.kind === 'admin') {
        // Steady admins: about 40 admin actions a day in one or two sessions.
        const n = 35 + Math.floor(rnd() * 11);
        const split = rnd() < 0.5 ? n : Math.floor(n / 2);
        let t = at(10);
        for (let k = 0; k < n; k++) {
          if (k === split) t = at(15);
          t += (0.5 + rnd() * 2) * 60_000;
          emit(u, t, wfh ? u.home : u.office, { action: ADMIN_TYPES[k % ADMIN_TYPES.length], category: 'admin', isAdminActivity: true });
        }
      }
      if (u.kind === 'exec') {
        let t = at(8);
        for (let k = 0; k < 2 + Math.floor(rnd() * 3); k++) {
          t += (2 + rnd() * 5) * 60_000;
          emit(u, t, endpoint('US', NETS.US[2], 20), { action: 'post.create', category: 'content', interactive: false, impersonated: true, impersonator: { id: null, email: 'scheduler-app@acme.example' } });
        }
      }
    }
  }

  // Attacks, after learning, each on its own victim.
  const required: AlertMatch[] = [];
  const forbidden: AlertMatch[] = [];
  const attackUsers = new Set<string>();
  const officeUsers = users.filter((u) => u.kind === 'office' && u.firstDay === 0 && u.lastDay === days - 1);
  const victims = officeUsers.slice(0, 20);
  const attackDay = (k: number) => t0 + (12 + (k % 6)) * DAY;
  attacks.forEach((name, k) => {
    const v = victims[k];
    const t = attackDay(k) + 13 * HOUR;
    switch (name) {
      case 'impossible_travel': {
        attackUsers.add(v.email);
        const ng = endpoint('NG', NETS.NG[0], 77);
        session(v, t - 40 * 60_000, v.home, 1);
        emit(v, t, ng, { action: 'login' });
        emit(v, t + 5 * 60_000, ng, { action: 'file.download', category: 'file' });
        required.push({ detection: 'impossible_travel', user: v.email, why: 'stolen session used from Lagos 40 min after a sign-in in Europe/US' });
        required.push({ detection: 'infrequent_country', user: v.email, why: 'Nigeria never used by the victim' });
        break;
      }
      case 'tor': {
        attackUsers.add(v.email);
        emit(v, t, endpoint('DE', ['185.220.101', 'Berlin', 52.52, 13.405, 60729, 'Stiftung Erneuerbare Freiheit'], 33, 'tor', ['Tor exit node']), { action: 'login' });
        required.push({ detection: 'anonymous_ip', user: v.email, why: 'sign-in from a Tor exit' });
        break;
      }
      case 'brute_force': {
        attackUsers.add(v.email);
        const ru = endpoint('RU', NETS.RU[1], 66);
        for (let i = 0; i < 12; i++) emit(v, t + i * 40_000, ru, { action: 'login', outcome: 'failure' });
        emit(v, t + 12 * 40_000, ru, { action: 'login' });
        required.push({ detection: 'failed_logins', user: v.email, severity: 'high', why: '12 failures then a success from the same IP' });
        break;
      }
      case 'password_spray': {
        const ru = endpoint('RU', NETS.RU[2], 99);
        const targets = officeUsers.slice(20, 35);
        targets.forEach((u, i) => emit(u, t + i * 30_000, ru, { action: 'login', outcome: 'failure' }));
        required.push({ detection: 'failed_logins', user: null, why: 'one IP failing against 15 users' });
        for (const u of targets) forbidden.push({ detection: 'failed_logins', user: u.email, why: 'one failure per user is not a per-user brute force' });
        break;
      }
      case 'terminated': {
        const l = leavers[0];
        attackUsers.add(l.email);
        session(l, t, l.home, 3);
        required.push({ detection: 'terminated_user', user: l.email, why: 'deactivated on day 12, signs in on a later day' });
        break;
      }
      case 'admin_takeover': {
        attackUsers.add(v.email);
        session(v, t, v.home, 1);
        const types = ['admin.role.grant', 'security.settings.update', 'user.update', 'integration.install'];
        for (let i = 0; i < 25; i++) emit(v, t + (i + 2) * 60_000, v.home, { action: types[i % types.length], category: 'admin', isAdminActivity: true });
        required.push({ detection: 'unusual_admin', user: v.email, why: 'a user with no admin history performs 25 admin actions' });
        break;
      }
      case 'impersonation_burst': {
        const exec = users.find((u) => u.kind === 'exec')!;
        attackUsers.add(exec.email);
        for (let i = 0; i < 40; i++)
          emit(exec, t + i * 30_000, endpoint('NL', NETS.NL[0], 50), { action: 'message.read', category: 'content', interactive: false, impersonated: true, impersonator: { id: null, email: 'exporter@unknown-app.example' } });
        required.push({ detection: 'unusual_impersonation', user: exec.email, why: '40 impersonated message reads by an unknown app' });
        break;
      }
      case 'risky_ip': {
        attackUsers.add(v.email);
        emit(v, t, endpoint('RU', riskyNet, 44, 'risky'), { action: 'login' });
        required.push({ detection: 'suspicious_ip', user: v.email, why: 'sign-in from an organisation range marked risky' });
        break;
      }
    }
  });
  // Look-alikes that must never alert, attacks or not.
  for (const u of users) {
    if (u.kind === 'commuter') forbidden.push({ detection: 'impossible_travel', user: u.email, why: 'cross-border commuter between bordering countries' });
    if (u.kind === 'traveller') forbidden.push({ detection: 'impossible_travel', user: u.email, why: 'business travel at flight speed' });
    if (u.kind === 'admin') forbidden.push({ detection: 'unusual_admin', user: u.email, why: 'steady admin doing the usual ~40 actions a day' });
    if (u.kind === 'mobile') forbidden.push({ detection: 'impossible_travel', user: u.email, why: 'mobile IP changes within one country' });
  }

  acts.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const directory = users.map((u) =>
    DirectoryUserSchema.parse({
      app: 'workplace',
      tenant: 'acme',
      id: u.id,
      email: u.email,
      name: u.email.split('@')[0],
      active: !leavers.includes(u),
      deactivatedAt: leavers.includes(u) ? new Date(t0 + 12 * DAY + 17 * HOUR).toISOString() : null,
      startDate: new Date(t0 + u.firstDay * DAY).toISOString().slice(0, 10),
      groups: u.groups,
      department: u.kind === 'admin' ? 'IT' : 'Operations',
      isAdmin: u.kind === 'admin',
      updatedAt: new Date(t0 + days * DAY).toISOString(),
    }),
  );
  const userDays = users.reduce((n, u) => n + (u.lastDay - u.firstDay + 1), 0);
  return {
    name: attacks.length ? `attacks-${seed}` : `benign-${seed}`,
    activities: acts,
    directory,
    detections: { infrequent_country: { excludeGroups: ['Frequent Travellers'] } },
    ipRanges,
    required,
    forbidden,
    attackUsers,
    userDays,
  };
}

/**
 * Writes a scenario for `rampart scan`: activities.ndjson (the `rampart` format), directory.json (directory
 * users), config.json (detections + ipRanges) and expectations.json (required/forbidden alerts).
 */
export function writeScenario(dir: string, s: Scenario): { activities: string; directory: string; config: string; expectations: string } {
  mkdirSync(dir, { recursive: true });
  const paths = {
    activities: join(dir, 'activities.ndjson'),
    directory: join(dir, 'directory.json'),
    config: join(dir, 'config.json'),
    expectations: join(dir, 'expectations.json'),
  };
  writeFileSync(paths.activities, s.activities.map((a) => JSON.stringify(a)).join('\n') + '\n');
  writeFileSync(paths.directory, JSON.stringify(s.directory, null, 1));
  writeFileSync(paths.config, JSON.stringify({ detections: s.detections, ipRanges: s.ipRanges.map((r) => ({ ...r, tags: [] })) }, null, 1));
  writeFileSync(paths.expectations, JSON.stringify({ required: s.required, forbidden: s.forbidden, attackUsers: [...s.attackUsers], userDays: s.userDays, maxBenignAlerts: Math.floor(s.userDays / 500) }, null, 1));
  return paths;
}
