/**
 * @module detect/policy/lint
 * Warnings about policies that are valid but probably not what their author meant. The main one is the
 * documented MDCA quirk: "does not equal" (and NOT) matches events where the attribute is missing, and the
 * docs recommend an "is set" companion condition.
 */
import { OPERATORS } from './operators.ts';
import type { FilterCondition } from './filters.ts';
import type { Policy } from './schema.ts';
import type { FilterEnv } from './fields.ts';

export interface LintWarning {
  /** Path inside the policy object, e.g. ['filters', 2]. */
  path: (string | number)[];
  message: string;
}

const roleOf = (f: FilterCondition): string => f.as ?? 'actor';

/** True when the condition, as written, lets events without the attribute through. */
const matchesMissingImplicitly = (f: FilterCondition): boolean => {
  if (f.missing !== undefined) return false; // the author decided explicitly
  const natural = OPERATORS[f.op].matchesMissing;
  const result = f.not ? !natural : natural;
  // is_not_set (and NOT is_set) exist precisely to match missing attributes.
  const intended = (f.op === 'is_not_set' && !f.not) || (f.op === 'is_set' && f.not);
  return result && !intended;
};

export function lintPolicy(p: Policy, env: FilterEnv = {}): LintWarning[] {
  const warnings: LintWarning[] = [];
  if (p.filters.length === 0) warnings.push({ path: ['filters'], message: 'the policy has no filters and matches every activity' });
  p.filters.forEach((f, i) => {
    if (matchesMissingImplicitly(f)) {
      const companion = p.filters.some((g) => g.field === f.field && roleOf(g) === roleOf(f) && g.op === 'is_set' && !g.not);
      if (!companion) {
        const how = f.not ? `NOT ${f.op}` : `"${OPERATORS[f.op].label}"`;
        warnings.push({
          path: ['filters', i],
          message: `${f.field} ${how} also matches events where ${f.field} is missing; add a { field: ${f.field}, op: is_set } condition, or set missing: match to keep this on purpose`,
        });
      }
    }
    if (f.field === 'user.external' && !env.orgDomains?.length) {
      warnings.push({ path: ['filters', i], message: 'user.external needs organization.domains in the config; without it the attribute is always missing' });
    }
    if (f.op === 'contains') {
      const values = Array.isArray(f.value) ? f.value : [f.value];
      values.forEach((v) => {
        const s = String(v);
        if (!s.startsWith('"') && /[/\-:;@()]/.test(s)) {
          warnings.push({
            path: ['filters', i, 'value'],
            message: `contains matches whole words split only at commas, dots, spaces and underscores; ${JSON.stringify(s)} must appear as one such word (use starts_with or regex for parts of a word)`,
          });
        }
      });
    }
  });
  return warnings;
}
