/**
 * @module detect/policy/load
 * Loads policy files (*.yaml, *.yml; one or more `---`-separated documents each) from the policies folder.
 * Every problem carries file:line:column; a bad policy or file never prevents the others from loading.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { isMap, isScalar, LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { ErrorCode } from '../../core/errors.ts';
import type { FilterEnv } from './fields.ts';
import { compilePolicy } from './compile.ts';
import { FilterCompileError } from './filters.ts';
import { lintPolicy } from './lint.ts';
import type { Policy } from './schema.ts';

/** Largest policy file read; larger files are refused (policies are small documents). */
export const MAX_POLICY_FILE_BYTES = 1024 * 1024;
const EXTENSIONS = new Set(['.yaml', '.yml']);

export interface PolicyIssue {
  level: 'error' | 'warning';
  /** Errors carry RAMPART_ERR_POLICY_INVALID; warnings have no code. */
  code?: ErrorCode;
  file: string;
  line?: number;
  col?: number;
  /** Path inside the policy, e.g. `filters.2.value`. */
  path: string;
  /** The policy's name, when it has one. */
  policy?: string;
  message: string;
}

export interface LoadedPolicy {
  policy: Policy;
  file: string;
  line: number;
}

export interface LoadResult {
  policies: LoadedPolicy[];
  issues: PolicyIssue[];
  files: string[];
}

export const formatIssue = (i: PolicyIssue): string =>
  `${i.file}${i.line ? `:${i.line}:${i.col}` : ''}: ${i.level}${i.code ? ` ${i.code}` : ''}: ${i.path ? `${i.path}: ` : ''}${i.message}`;

/** Lists policy files under the given paths (folders are read one level deep, sorted; files taken as given). */
export function policyFiles(paths: readonly string[]): { files: string[]; issues: PolicyIssue[] } {
  const files: string[] = [];
  const issues: PolicyIssue[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      issues.push({ level: 'error', code: 'RAMPART_ERR_POLICY_INVALID', file: p, path: '', message: `cannot read: ${(e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) if (EXTENSIONS.has(extname(name).toLowerCase())) files.push(join(p, name));
    } else files.push(p);
  }
  return { files, issues };
}

/** Loads and checks every policy in the paths. Names must be unique across all files. */
export function loadPolicies(paths: readonly string[], env: FilterEnv = {}): LoadResult {
  const { files, issues } = policyFiles(paths);
  const policies: LoadedPolicy[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const r = loadPolicyFile(file, env);
    issues.push(...r.issues);
    for (const lp of r.policies) {
      const first = seen.get(lp.policy.name);
      if (first) {
        issues.push({
          level: 'error',
          code: 'RAMPART_ERR_POLICY_INVALID',
          file,
          line: lp.line,
          col: 1,
          path: 'name',
          policy: lp.policy.name,
          message: `policy name ${JSON.stringify(lp.policy.name)} is already used in ${first}; this one is skipped`,
        });
        continue;
      }
      seen.set(lp.policy.name, `${file}:${lp.line}`);
      policies.push(lp);
    }
  }
  return { policies, issues, files };
}

/** Loads one file; text may be given (API uploads, tests). */
export function loadPolicyFile(file: string, env: FilterEnv = {}, text?: string): { policies: LoadedPolicy[]; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const policies: LoadedPolicy[] = [];
  const err = (message: string, extra: Partial<PolicyIssue> = {}): PolicyIssue => ({ level: 'error', code: 'RAMPART_ERR_POLICY_INVALID', file, path: '', message, ...extra });
  if (text === undefined) {
    try {
      const size = statSync(file).size;
      if (size > MAX_POLICY_FILE_BYTES) return { policies, issues: [err(`file is ${size} bytes; the limit is ${MAX_POLICY_FILE_BYTES}`)] };
      text = readFileSync(file, 'utf8');
    } catch (e) {
      return { policies, issues: [err(`cannot read: ${(e as Error).message}`)] };
    }
  } else if (Buffer.byteLength(text) > MAX_POLICY_FILE_BYTES) {
    return { policies, issues: [err(`file is larger than ${MAX_POLICY_FILE_BYTES} bytes`)] };
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) issues.push(err('not a YAML document stream'));
  for (const doc of list) {
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
        issues.push(err(e.message.split('\n')[0], { line: pos.line, col: pos.col }));
      }
      continue;
    }
    if (doc.contents === null) continue; // empty document (e.g. a trailing ---)
    const at = (path: (string | number)[], key?: string) => position(doc, lineCounter, path, key);
    const docStart = lineCounter.linePos(doc.contents.range?.[0] ?? 0);
    const data = doc.toJS() as unknown;
    const name = typeof (data as { name?: unknown })?.name === 'string' ? ((data as { name: string }).name as string) : undefined;
    let policy: Policy;
    try {
      policy = compilePolicy(data as Policy, env).policy;
    } catch (e) {
      if (!(e instanceof FilterCompileError)) throw e;
      const located = e.issues.map((i) => {
        const unknownKey = /^Unrecognized key/.test(i.message) ? (i.message.match(/"([^"]+)"/)?.[1] ?? undefined) : undefined;
        return err(i.message, { ...at(i.path, unknownKey), path: i.path.join('.'), policy: name });
      });
      located.sort((x, y) => (x.line ?? 0) - (y.line ?? 0) || (x.col ?? 0) - (y.col ?? 0));
      issues.push(...located);
      continue;
    }
    for (const w of lintPolicy(policy, env)) {
      issues.push({ level: 'warning', file, ...at(w.path), path: w.path.join('.'), policy: policy.name, message: w.message });
    }
    policies.push({ policy, file, line: docStart.line });
  }
  return { policies, issues };
}

/** line:col of the deepest node that exists on the path (or of an unknown key inside it). */
function position(doc: Document, lc: LineCounter, path: (string | number)[], key?: string): { line?: number; col?: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    const target = n === 0 ? (doc.contents as { range?: [number, number, number] } | null) : node;
    if (!target?.range) continue;
    if (key && n === path.length && isMap(target)) {
      const pair = target.items.find((p) => isScalar(p.key) && p.key.value === key);
      const kr = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (kr) return lc.linePos(kr[0]);
    }
    return lc.linePos(target.range[0]);
  }
  return {};
}

/**
 * Checks a policy given as an object (the API): the parsed policy when valid, every error with its path,
 * and the lint warnings. Nothing is thrown.
 */
export function checkPolicyObject(
  input: unknown,
  env: FilterEnv = {},
): { policy: Policy | null; errors: { path: string; message: string }[]; warnings: { path: string; message: string }[] } {
  try {
    const policy = compilePolicy(input as Policy, env).policy;
    return { policy, errors: [], warnings: lintPolicy(policy, env).map((w) => ({ path: w.path.join('.'), message: w.message })) };
  } catch (e) {
    if (!(e instanceof FilterCompileError)) throw e;
    return { policy: null, errors: e.issues.map((i) => ({ path: i.path.join('.'), message: i.message })), warnings: [] };
  }
}
