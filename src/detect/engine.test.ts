/** Engine semantics shared by all detections: learning, scope, dedup, directory, state, registration, config. */
import { describe, expect, it } from 'vitest';
import { isRampartError } from '../core/errors.ts';
import { ConfigSchema } from '../config/schema.ts';
import { userKey, type Activity } from '../schema/activity.ts';
import { AlertSchema } from '../schema/alert.ts';
import { DetectionsConfigSchema } from './config.ts';
import { canonicalIpv4Lo, lastIpv4Hi, NO_ALERTS, type Detection } from './detection.ts';
import { DetectionEngine, userKeyAndHash } from './engine.ts';
import { countryCode } from './geo.ts';
import { CASE_START, makeActivity, makeDirectoryUser, type CaseActivity } from './testing.ts';

const D = 1440;
const run = (engine: DetectionEngine, steps: CaseActivity[]) => steps.flatMap((s) => engine.process(makeActivity(s)));
const daily = (days: number, extra: Partial<CaseActivity> = {}): CaseActivity[] =>
  Array.from({ length: days }, (_, i) => ({ at: i * D, place: 'newYork' as const, ip: '198.51.100.1', ...extra }));

describe('learning period (event time, per tenant)', () => {
  it('baselined detections raise nothing during the first 7 days of event time, then do', () => {
    const engine = new DetectionEngine();
    const during = run(engine, [...daily(3), { at: 3 * D, place: 'london', ip: '203.0.113.1' }, { at: 3 * D + 30, place: 'tokyo', ip: '203.0.113.2' }]);
    expect(during.filter((a) => a.detection === 'impossible_travel')).toEqual([]);
    const after = run(engine, [{ at: 8 * D, place: 'london', ip: '203.0.113.1' }, { at: 8 * D + 30, place: 'tokyo', ip: '203.0.113.2' }]);
    expect(after.map((a) => a.detection)).toContain('impossible_travel');
  });

  it('is measured from the first activity of each tenant, not from wall-clock time', () => {
    // Wall clock years later (a `rampart scan` of history) changes nothing: only event times count.
    const engine = new DetectionEngine({ clock: () => Date.parse('2030-01-01T00:00:00Z') });
    run(engine, daily(10, { tenant: 'old' }));
    const fresh = run(engine, [{ at: 10 * D, tenant: 'new', place: 'london', ip: '203.0.113.1' }, { at: 10 * D + 30, tenant: 'new', place: 'tokyo', ip: '203.0.113.2' }]);
    expect(fresh.filter((a) => a.detection === 'impossible_travel')).toEqual([]);
    const old = run(engine, [{ at: 10 * D, tenant: 'old', place: 'london', ip: '203.0.113.1' }, { at: 10 * D + 30, tenant: 'old', place: 'tokyo', ip: '203.0.113.2' }]);
    expect(old.filter((a) => a.detection === 'impossible_travel')).toHaveLength(1);
  });

  it('learningDays is configurable', () => {
    const engine = new DetectionEngine({ config: { learningDays: 2 } });
    const alerts = run(engine, [...daily(3), { at: 3 * D, place: 'london', ip: '203.0.113.1' }, { at: 3 * D + 30, place: 'tokyo', ip: '203.0.113.2' }]);
    expect(alerts.map((a) => a.detection)).toContain('impossible_travel');
  });

  it('anonymous_ip, suspicious_ip and terminated_user have no learning period', () => {
    const engine = new DetectionEngine();
    engine.setDirectory([makeDirectoryUser({ email: 'gone@example.com', active: false })]);
    const alerts = run(engine, [
      { at: 0, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor' },
      { at: 1, user: 'bob@example.com', place: 'lagos', ip: '203.0.113.66', ipCategory: 'risky' },
      { at: 2, user: 'gone@example.com', place: 'berlin', ip: '198.51.100.3' },
    ]);
    expect(alerts.map((a) => a.detection).sort()).toEqual(['anonymous_ip', 'suspicious_ip', 'terminated_user']);
  });
});

describe('scope (include/exclude users and groups; exclude wins)', () => {
  const tor = (user: string): CaseActivity => ({ at: 0, user, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor' });
  const dir = [
    makeDirectoryUser({ email: 'eng@example.com', groups: ['Engineering'] }),
    makeDirectoryUser({ email: 'red@example.com', groups: ['Engineering', 'Red Team'] }),
    makeDirectoryUser({ email: 'sales@example.com', department: 'Sales' }),
  ];
  const alertsFor = (config: object, user: string) => {
    const engine = new DetectionEngine({ config: { anonymous_ip: config } });
    engine.setDirectory(dir);
    return run(engine, [tor(user)]).filter((a) => a.detection === 'anonymous_ip');
  };

  it('excludeUsers drops a user (case-insensitive)', () => {
    expect(alertsFor({ excludeUsers: ['ENG@example.com'] }, 'eng@example.com')).toHaveLength(0);
    expect(alertsFor({ excludeUsers: ['ENG@example.com'] }, 'sales@example.com')).toHaveLength(1);
  });
  it('includeGroups limits alerts to members; department counts as a group', () => {
    expect(alertsFor({ includeGroups: ['engineering'] }, 'eng@example.com')).toHaveLength(1);
    expect(alertsFor({ includeGroups: ['engineering'] }, 'sales@example.com')).toHaveLength(0);
    expect(alertsFor({ includeGroups: ['Sales'] }, 'sales@example.com')).toHaveLength(1);
  });
  it('exclude wins over include', () => {
    expect(alertsFor({ includeGroups: ['Engineering'], excludeGroups: ['Red Team'] }, 'red@example.com')).toHaveLength(0);
    expect(alertsFor({ includeUsers: ['red@example.com'], excludeGroups: ['Red Team'] }, 'red@example.com')).toHaveLength(0);
  });
  it('enabled: false turns a detection off; severity overrides the default', () => {
    expect(alertsFor({ enabled: false }, 'eng@example.com')).toHaveLength(0);
    expect(alertsFor({ severity: 'high' }, 'eng@example.com')[0].severity).toBe('high');
  });
});

describe('alerts and dedup', () => {
  it('builds full, schema-valid alerts with MITRE tactic, user = actor email else actor id', () => {
    const engine = new DetectionEngine();
    const [byEmail] = run(engine, [{ at: 0, user: 'Alice@Example.com', place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor' }]);
    expect(AlertSchema.parse(byEmail)).toEqual(byEmail);
    expect(byEmail).toMatchObject({ detection: 'anonymous_ip', user: 'alice@example.com', mitreTactic: 'initial_access', count: 1, status: 'new', app: 'workplace', tenant: 'acme' });
    expect(byEmail.evidence.length).toBeGreaterThan(0);
    const [byId] = run(engine, [{ at: 1, user: null, userId: 'u-42', place: 'berlin', ip: '185.220.101.2', ipCategory: 'tor' }]);
    expect(byId.user).toBe('u-42');
  });

  it('one alert per (detection, user, key) within the cool-down; after it a new alert opens', () => {
    const engine = new DetectionEngine({ config: { anonymous_ip: { cooldownSecs: 3600 } } });
    const tor = (at: number, ip = '185.220.101.1'): CaseActivity => ({ at, place: 'berlin', ip, ipCategory: 'tor' });
    const [a1] = run(engine, [tor(0)]);
    const [a2] = run(engine, [tor(30)]);
    expect(a2.id).toBe(a1.id);
    expect(a2.count).toBe(2);
    expect(a2.activityIds).toHaveLength(2);
    expect(a2.lastSeen > a1.lastSeen).toBe(true);
    const [other] = run(engine, [tor(31, '185.220.101.9')]);
    expect(other.id).not.toBe(a1.id);
    const [later] = run(engine, [tor(30 + 61)]);
    expect(later.id).not.toBe(a1.id);
    expect(later.count).toBe(1);
  });

  it('cumulative drafts replace the evidence: a long brute force keeps one current summary, not 50 stale lines', () => {
    const engine = new DetectionEngine({ config: { learningDays: 0 } });
    const alerts = run(engine, Array.from({ length: 20 }, (_, i) => ({ at: i, place: 'paris' as const, ip: '203.0.113.20', outcome: 'failure' as const })));
    const last = alerts.filter((a) => a.detection === 'failed_logins').at(-1)!;
    expect(last.count).toBe(13);
    expect(last.evidence).toHaveLength(3);
    expect(last.evidence[0]).toBe(`${String(last.details.count)} failed sign-ins within 15 min (from 2026-03-02T08:04:00.000Z to 2026-03-02T08:19:00.000Z)`);
  });

  it('caps activity ids on a long-running alert', () => {
    const engine = new DetectionEngine({ maxActivityIdsPerAlert: 5 });
    const alerts = run(engine, Array.from({ length: 20 }, (_, i) => ({ at: i, place: 'berlin' as const, ip: '185.220.101.1', ipCategory: 'tor' as const })));
    const last = alerts.at(-1)!;
    expect(last.count).toBe(20);
    expect(last.activityIds).toHaveLength(5);
  });

  it('alert ids are stable across runs (a re-scan gives the same ids)', () => {
    const steps: CaseActivity[] = [{ at: 0, id: 'fixed-1', place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor' }];
    expect(run(new DetectionEngine(), steps)[0].id).toBe(run(new DetectionEngine(), steps)[0].id);
  });
});

describe('directory', () => {
  it('a reactivated user stops matching terminated_user', () => {
    const engine = new DetectionEngine();
    engine.setDirectory([makeDirectoryUser({ email: 'temp@example.com', id: '7', active: false, deactivatedAt: '2026-03-01T00:00:00.000Z' })]);
    expect(run(engine, [{ at: 0, user: 'temp@example.com' }]).map((a) => a.detection)).toEqual(['terminated_user']);
    engine.updateDirectory([makeDirectoryUser({ email: 'temp@example.com', id: '7', active: true, deactivatedAt: null })]);
    expect(run(engine, [{ at: 2 * D, user: 'temp@example.com' }])).toEqual([]);
  });
});

describe('user records (lookup, order, forgetting)', () => {
  const users = (engine: DetectionEngine) => engine.exportState().users.map((u) => u[0]);

  it('keys users as userKey does (lower-cased email, else id), without copying an already lower-case email', () => {
    const actors = [
      { id: '7', email: 'alice@example.com' },
      { id: '7', email: 'Alice@Example.COM' },
      { id: null, email: 'ÉLODIE@exemple.fr' },
      { id: 'u-1', email: null },
      { id: null, email: '' },
      { id: null, email: null },
    ];
    for (const actor of actors) expect(userKeyAndHash({ actor: { ...actor, name: null } })).toBe(userKey({ actor: { ...actor, name: null } }));
    const engine = new DetectionEngine();
    run(engine, [{ at: 0, user: 'Bob@Example.com' }, { at: 1, user: 'bob@example.com' }, { at: 2, user: null, userId: 'svc-9' }]);
    expect(users(engine)).toEqual(['bob@example.com', 'svc-9']);
  });

  it('never gives an email the record of an actor id spelled the same in upper case (the key of that email is lower case)', () => {
    const engine = new DetectionEngine();
    run(engine, [
      { at: 0, user: null, userId: 'Svc-9', place: 'newYork', ip: '198.51.100.1' },
      { at: 1, user: 'Svc-9', place: 'london', ip: '203.0.113.1' },
      { at: 2, user: 'svc-9', place: 'london', ip: '203.0.113.1' },
    ]);
    expect(users(engine)).toEqual(['Svc-9', 'svc-9']);
    // The id-keyed user has only its own (New York) sign-in; the two London ones went to the email's key.
    expect(engine.userState('Svc-9')).toEqual(expect.objectContaining({ impossible_travel: expect.objectContaining({ ip: '198.51.100.1' }) }));
    expect(engine.userState('svc-9')).toEqual(expect.objectContaining({ impossible_travel: expect.objectContaining({ ip: '203.0.113.1' }) }));
  });

  it('finds every user again after the table grows, and exports them in first-seen order', () => {
    const engine = new DetectionEngine();
    const emails = Array.from({ length: 3000 }, (_, i) => `u${(i * 7919) % 3000}@example.com`);
    run(engine, emails.map((user, i) => ({ at: i / 100, user, place: 'newYork' as const, ip: '198.51.100.1' })));
    run(engine, emails.map((user, i) => ({ at: 60 + i / 100, user: user.toUpperCase(), place: 'newYork' as const, ip: '198.51.100.1' })));
    expect(users(engine)).toEqual(emails);
    for (const e of emails) expect(engine.userState(e)).not.toBeNull();
    expect(engine.userState('nobody@example.com')).toBeNull();
  });

  it('forgets users untouched for the lookback; a returning user is new and comes last', () => {
    const engine = new DetectionEngine({ config: { lookbackDays: 2 } });
    run(engine, [{ at: 0, user: 'old@example.com' }, { at: 1, user: 'kept@example.com' }]);
    run(engine, [{ at: 2 * D, user: 'kept@example.com' }, { at: 3 * D, user: 'kept@example.com' }]);
    expect(users(engine)).toEqual(['kept@example.com']);
    expect(engine.userState('old@example.com')).toBeNull();
    run(engine, [{ at: 3 * D + 1, user: 'old@example.com' }, { at: 3 * D + 2, user: 'kept@example.com' }]);
    expect(users(engine)).toEqual(['kept@example.com', 'old@example.com']);
  });

  it("moves a kept user's record when others are forgotten: its state stays its own", () => {
    const engine = new DetectionEngine({ config: { lookbackDays: 2 } });
    run(engine, [
      { at: 0, user: 'old@example.com', place: 'london', ip: '203.0.113.1' },
      { at: 1, user: 'kept@example.com', place: 'tokyo', ip: '203.0.113.2' },
    ]);
    const before = engine.userState('kept@example.com');
    run(engine, [{ at: 2 * D + 0.5, user: 'new@example.com', place: 'newYork', ip: '198.51.100.1' }]);
    expect(users(engine)).toEqual(['kept@example.com', 'new@example.com']);
    expect(engine.userState('kept@example.com')).toEqual(before);
  });

  it('a detection with per-user state registered after users were seen gets its slot; earlier state is kept', () => {
    const counter: Detection = {
      id: 'counter',
      title: 'Counter',
      defaultSeverity: 'low',
      mitreTactic: null,
      learns: false,
      userState: true,
      evaluate: (_a, ctx) => {
        const slots = ctx.userSlots!;
        const i = ctx.userBase + counter.slot!;
        slots[i] = ((slots[i] as number | undefined) ?? 0) + 1;
        return NO_ALERTS;
      },
    };
    const engine = new DetectionEngine();
    run(engine, [
      { at: 0, user: 'a@example.com', place: 'london', ip: '203.0.113.1' },
      { at: 1, user: 'b@example.com', place: 'tokyo', ip: '203.0.113.2' },
    ]);
    const a = engine.userState('a@example.com');
    const b = engine.userState('b@example.com');
    engine.register(counter);
    run(engine, [{ at: 2, user: 'b@example.com', category: 'content', action: 'post.create' }, { at: 3, user: 'c@example.com' }, { at: 4, user: 'b@example.com', category: 'content', action: 'post.create' }]);
    expect(engine.userState('a@example.com')).toEqual(a);
    expect(engine.userState('b@example.com')).toEqual({ ...b, counter: 2 });
    expect(engine.userState('c@example.com')).toMatchObject({ counter: 1 });
  });

  it('an imported state that lists a user twice keeps the later entry in the first place, as a Map would', () => {
    const engine = new DetectionEngine();
    run(engine, [{ at: 0, user: 'a@example.com' }, { at: 1, user: 'b@example.com' }]);
    const state = engine.exportState();
    const later: (typeof state.users)[number] = ['a@example.com', 'acme', state.users[0][2] + 60_000, {}];
    const restored = new DetectionEngine();
    restored.importState({ ...state, users: [...state.users, later] });
    expect(restored.exportState().users).toEqual([later, state.users[1]]);
  });

  it('counts a same-place sign-in on a later day in the exported baselines', () => {
    // Kept in the user's record on the hot path; the export must still show every day.
    const engine = new DetectionEngine();
    run(engine, daily(5));
    const slots = engine.userState('alice@example.com') as { impossible_travel: { loc: number[] }; infrequent_country: { c: number[] } };
    const day0 = Math.floor(Date.parse(CASE_START) / 86_400_000);
    expect(slots.impossible_travel.loc).toEqual([countryCode('US'), day0 + 4, 5]);
    expect(slots.infrequent_country.c).toEqual([countryCode('US') * 100_000 + day0 + 4]);
  });
});

describe('state export/import (serve restarts keep learning and baselines)', () => {
  it('a restored engine is out of learning and remembers baselines', () => {
    const first = new DetectionEngine();
    run(first, daily(10));
    const saved = JSON.parse(JSON.stringify(first.exportState()));
    const restored = new DetectionEngine();
    restored.importState(saved);
    // Learning is over (started 10 days ago) and the US baseline is known: a new country alerts, the US does not.
    expect(run(restored, [{ at: 10 * D, place: 'chicago', ip: '198.51.100.2' }])).toEqual([]);
    const alerts = run(restored, [{ at: 10 * D + 60, place: 'moscow', ip: '203.0.113.66' }]);
    expect(alerts.map((a) => a.detection)).toContain('infrequent_country');
    // Without the state, the same activity is the tenant's first: learning, no alert.
    expect(run(new DetectionEngine(), [{ at: 10 * D + 60, place: 'moscow', ip: '203.0.113.66' }])).toEqual([]);
  });

  it('open alerts survive a restart, so dedup continues', () => {
    const first = new DetectionEngine();
    const [a1] = run(first, [{ at: 0, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor' }]);
    const restored = new DetectionEngine();
    restored.importState(JSON.parse(JSON.stringify(first.exportState())));
    const [a2] = run(restored, [{ at: 5, place: 'berlin', ip: '185.220.101.1', ipCategory: 'tor' }]);
    expect(a2.id).toBe(a1.id);
    expect(a2.count).toBe(2);
  });

  it('rejects malformed state with RAMPART_ERR_DETECT_STATE_INVALID', () => {
    const engine = new DetectionEngine();
    for (const bad of [null, { version: 2 }, { version: 1, tenants: [], openAlerts: [], detections: { impossible_travel: { users: 5 } } }]) {
      try {
        engine.importState(bad);
        expect.unreachable();
      } catch (err) {
        expect(isRampartError(err) && err.code).toBe('RAMPART_ERR_DETECT_STATE_INVALID');
      }
    }
  });
});

describe('extra detections (activity policies plug in as Detections)', () => {
  const mass: Detection = {
    id: 'policy:mass-download',
    title: 'Mass download',
    defaultSeverity: 'low',
    mitreTactic: 'exfiltration',
    learns: false,
    evaluate: (a: Activity) => (a.action === 'file.download' ? [{ title: 'Download', activityIds: [a.id], evidence: ['download'], details: {} }] : NO_ALERTS),
  };
  it('runs registered detections with the engine scope and dedup', () => {
    const engine = new DetectionEngine({ builtins: false });
    engine.register(mass, { excludeUsers: ['bot@example.com'], cooldownSecs: 60 });
    expect(engine.detections.map((d) => d.id)).toEqual(['policy:mass-download']);
    expect(mass.slot).toBeUndefined(); // stateless: no room in every user's record, however many policies
    const alerts = run(engine, [
      { at: 0, action: 'file.download', category: 'file' },
      { at: 0.5, action: 'file.download', category: 'file' },
      { at: 0.6, user: 'bot@example.com', action: 'file.download', category: 'file' },
    ]);
    expect(alerts.map((a) => [a.detection, a.count])).toEqual([
      ['policy:mass-download', 1],
      ['policy:mass-download', 2],
    ]);
  });
  it('gives every detection the fields of the activity it evaluates (ctx.fields)', () => {
    const seen: unknown[] = [];
    const probe: Detection = {
      ...mass,
      id: 'probe',
      evaluate: (a, ctx) => {
        const f = ctx.fields;
        seen.push([f.id === a.id, f.outcome === a.outcome, f.category === a.category, f.geo === a.geo, f.ipTags === a.ipTags, f.ip]);
        return NO_ALERTS;
      },
    };
    const engine = new DetectionEngine({ builtins: false });
    engine.register(probe);
    run(engine, [
      { at: 0, ip: '10.1.2.3' },
      { at: 1, ip: '10.1.2.03', outcome: 'failure', category: 'file' },
      { at: 4, ip: null, user: null, userId: '7' },
    ]);
    const same = [true, true, true, true, true];
    expect(seen).toEqual([
      [...same, '10.1.2.3'],
      [...same, '10.1.2.03'],
      [...same, null],
    ]);
  });
  it('reads an IPv4 address as two 16-bit halves only when it is canonical (canonicalIpv4Lo)', () => {
    const halves = (ip: string | null) => {
      const lo = canonicalIpv4Lo(ip);
      return lo < 0 ? [-1, -1] : [lastIpv4Hi(), lo];
    };
    expect(halves('10.1.2.3')).toEqual([10 * 256 + 1, 2 * 256 + 3]);
    expect(halves('255.255.255.255')).toEqual([65535, 65535]);
    expect(halves('0.0.0.0')).toEqual([0, 0]);
    for (const ip of ['10.1.2.03', '2001:db8::1', '10.1.2.256', '10.1.2', '10.1.2.3.4', '10..2.3', ' 10.1.2.3', '1.2.3.4 ', null]) {
      expect(halves(ip), String(ip)).toEqual([-1, -1]);
    }
  });
  it('refuses a duplicate id', () => {
    const engine = new DetectionEngine();
    expect(() => engine.register({ ...mass, id: 'impossible_travel' })).toThrow(/already registered/);
  });
});

describe('config', () => {
  it('defaults every detection, with learningDays/lookbackDays at the top level', () => {
    const cfg = DetectionsConfigSchema.parse(undefined);
    expect(cfg.learningDays).toBe(7);
    expect(cfg.lookbackDays).toBe(30);
    expect(cfg.impossible_travel).toMatchObject({ enabled: true, minDistanceKm: 500, maxSpeedKmh: 900, sensitivity: 'medium' });
    expect(cfg.failed_logins.windowSecs).toBe(900);
    expect(cfg.infrequent_country.scope).toBe('user');
    expect(cfg.anonymous_ip.orgShareSuppression).toBe(0.1);
  });
  it('is strict: unknown detections and misspelt keys are rejected, in the whole config too', () => {
    expect(DetectionsConfigSchema.safeParse({ impossible_travle: {} }).success).toBe(false);
    expect(DetectionsConfigSchema.safeParse({ impossible_travel: { maxSpeed: 1 } }).success).toBe(false);
    expect(DetectionsConfigSchema.safeParse({ impossible_travel: { sensitivity: 'extreme' } }).success).toBe(false);
    expect(ConfigSchema.safeParse({ detections: { failed_logins: { windowSecs: 600 } } }).success).toBe(true);
  });
});
