/**
 * @module detect/policy
 * Activity policies: data (schema.ts) → compiled once (filters.ts, operators.ts, fields.ts, compile.ts) →
 * run live through `PolicySet.detections()` or over history (backtest.ts). `compileFilter` also serves
 * activity-log queries.
 */
import { fileURLToPath } from 'node:url';

export { OPERATORS, OPERATOR_NAMES, MAX_REGEX_LENGTH, type OperatorName, type FieldKind } from './operators.ts';
export { FIELDS, FIELD_NAMES, DirectoryIndex, type FieldName, type FilterEnv, type UserRole } from './fields.ts';
export {
  compileFilter,
  compileKeysFilter,
  storePushdown,
  FilterConditionSchema,
  FiltersSchema,
  FilterCompileError,
  type CompiledFilter,
  type FilterCondition,
  type FilterConditionInput,
} from './filters.ts';
export { PolicySchema, policyJsonSchema, POLICY_CATEGORIES, GOVERNANCE_ACTIONS, type Policy, type PolicyInput, type GovernanceAction } from './schema.ts';
export {
  PolicySet,
  compilePolicy,
  policyDetectionId,
  DEFAULT_AUTO_DISABLE,
  type AutoDisableRecord,
  type CompiledPolicy,
  type PolicyHit,
  type PolicySetOptions,
  type PolicyStats,
} from './compile.ts';
export { loadPolicies, loadPolicyFile, checkPolicyObject, formatIssue, type LoadedPolicy, type LoadResult, type PolicyIssue } from './load.ts';
export { queryFilteredActivities, type FilteredQuery, type FilteredPage } from './query.ts';
export { lintPolicy, type LintWarning } from './lint.ts';
export { backtest, backtestScan, storeActivities, warmupStart, type BacktestReport, type BacktestOptions } from './backtest.ts';

/** The folder of the shipped templates (copy them into the policies folder to use them). */
export const TEMPLATES_DIR = fileURLToPath(new URL('./templates/', import.meta.url));
