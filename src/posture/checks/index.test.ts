// The registry: unique ids and ranks, complete metadata, and a test file beside every check.
import { existsSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, CONTROL_CATEGORIES, COSTS, THREATS, TIERS } from '../check.ts';
import { ALL_CHECKS, CHECKS_BY_APP, findCheck } from './index.ts';

describe('posture check registry', () => {
  it('has unique ids of the form <app>.<name> and unique ranks per app', () => {
    expect(new Set(ALL_CHECKS.map((c) => c.id)).size).toBe(ALL_CHECKS.length);
    for (const [app, checks] of Object.entries(CHECKS_BY_APP)) {
      expect(new Set(checks.map((c) => c.rank)).size).toBe(checks.length);
      for (const c of checks) {
        expect(c.id).toMatch(new RegExp(`^${app}\\.[a-z0-9_]+$`));
        expect(c.app).toBe(app);
      }
    }
    expect(findCheck('workplace.adopt_sso')?.title).toBe('Adopt SSO (Single sign on) in Workplace by Meta');
  });

  it('gives every check the Graph control profile fields', () => {
    for (const c of ALL_CHECKS) {
      expect(c.maxScore).toBeGreaterThan(0);
      expect(CONTROL_CATEGORIES).toContain(c.category);
      expect(ACTION_TYPES).toContain(c.actionType);
      expect(TIERS).toContain(c.tier);
      expect(COSTS).toContain(c.implementationCost);
      expect(COSTS).toContain(c.userImpact);
      expect(c.threats.length).toBeGreaterThan(0);
      for (const t of c.threats) expect(THREATS).toContain(t);
      expect(c.remediation.length).toBeGreaterThan(20);
      expect(c.observes.length).toBeGreaterThan(10);
    }
  });

  it('has a test file beside every check file', () => {
    const dir = new URL('./workplace/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts');
    expect(files.length).toBe(CHECKS_BY_APP.workplace.length);
    for (const f of files) expect(existsSync(new URL(f.replace(/\.ts$/, '.test.ts'), dir)), f).toBe(true);
  });
});
