/**
 * @module detect/policy/filters
 * The filter language shared by activity policies and activity-log queries: a list of conditions, all of which
 * must hold ("activities matching all of the following"). Each condition names a field (fields.ts), an operator
 * (operators.ts), its values (several values = OR), and optionally `not`, `as` (user role) and `missing`.
 * `compileFilter` does all parsing once and returns a plain predicate.
 */
import { z } from 'zod';
import { CATEGORIES, OUTCOMES, type Activity, type Category, type Outcome } from '../../schema/activity.ts';
import type { ActivityKeys, ActivityQuery } from '../../store/store.ts';
import { FIELD_NAMES, FIELDS, USER_ROLES, type FieldName, type FilterEnv, type UserRole } from './fields.ts';
import { MAX_FILTER_VALUES, OPERATOR_NAMES, OPERATORS, OperatorValueError, type FieldValue, type OperatorName, type ValueTest } from './operators.ts';

const ScalarSchema = z.union([z.string().max(4096), z.number(), z.boolean()]);

export const FilterConditionSchema = z
  .object({
    field: z.enum(FIELD_NAMES),
    op: z.enum(OPERATOR_NAMES),
    /** One value or a list (OR). Omitted for is_set / is_not_set; two dates for between. */
    value: z.union([ScalarSchema, z.array(ScalarSchema).min(1).max(MAX_FILTER_VALUES)]).optional(),
    /** Negates the condition ("most filters support ... NOT"). */
    not: z.boolean().default(false),
    /** For user.* fields: whose attribute. Default actor. */
    as: z.enum(USER_ROLES).optional(),
    /**
     * Result when the attribute is missing on the event. Unset: the operator's own behaviour, so `neq` and
     * `not` MATCH a missing attribute (the documented MDCA quirk) and the others do not.
     */
    missing: z.enum(['match', 'no_match']).optional(),
  })
  .strict();

export const FiltersSchema = z.array(FilterConditionSchema).max(64);

export type FilterCondition = z.output<typeof FilterConditionSchema>;
export type FilterConditionInput = z.input<typeof FilterConditionSchema>;

/** A problem in one condition, with the path inside the condition list (for file:line:col). */
export interface FilterIssue {
  path: (string | number)[];
  message: string;
}

export class FilterCompileError extends Error {
  readonly issues: FilterIssue[];
  constructor(issues: FilterIssue[]) {
    super(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    this.issues = issues;
  }
}

export interface CompiledCondition {
  readonly field: FieldName;
  readonly op: OperatorName;
  readonly not: boolean;
  readonly role: UserRole;
  readonly values: readonly string[];
  readonly test: (a: Activity) => boolean;
  /** The attribute value this condition looked at, for evidence. */
  readonly read: (a: Activity) => FieldValue;
  readonly text: string;
}

export interface CompiledFilter {
  readonly conditions: readonly CompiledCondition[];
  /** True when the activity satisfies every condition. */
  readonly test: (a: Activity) => boolean;
  /** One line per condition with the value seen, e.g. `action equals "FILE_DOWNLOAD" (was FILE_DOWNLOAD)`. */
  explain(a: Activity): string[];
}

const valuesOf = (v: FilterCondition['value']): string[] =>
  v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => String(x));

const isMissing = (v: FieldValue): v is null => v === null || v === '' || (typeof v !== 'string' && v.length === 0);

function describe(c: { field: FieldName; op: OperatorName; not: boolean; role: UserRole; values: readonly string[] }): string {
  const spec = FIELDS[c.field] as { roles?: true };
  const who = spec.roles && c.role !== 'actor' ? ` (as ${c.role})` : '';
  const vals = c.values.length ? ` ${c.values.map((v) => JSON.stringify(v)).join(' or ')}` : '';
  return `${c.not ? 'NOT ' : ''}${c.field}${who} ${OPERATORS[c.op].label}${vals}`;
}

/** Validates one condition's field/operator/value combination and compiles it. Throws FilterCompileError. */
function compileCondition(raw: FilterCondition, index: number, env: FilterEnv): CompiledCondition {
  const at = (...p: (string | number)[]) => [index, ...p];
  const spec = FIELDS[raw.field];
  const operator = OPERATORS[raw.op];
  if (!operator.kinds.includes(spec.kind)) {
    const fits = OPERATOR_NAMES.filter((n) => OPERATORS[n].kinds.includes(spec.kind)).join(', ');
    throw new FilterCompileError([{ path: at('op'), message: `operator ${raw.op} does not apply to ${raw.field} (a ${spec.kind}); use one of: ${fits}` }]);
  }
  if (raw.as && !('roles' in spec)) throw new FilterCompileError([{ path: at('as'), message: `${raw.field} has no user role; "as" applies to user.* fields only` }]);
  const values = valuesOf(raw.value);
  if (operator.arity === 'none' && values.length) throw new FilterCompileError([{ path: at('value'), message: `${raw.op} takes no value` }]);
  if (operator.arity === 'some' && !values.length) throw new FilterCompileError([{ path: at('value'), message: `${raw.op} needs at least one value` }]);
  if (operator.arity === 'pair' && values.length !== 2) throw new FilterCompileError([{ path: at('value'), message: `${raw.op} needs exactly two values [from, to]` }]);
  let valueTest: ValueTest;
  try {
    valueTest = operator.compile(values, spec.kind);
  } catch (e) {
    if (e instanceof OperatorValueError) {
      const path = e.valueIndex !== undefined && Array.isArray(raw.value) ? at('value', e.valueIndex) : at('value');
      throw new FilterCompileError([{ path, message: e.message }]);
    }
    throw e;
  }
  const role: UserRole = raw.as ?? 'actor';
  const not = raw.not;
  // The result for a missing attribute is decided here, once: explicit `missing`, else the operator's rule
  // (neq / is_not_set match), flipped by NOT.
  const missingResult = raw.missing ? raw.missing === 'match' : not ? !operator.matchesMissing : operator.matchesMissing;
  const extract = spec.extract;
  const read = (a: Activity): FieldValue => extract(a, env, role);
  const test = (a: Activity): boolean => {
    const v = extract(a, env, role);
    if (isMissing(v)) return missingResult;
    return not ? !valueTest(v) : valueTest(v);
  };
  const cond = { field: raw.field, op: raw.op, not, role, values };
  return { ...cond, test, read, text: describe(cond) };
}

/**
 * Compiles a condition list (already parsed or raw objects) into one predicate. All issues are collected and
 * thrown together as FilterCompileError with paths like `[2, 'value', 0]`.
 */
export function compileFilter(filters: readonly (FilterCondition | FilterConditionInput)[], env: FilterEnv = {}): CompiledFilter {
  const parsed = FiltersSchema.safeParse(filters);
  if (!parsed.success) {
    throw new FilterCompileError(parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })));
  }
  const issues: FilterIssue[] = [];
  const conditions: CompiledCondition[] = [];
  parsed.data.forEach((raw, i) => {
    try {
      conditions.push(compileCondition(raw, i, env));
    } catch (e) {
      if (e instanceof FilterCompileError) issues.push(...e.issues);
      else throw e;
    }
  });
  if (issues.length) throw new FilterCompileError(issues);
  // Directory-backed conditions cost a lookup: evaluate them last.
  const ordered = [...conditions].sort((a, b) => costOf(a) - costOf(b));
  const tests = ordered.map((c) => c.test);
  const n = tests.length;
  const test =
    n === 0
      ? () => true
      : n === 1
        ? tests[0]
        : (a: Activity) => {
            for (let i = 0; i < n; i++) if (!tests[i](a)) return false;
            return true;
          };
  return {
    conditions,
    test,
    explain: (a) =>
      conditions.map((c) => {
        const v = c.read(a);
        const seen = isMissing(v) ? 'missing' : typeof v === 'string' ? v : v.join(', ');
        return `${c.text} (was ${seen})`;
      }),
  };
}

const costOf = (c: CompiledCondition): number =>
  c.field === 'user.group' || c.field === 'user.department' ? 3 : c.op === 'regex' || c.op === 'contains' ? 2 : c.op === 'cidr' ? 1 : 0;

/**
 * The part of a filter a store can answer with its indexes: the time range, and single-valued positive
 * equality on category, outcome and actor email (whose store comparison is case-insensitive or on lower-case
 * enums, so narrowing never drops a row the predicate would accept). `app` and `action` are not pushed down:
 * policy equality is case-insensitive and the store's is exact. The predicate still runs on every returned row.
 */
export function storePushdown(filters: readonly FilterCondition[]): Partial<ActivityQuery> {
  const q: Partial<ActivityQuery> = {};
  for (const f of filters) {
    if (f.not || f.missing === 'match') continue;
    const values = valuesOf(f.value);
    if ((f.op === 'eq' || f.op === 'in') && values.length === 1) {
      const v = values[0];
      if (f.field === 'category' && (CATEGORIES as readonly string[]).includes(v.toLowerCase())) q.category = v.toLowerCase() as Category;
      else if (f.field === 'outcome' && (OUTCOMES as readonly string[]).includes(v.toLowerCase())) q.outcome = v.toLowerCase() as Outcome;
      else if (f.field === 'user.email' && (f.as ?? 'actor') === 'actor') q.user = v;
    } else if (f.field === 'time') {
      const t = (s: string) => new Date(Date.parse(s)).toISOString();
      if (f.op === 'after' && values.length === 1) q.from = maxIso(q.from, t(values[0]));
      if (f.op === 'before' && values.length === 1) q.to = minIso(q.to, t(values[0]));
      if (f.op === 'between' && values.length === 2) {
        q.from = maxIso(q.from, t(values[0]));
        q.to = minIso(q.to, t(values[1]));
      }
    }
  }
  return q;
}

const maxIso = (a: string | undefined, b: string): string => (a === undefined || b > a ? b : a);
const minIso = (a: string | undefined, b: string): string => (a === undefined || b < a ? b : a);

/** Fields whose values a store keeps as columns (ActivityKeys), identical to the Activity's. */
const KEY_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>(['action', 'app', 'tenant', 'category', 'outcome', 'ip', 'time']);

/**
 * The conditions of a filter that only read stored columns, compiled into a test on ActivityKeys (the field
 * extractors read the same property names). They are part of the AND, so a row failing them cannot match:
 * the store may skip it without decoding. Null when no condition qualifies.
 */
export function compileKeysFilter(filters: readonly FilterCondition[]): ((k: ActivityKeys) => boolean) | null {
  const subset = filters.filter((f) => KEY_FIELDS.has(f.field));
  if (!subset.length) return null;
  const test = compileFilter(subset).test;
  return (k) => test(k as unknown as Activity);
}
