/**
 * @module proxy/policy/policy-set
 * Compiled session policies and the decision: a request is matched in stages as facts become known
 * (activity conditions first, then file facts from headers, then content inspection from the body), and the
 * most restrictive matching action wins (block > protect > audit). Policies load from a folder and reload when
 * it changes, so edits apply without restarting the proxy.
 */
import { existsSync, readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { extname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Activity } from '../../schema/activity.ts';
import { BUILTIN_DETECTORS, customRegexDetector, type Detector } from '../inspect/detectors.ts';
import type { InspectionResult } from '../inspect/inspector.ts';
import { compileActivityFilters, compileFileConditions, type ActivityPredicate, type FileFacts, type FilePredicate, type FilterEnv } from './filters.ts';
import { ACTION_RANK, SessionPolicySchema, type SessionAction, type SessionActivity, type SessionPolicy } from './schema.ts';

export interface CompiledSessionPolicy {
  readonly policy: SessionPolicy;
  readonly activity: ActivityPredicate;
  readonly file: FilePredicate | null;
  /** Null when the policy does not inspect content. */
  readonly detectors: readonly Detector[] | null;
}

export interface PolicyMatch {
  policy: string;
  action: SessionAction;
  /** Why it matched: the conditions with the values seen, inspection counts. */
  reasons: string[];
  alert: SessionPolicy['alert'];
}

export interface SessionDecision {
  action: SessionAction;
  /** The winning policy (most restrictive; first by name on ties), null when nothing matched. */
  winner: CompiledSessionPolicy | null;
  matches: PolicyMatch[];
  /** The message a block shows. */
  blockMessage: string;
}

/** What is known of the body: nothing needed, an inspection result, or "could not be inspected". */
export type InspectionOutcome = { kind: 'none' } | { kind: 'inspected'; result: InspectionResult } | { kind: 'uninspectable'; reason: string };

export function compileSessionPolicy(policy: SessionPolicy, env: FilterEnv): CompiledSessionPolicy {
  const detectors = policy.inspection
    ? [
        ...policy.inspection.detectors.map((id) => BUILTIN_DETECTORS[id]),
        ...policy.inspection.customRegexes.map((r) => customRegexDetector(`regex:${r.name}`, r.pattern, r.flags)),
      ]
    : null;
  return {
    policy,
    activity: compileActivityFilters(policy.filters, env),
    file: policy.file?.conditions.length ? compileFileConditions(policy.file.conditions) : null,
    detectors,
  };
}

function fileMatches(p: CompiledSessionPolicy, file: FileFacts | null): boolean {
  const f = p.policy.file;
  if (!f) return true;
  if (!file) return false;
  if (p.file && !p.file.test(file)) return false;
  const mb = file.sizeBytes === null ? null : file.sizeBytes / (1024 * 1024);
  if (f.minSizeMb !== undefined && (mb === null || mb < f.minSizeMb)) return false;
  if (f.maxSizeMb !== undefined && (mb === null || mb > f.maxSizeMb)) return false;
  return true;
}

export class SessionPolicySet {
  #policies: CompiledSessionPolicy[] = [];
  readonly #env: FilterEnv;
  readonly defaultBlockMessage: string;

  constructor(env: FilterEnv, defaultBlockMessage: string) {
    this.#env = env;
    this.defaultBlockMessage = defaultBlockMessage;
  }

  get policies(): readonly CompiledSessionPolicy[] {
    return this.#policies;
  }

  /** Compiles and swaps the whole set at once (in-flight requests keep the set they started with). */
  replace(policies: readonly SessionPolicy[]): void {
    this.#policies = policies.filter((p) => p.enabled).map((p) => compileSessionPolicy(p, this.#env));
  }

  /** Stage 1: enabled policies for this kind of activity whose activity conditions hold. */
  candidates(kind: SessionActivity, activity: Activity): CompiledSessionPolicy[] {
    return this.#policies.filter((p) => p.policy.activities.includes(kind) && p.activity.test(activity));
  }

  /** Stage 2: of the candidates, those whose file conditions hold. */
  static withFile(cands: readonly CompiledSessionPolicy[], file: FileFacts | null): CompiledSessionPolicy[] {
    return cands.filter((p) => fileMatches(p, file));
  }

  /** The union of detectors the candidates need, or null when none inspects. */
  static detectorsFor(cands: readonly CompiledSessionPolicy[]): Detector[] | null {
    const seen = new Map<string, Detector>();
    for (const p of cands) for (const d of p.detectors ?? []) seen.set(d.id, d);
    return seen.size ? [...seen.values()] : null;
  }

  /** Stage 3: final decision from the (file-filtered) candidates and what inspection found. */
  decide(cands: readonly CompiledSessionPolicy[], activity: Activity, inspection: InspectionOutcome): SessionDecision {
    const matches: PolicyMatch[] = [];
    let winner: CompiledSessionPolicy | null = null;
    for (const p of cands) {
      const reasons = p.activity.explain(activity);
      if (p.file) reasons.push(...p.file.text);
      if (p.detectors && p.policy.inspection) {
        const min = p.policy.inspection.minMatches;
        if (inspection.kind === 'inspected') {
          let n = 0;
          for (const d of p.detectors) n += inspection.result.counts[d.id] ?? 0;
          if (n < min) continue;
          reasons.push(`content inspection found ${n} match(es) (at least ${min} needed): ${p.detectors.map((d) => `${d.id}=${inspection.result.counts[d.id] ?? 0}`).join(', ')}`);
        } else if (inspection.kind === 'uninspectable') {
          if (!p.policy.inspection.applyWhenUninspectable) continue;
          reasons.push(`content could not be inspected (${inspection.reason}); the policy applies anyway`);
        } else continue;
      }
      matches.push({ policy: p.policy.name, action: p.policy.action, reasons, alert: p.policy.alert });
      if (!winner || ACTION_RANK[p.policy.action] > ACTION_RANK[winner.policy.action]) winner = p;
    }
    return {
      action: winner?.policy.action ?? 'audit',
      winner,
      matches,
      blockMessage: winner?.policy.blockMessage ?? this.defaultBlockMessage,
    };
  }
}

export interface PolicyLoadIssue {
  file: string;
  message: string;
}

/** Reads every *.yaml / *.yml in the folder (one or more documents each); a bad file never stops the others. */
export function loadSessionPolicies(dir: string, env: FilterEnv): { policies: SessionPolicy[]; issues: PolicyLoadIssue[] } {
  const policies: SessionPolicy[] = [];
  const issues: PolicyLoadIssue[] = [];
  if (!existsSync(dir)) return { policies, issues: [{ file: dir, message: 'folder does not exist (no session policies)' }] };
  const names = new Set<string>();
  for (const name of readdirSync(dir).sort()) {
    if (!['.yaml', '.yml'].includes(extname(name))) continue;
    const file = join(dir, name);
    try {
      if (statSync(file).size > 1024 * 1024) throw new Error('larger than 1 MiB');
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        if (doc.errors.length) throw new Error(doc.errors[0].message);
        const js = doc.toJS();
        if (js === null || js === undefined) continue;
        const parsed = SessionPolicySchema.safeParse(js);
        if (!parsed.success) {
          issues.push({ file, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
          continue;
        }
        if (names.has(parsed.data.name)) {
          issues.push({ file, message: `duplicate session policy name ${parsed.data.name}` });
          continue;
        }
        try {
          compileSessionPolicy(parsed.data, env); // surfaces filter errors at load time
        } catch (e) {
          issues.push({ file, message: `${parsed.data.name}: ${(e as Error).message}` });
          continue;
        }
        names.add(parsed.data.name);
        policies.push(parsed.data);
      }
    } catch (e) {
      issues.push({ file, message: (e as Error).message });
    }
  }
  return { policies, issues };
}

/** Watches the folder and calls `onChange` (debounced) after any change. */
export function watchFolder(dir: string, onChange: () => void, debounceMs = 150): FSWatcher | null {
  if (!existsSync(dir)) return null;
  let timer: NodeJS.Timeout | null = null;
  const w = watch(dir, () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      onChange();
    }, debounceMs);
    timer.unref();
  });
  w.unref();
  return w;
}
