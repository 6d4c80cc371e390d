import { standaloneContext } from '../../src/detect/testing.ts';
import { describe, expect, it } from 'vitest';
import { PolicySet, type AutoDisableRecord } from '../../src/detect/policy/compile.ts';
import type { PolicyInput } from '../../src/detect/policy/schema.ts';
import { isRampartError } from '../../src/core/errors.ts';
import { act } from './helpers.ts';

const download = (sec: number, over: Parameters<typeof act>[0] = {}) =>
  act({ action: 'FILE_DOWNLOAD', category: 'file', at: sec, objects: [{ type: 'file', id: `f${sec}`, name: null }], ...over });

const repeated = (extra: Partial<Extract<PolicyInput['actOn'], { mode: 'repeated' }>> = {}): PolicyInput => ({
  name: 'burst',
  filters: [{ field: 'action', op: 'eq', value: 'FILE_DOWNLOAD' }],
  actOn: { mode: 'repeated', minCount: 5, windowSecs: 60, ...extra },
});

const run = (set: PolicySet, acts: ReturnType<typeof act>[]) => acts.flatMap((a) => set.evaluate(a));

describe('single activity', () => {
  it('raises one alert per matching activity, with detection policy:<name> and evidence', () => {
    const set = new PolicySet([{ name: 'fr-admin', severity: 'high', filters: [{ field: 'geo.country', op: 'eq', value: 'FR' }, { field: 'isAdminActivity', op: 'eq', value: true }] }]);
    const yes = act({ geo: { country: 'FR', city: null, lat: null, lon: null }, isAdminActivity: true, ip: '192.0.2.1' });
    const no = act({ geo: { country: 'FR', city: null, lat: null, lon: null }, isAdminActivity: false });
    const hits = run(set, [yes, no]);
    expect(hits).toHaveLength(1);
    expect(hits[0].policy.detectionId).toBe('policy:fr-admin');
    expect(hits[0].draft.severity).toBe('high');
    expect(hits[0].draft.activityIds).toEqual([yes.id]);
    expect(hits[0].draft.ips).toEqual(['192.0.2.1']);
    expect(hits[0].draft.evidence.join('\n')).toMatch(/geo.country equals "FR" \(was FR\)/);
    expect(set.stats('fr-admin')).toMatchObject({ matches: 1, alerts: 1 });
  });

  it('disabled policies are left out unless asked for; alerts.create false counts matches only', () => {
    const off = new PolicySet([{ name: 'p', enabled: false, filters: [] }]);
    expect(off.policies).toHaveLength(0);
    expect(new PolicySet([{ name: 'p', enabled: false, filters: [] }], { includeDisabled: true }).policies).toHaveLength(1);
    const quiet = new PolicySet([{ name: 'q', filters: [], alerts: { create: false } }]);
    expect(run(quiet, [act(), act()])).toHaveLength(0);
    expect(quiet.stats('q')!.matches).toBe(2);
  });

  it('rejects duplicate names and invalid policies with RAMPART_ERR_POLICY_INVALID', () => {
    const attempt = (ps: PolicyInput[]) => {
      try {
        new PolicySet(ps);
      } catch (e) {
        return e;
      }
      return null;
    };
    const dup = attempt([{ name: 'a' }, { name: 'a' }]);
    expect(isRampartError(dup) && dup.code).toBe('RAMPART_ERR_POLICY_INVALID');
    const bad = attempt([{ name: 'b', filters: [{ field: 'ip', op: 'cidr', value: 'x' }] }]);
    expect(isRampartError(bad) && bad.message).toMatch(/policy b is invalid: filters\.0\.value/);
  });
});

describe('repeated activity', () => {
  it('fires when minCount matches by one user fall within the window, then stays quiet for one window', () => {
    const set = new PolicySet([repeated()]);
    const hits = run(set, [0, 10, 20, 30].map((s) => download(s)));
    expect(hits).toHaveLength(0);
    const fifth = download(40);
    const h = set.evaluate(fifth);
    expect(h).toHaveLength(1);
    expect(h[0].draft.activityIds).toHaveLength(5);
    expect(h[0].draft.details).toMatchObject({ count: 5, user: 'alice@example.com', firstSeen: '2026-03-02T10:00:00.000Z' });
    // cool-down: the next matches within 60 s of the alert are suppressed, not counted
    expect(run(set, [41, 50, 60, 70, 99].map((s) => download(s)))).toHaveLength(0);
    expect(set.stats('burst')!.suppressedByWindow).toBe(5);
    // after the window, counting restarts from zero
    expect(run(set, [100, 101, 102, 103].map((s) => download(s)))).toHaveLength(0);
    expect(run(set, [download(104)])).toHaveLength(1);
  });

  it('slides: matches older than the window no longer count', () => {
    const set = new PolicySet([repeated()]);
    // 4 early, then 4 more 61 s later: never 5 within 60 s
    expect(run(set, [0, 1, 2, 3, 62, 63, 64, 65].map((s) => download(s)))).toHaveLength(0);
    // one more within the window of the last four
    expect(run(set, [download(66)])).toHaveLength(1);
  });

  it('counts per user', () => {
    const set = new PolicySet([repeated()]);
    const bob = { id: 'u2', email: 'bob@example.com', name: null };
    const acts = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => download(s, s % 2 ? { actor: bob } : {}));
    expect(run(set, acts)).toHaveLength(0); // 4 each
    const hits = run(set, [download(8), download(9, { actor: bob })]);
    expect(hits.map((h) => h.user)).toEqual(['alice@example.com', 'bob@example.com']);
  });

  it('skips activities without a user', () => {
    const set = new PolicySet([repeated({ minCount: 2 })]);
    const nobody = { id: null, email: null, name: null };
    expect(run(set, [download(0, { actor: nobody }), download(1, { actor: nobody })])).toHaveLength(0);
    expect(set.stats('burst')!.skippedNoUser).toBe(2);
  });

  it('uniqueTargets: repeats on the same object by the same user count once', () => {
    const set = new PolicySet([repeated({ minCount: 3, uniqueTargets: true })]);
    const same = (s: number) => download(s, { objects: [{ type: 'file', id: 'same', name: null }] });
    expect(run(set, [same(0), same(1), same(2), same(3)])).toHaveLength(0);
    expect(run(set, [download(4)])).toHaveLength(0); // 2 distinct
    const h = run(set, [download(5)]);
    expect(h).toHaveLength(1);
    expect(h[0].draft.details.count).toBe(3);
    expect(h[0].draft.title).toMatch(/3 distinct objects/);
    // without uniqueTargets the same sequence fires at the 3rd activity
    const plain = new PolicySet([repeated({ minCount: 3 })]);
    expect(run(plain, [same(0), same(1), same(2)])).toHaveLength(1);
  });

  it('uniqueTargets: a target that left the window can count again', () => {
    const set = new PolicySet([repeated({ minCount: 2, uniqueTargets: true, windowSecs: 10 })]);
    const on = (s: number, id: string) => download(s, { objects: [{ type: 'file', id, name: null }] });
    expect(run(set, [on(0, 'x'), on(5, 'x'), on(11, 'x')])).toHaveLength(0);
    expect(run(set, [on(12, 'y')])).toHaveLength(1);
  });

  it('out of order (a late batch in serve): only matches within one real window count', () => {
    const set = new PolicySet([repeated()]);
    // 3 at 0-2 s, 3 at 200-202 s, then 3 late at 100-102 s: never 5 within 60 s (the span 100-202 s is no window)
    expect(run(set, [0, 1, 2, 200, 201, 202, 100, 101, 102].map((s) => download(s)))).toHaveLength(0);
    // a late match that completes a real window alerts, with that window's bounds
    expect(run(set, [download(99)])).toHaveLength(0); // 99-102 s: 4
    const h = run(set, [download(98)]);
    expect(h).toHaveLength(1);
    expect(h[0].draft.details).toMatchObject({ count: 5, activities: 5, firstSeen: '2026-03-02T10:01:38.000Z', lastSeen: '2026-03-02T10:01:42.000Z' });
    expect(h[0].draft.evidence[0]).toMatch(/between 2026-03-02T10:01:38.000Z and 2026-03-02T10:01:42.000Z/);
  });

  it('uniqueTargets out of order: distinct objects are counted within one real window', () => {
    const set = new PolicySet([repeated({ minCount: 3, uniqueTargets: true, windowSecs: 10 })]);
    const on = (s: number, id: string) => download(s, { objects: [{ type: 'file', id, name: null }] });
    // b at 5 s, e at 14 s, then c late at 3 s: c shares a 10 s window with b, not with e (11 s apart)
    expect(run(set, [on(5, 'b'), on(14, 'e'), on(3, 'c')])).toHaveLength(0);
    const h = run(set, [on(4, 'd')]); // c, d, b within 3-5 s
    expect(h).toHaveLength(1);
    expect(h[0].draft.details).toMatchObject({ count: 3, firstSeen: '2026-03-02T10:00:03.000Z', lastSeen: '2026-03-02T10:00:05.000Z' });
  });

  it('singleApp: only repeats within the same app count together', () => {
    const mixed = [0, 1, 2, 3, 4, 5].map((s) => download(s, { app: s % 2 ? 'workplace' : 'box' }));
    const perApp = new PolicySet([repeated({ minCount: 4, singleApp: true })]);
    expect(run(perApp, mixed)).toHaveLength(0);
    const h = run(perApp, [download(6, { app: 'box' })]);
    expect(h).toHaveLength(1);
    expect(h[0].draft.details.app).toBe('box');
    const anyApp = new PolicySet([repeated({ minCount: 4 })]);
    expect(run(anyApp, mixed)).toHaveLength(1);
  });
});

describe('daily alert limit', () => {
  it('raises at most dailyLimit alerts per policy per UTC day, counting the rest', () => {
    const set = new PolicySet([{ name: 'capped', filters: [{ field: 'action', op: 'eq', value: 'USER_LOGIN' }], alerts: { dailyLimit: 3 } }]);
    const day1 = [0, 1, 2, 3, 4].map((i) => act({ at: `2026-03-02T23:59:5${i}.000Z` }));
    expect(run(set, day1)).toHaveLength(3);
    expect(set.stats('capped')).toMatchObject({ matches: 5, alerts: 3, suppressedByDailyLimit: 2 });
    // midnight UTC resets the count
    const day2 = [0, 1, 2, 3].map((i) => act({ at: `2026-03-03T00:00:0${i}.000Z` }));
    expect(run(set, day2)).toHaveLength(3);
  });
});

describe('automatic disable', () => {
  it('disables a policy above the per-day threshold and records why', () => {
    const records: AutoDisableRecord[] = [];
    const set = new PolicySet([{ name: 'noisy', filters: [] }, { name: 'calm', filters: [{ field: 'outcome', op: 'eq', value: 'failure' }] }], {
      autoDisable: { maxMatchesPerDay: 10, maxMatchesPer3Hours: 1000 },
      onAutoDisable: (r) => records.push(r),
      now: () => new Date('2026-03-05T00:00:00Z'),
    });
    // 11 matches spread over 20 hours of one day: only the daily threshold is crossed
    const acts = Array.from({ length: 11 }, (_, i) => act({ at: i * 7200 - 36_000 }));
    const hits = run(set, acts);
    expect(hits).toHaveLength(10);
    expect(records).toEqual([
      {
        policy: 'noisy',
        reason: 'matches_per_day',
        count: 11,
        threshold: 10,
        at: acts[10].time,
        recordedAt: '2026-03-05T00:00:00.000Z',
        message: expect.stringMatching(/matched 11 activities on 2026-03-02 \(limit 10 per day\)/),
      },
    ]);
    expect(set.autoDisabled()).toEqual(records);
    expect(set.disabledRecord('noisy')).toEqual(records[0]);
    expect(set.disabledRecord('calm')).toBeNull();
    // disabled: no further matches or alerts, and the other policy is unaffected
    expect(run(set, [act({ at: 80_000 })])).toHaveLength(0);
    expect(set.match(act({ at: 80_001, outcome: 'failure' })).map((p) => p.policy.name)).toEqual(['calm']);
    expect(set.reEnable('noisy')).toBe(true);
    expect(run(set, [act({ at: 80_002 })])).toHaveLength(1);
  });

  it('disables above the per-3-hours threshold (sliding), not below it', () => {
    const records: AutoDisableRecord[] = [];
    const make = () => new PolicySet([{ name: 'burst', filters: [] }], { autoDisable: { maxMatchesPerDay: 1_000, maxMatchesPer3Hours: 5 }, onAutoDisable: (r) => records.push(r) });
    // 5 matches every 3 hours and 1 minute: never more than 5 within 3 hours
    const spread = make();
    run(spread, Array.from({ length: 15 }, (_, i) => act({ at: Math.floor(i / 5) * 10_860 + (i % 5) })));
    expect(records).toHaveLength(0);
    // 6 within 2 hours
    const dense = make();
    run(dense, Array.from({ length: 6 }, (_, i) => act({ at: i * 1200 })));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ policy: 'burst', reason: 'matches_per_3_hours', count: 6, threshold: 5 });
  });
});

describe('index by app and action', () => {
  it('gives the same matches as checking every policy, for many policies', () => {
    const apps = ['workplace', 'box', 'slack'];
    const actions = ['USER_LOGIN', 'FILE_DOWNLOAD', 'ADMIN_ROLE_CHANGED', 'FILE_UPLOAD'];
    const policies: PolicyInput[] = [];
    for (let i = 0; i < 300; i++) {
      const filters: PolicyInput['filters'] = [];
      if (i % 3 === 0) filters.push({ field: 'app', op: 'eq', value: apps[i % apps.length] });
      if (i % 4 !== 3) filters.push({ field: 'action', op: i % 5 === 0 ? 'in' : 'eq', value: i % 5 === 0 ? [actions[i % 4], actions[(i + 1) % 4]] : actions[i % 4] });
      if (i % 7 === 0) filters.push({ field: 'action', op: 'contains', value: 'file' });
      if (i % 2 === 0) filters.push({ field: 'outcome', op: 'eq', value: i % 4 === 0 ? 'success' : 'failure' });
      policies.push({ name: `p${i}`, filters });
    }
    const indexed = new PolicySet(policies);
    const brute = indexed.policies;
    let total = 0;
    for (const app of apps)
      for (const action of [...actions, 'file_download', 'OTHER'])
        for (const outcome of ['success', 'failure'] as const) {
          const a = act({ app, action, outcome });
          const expected = brute.filter((p) => p.filter.test(a)).map((p) => p.policy.name);
          const got = indexed.match(a).map((p) => p.policy.name);
          expect(got).toEqual(expected);
          total += got.length;
        }
    expect(total).toBeGreaterThan(100);
  });
});

describe('index by words of the action (contains)', () => {
  it('files unquoted action-contains policies under words and still matches exactly like brute force', () => {
    const policies: PolicyInput[] = [
      { name: 'w-download', filters: [{ field: 'action', op: 'contains', value: 'download' }] },
      { name: 'w-multi', filters: [{ field: 'action', op: 'contains', value: ['file download', 'export'] }] },
      { name: 'w-quoted', filters: [{ field: 'action', op: 'contains', value: '"FILE_DOWNLOAD"' }] },
      { name: 'w-not', filters: [{ field: 'action', op: 'contains', value: 'login', not: true }] },
      { name: 'w-app', filters: [{ field: 'app', op: 'eq', value: 'box' }, { field: 'action', op: 'contains', value: 'download' }] },
      { name: 'w-both', filters: [{ field: 'action', op: 'contains', value: ['download', 'file'] }] },
    ];
    const set = new PolicySet(policies);
    expect(set.get('w-download')!.actionWords).toEqual(['download']);
    expect(set.get('w-multi')!.actionWords).toEqual(['file', 'export']);
    expect(set.get('w-quoted')!.actionWords).toBeNull();
    expect(set.get('w-not')!.actionWords).toBeNull();
    let matched = 0;
    for (const app of ['box', 'workplace'])
      for (const action of ['FILE_DOWNLOAD', 'file.download.all', 'DOWNLOAD_FILE', 'EXPORT', 'USER_LOGIN', 'DOWNLOADS', 'file export download']) {
        const a = act({ app, action });
        const expected = set.policies.filter((p) => p.filter.test(a)).map((p) => p.policy.name);
        const got = set.match(a).map((p) => p.policy.name);
        expect(got, `${app} ${action}`).toEqual(expected);
        matched += got.length;
      }
    expect(matched).toBeGreaterThan(20);
  });
});

describe('as detections for the engine', () => {
  it('exposes one Detection per policy; each returns its own alerts and the set evaluates once per activity', () => {
    const set = new PolicySet([
      { name: 'logins', filters: [{ field: 'category', op: 'eq', value: 'login' }] },
      { name: 'failures', severity: 'high', mitreTactic: 'credential_access', filters: [{ field: 'outcome', op: 'eq', value: 'failure' }] },
    ]);
    const dets = set.detections();
    expect(dets.map((d) => [d.id, d.defaultSeverity, d.mitreTactic, d.learns])).toEqual([
      ['policy:logins', 'medium', null, false],
      ['policy:failures', 'high', 'credential_access', false],
    ]);
    const ctx = standaloneContext();
    const a = act({ category: 'login', outcome: 'failure' });
    expect(dets[0].evaluate(a, ctx)).toHaveLength(1);
    expect(dets[1].evaluate(a, ctx)).toHaveLength(1);
    expect(set.stats('logins')!.matches).toBe(1); // evaluated once, not once per detection
    const b = act({ category: 'login', outcome: 'success' });
    expect(dets.map((d) => d.evaluate(b, ctx).length)).toEqual([1, 0]);
  });
});

describe('state export and import (restart)', () => {
  it('a restart in the middle of a burst and a capped day changes nothing', () => {
    const policies: PolicyInput[] = [
      repeated({ minCount: 5, uniqueTargets: true }),
      { name: 'capped', filters: [{ field: 'action', op: 'eq', value: 'FILE_DOWNLOAD' }], alerts: { dailyLimit: 3 } },
    ];
    const acts = [0, 5, 6, 7, 10, 11, 12, 13, 14, 80, 81, 82, 83, 84, 85].map((s, i) => download(s, { objects: [{ type: 'file', id: `f${i % 6}`, name: null }] }));
    const ctx = standaloneContext();
    const runDetections = (set: PolicySet, xs: typeof acts) => xs.flatMap((a) => set.detections().flatMap((d) => d.evaluate(a, ctx).map((x) => `${d.id}:${x.activityIds.join(',')}`)));
    const whole = runDetections(new PolicySet(policies), acts);
    expect(whole.length).toBeGreaterThan(3);
    const first = new PolicySet(policies);
    const before = runDetections(first, acts.slice(0, 6));
    const saved = JSON.parse(JSON.stringify(first.detections().map((d) => [d.id, d.exportState!()])));
    const second = new PolicySet(policies);
    for (const [id, state] of saved) second.detections().find((d) => d.id === id)!.importState!(state);
    const after = runDetections(second, acts.slice(6));
    expect([...before, ...after]).toEqual(whole);
    // without the import, the daily limit and the window would start afresh
    const fresh = runDetections(new PolicySet(policies), acts.slice(6));
    expect([...before, ...fresh]).not.toEqual(whole);
  });

  it('drops windows when the policy changed, keeps the counters', () => {
    const a = new PolicySet([repeated({ minCount: 3 })]);
    [0, 1].forEach((s) => a.evaluate(download(s)));
    const snap = JSON.parse(JSON.stringify(a.exportState('burst')));
    const changed = new PolicySet([repeated({ minCount: 3, windowSecs: 120 })]);
    expect(changed.importState('burst', snap)).toBe(true);
    expect(changed.stats('burst')!.matches).toBe(2);
    expect(changed.evaluate(download(2))).toHaveLength(0); // the two earlier matches were not carried over
    const same = new PolicySet([repeated({ minCount: 3 })]);
    same.importState('burst', snap);
    expect(same.evaluate(download(2))).toHaveLength(1);
    expect(same.importState('burst', { v: 2 })).toBe(false);
  });
});
