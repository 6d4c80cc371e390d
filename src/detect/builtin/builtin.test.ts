/**
 * Runs every detection's cases (builtin/<id>.cases.ts, kept as data beside each detection) through a fresh
 * engine: each step must raise exactly the expected alerts of that detection (none when `expect` is omitted).
 */
import { describe, expect, it } from 'vitest';
import type { Alert } from '../../schema/alert.ts';
import { DetectionEngine } from '../engine.ts';
import { makeActivity, makeDirectoryUser, type DetectionCase, type ExpectedAlert } from '../testing.ts';
import { BUILTIN_DETECTION_IDS } from './index.ts';
import { cases as impossibleTravel } from './impossible_travel.cases.ts';
import { cases as infrequentCountry } from './infrequent_country.cases.ts';
import { cases as anonymousIp } from './anonymous_ip.cases.ts';
import { cases as suspiciousIp } from './suspicious_ip.cases.ts';
import { cases as terminatedUser } from './terminated_user.cases.ts';
import { cases as failedLogins } from './failed_logins.cases.ts';
import { cases as unusualAdmin } from './unusual_admin.cases.ts';
import { cases as unusualImpersonation } from './unusual_impersonation.cases.ts';

export const CASES: Record<(typeof BUILTIN_DETECTION_IDS)[number], DetectionCase[]> = {
  impossible_travel: impossibleTravel,
  infrequent_country: infrequentCountry,
  anonymous_ip: anonymousIp,
  suspicious_ip: suspiciousIp,
  terminated_user: terminatedUser,
  failed_logins: failedLogins,
  unusual_admin: unusualAdmin,
  unusual_impersonation: unusualImpersonation,
};

/** `actual` contains `expected` (objects: the listed keys; arrays: same length, element-wise). */
function partialMatch(actual: unknown, expected: unknown, path = ''): string | null {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return `${path}: expected an array, got ${JSON.stringify(actual)}`;
    if (actual.length !== expected.length) return `${path}: expected ${expected.length} items, got ${JSON.stringify(actual)}`;
    for (let i = 0; i < expected.length; i++) {
      const e = partialMatch(actual[i], expected[i], `${path}[${i}]`);
      if (e) return e;
    }
    return null;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object') return `${path}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, v] of Object.entries(expected)) {
      const e = partialMatch((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
      if (e) return e;
    }
    return null;
  }
  return Object.is(actual, expected) ? null : `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

function checkAlert(alert: Alert, exp: ExpectedAlert): string | null {
  if (exp.severity && alert.severity !== exp.severity) return `severity ${alert.severity}, expected ${exp.severity}`;
  if (exp.title && !alert.title.includes(exp.title)) return `title "${alert.title}" lacks "${exp.title}"`;
  if (exp.user !== undefined && alert.user !== exp.user) return `user ${alert.user}, expected ${exp.user}`;
  if (exp.count !== undefined && alert.count !== exp.count) return `count ${alert.count}, expected ${exp.count}`;
  if (exp.details) {
    const e = partialMatch(alert.details, exp.details, 'details');
    if (e) return e;
  }
  for (const ev of exp.evidence ?? []) if (!alert.evidence.some((line) => line.includes(ev))) return `no evidence line contains "${ev}": ${JSON.stringify(alert.evidence)}`;
  return null;
}

/** Runs one case; returns every alert of the case's detection (for docs and other tests). */
export function runCase(id: string, c: DetectionCase): Alert[] {
  const engine = new DetectionEngine({ config: { learningDays: 0, ...c.config }, clock: () => Date.parse('2026-03-30T00:00:00Z') });
  if (c.directory) engine.setDirectory(c.directory.map(makeDirectoryUser));
  const all: Alert[] = [];
  c.steps.forEach((step, i) => {
    const alerts = engine.process(makeActivity(step)).filter((a) => a.detection === id);
    all.push(...alerts);
    const exp = step.expect ?? [];
    const where = `step ${i} (${typeof step.at === 'number' ? `+${step.at} min` : step.at})`;
    expect(alerts.length, `${where}: ${alerts.length} alerts, expected ${exp.length}: ${JSON.stringify(alerts.map((a) => a.title))}`).toBe(exp.length);
    exp.forEach((e, j) => {
      const err = checkAlert(alerts[j], e);
      expect(err, `${where}, alert ${j}: ${err}\n${JSON.stringify(alerts[j], null, 1)}`).toBeNull();
    });
  });
  return all;
}

describe.each(BUILTIN_DETECTION_IDS.map((id) => [id]))('%s cases', (id) => {
  const cases = CASES[id];
  it('has alert and no-alert cases', () => {
    expect(cases.some((c) => c.steps.some((s) => s.expect?.length))).toBe(true);
    expect(cases.some((c) => c.steps.every((s) => !s.expect?.length))).toBe(true);
  });
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    runCase(id, c);
  });
});
