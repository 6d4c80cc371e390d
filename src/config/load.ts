/**
 * @module config/load
 * Reads the YAML config, checks it against the schema, lists every problem with its path (and the
 * line:column in the file), and resolves relative paths against the config file's folder.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { RampartError } from '../core/errors.ts';
import { ConfigSchema, type Config } from './schema.ts';

export interface ConfigIssue {
  path: string;
  message: string;
  line?: number;
  col?: number;
}

export interface LoadedConfig {
  config: Config;
  /** Folder that relative paths are resolved against. */
  baseDir: string;
  file: string | null;
}

export class ConfigError extends RampartError {
  readonly issues: ConfigIssue[];
  constructor(file: string | null, issues: ConfigIssue[]) {
    const where = (i: ConfigIssue) => `${file ?? '<config>'}${i.line ? `:${i.line}:${i.col}` : ''} ${i.path || '(root)'}: ${i.message}`;
    super('RAMPART_ERR_CONFIG_INVALID', [issues.map(where).join('; ')]);
    this.issues = issues;
  }
}

/** Parses YAML text and validates it; throws ConfigError listing every issue. */
export function parseConfig(text: string, file: string | null = null): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return { path: '', message: e.message.split('\n')[0], line: pos?.line, col: pos?.col };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (e) {
    // The yaml library refuses to expand aliases past a budget (a "billion laughs" file would take all memory):
    // that is a bad config file like any other, not a crash.
    throw new ConfigError(file, [{ path: '', message: (e as Error).message }]);
  }
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.flatMap((iss) => {
        // An unknown key is reported at the key itself, one issue per key.
        const paths =
          iss.code === 'unrecognized_keys' ? iss.keys.map((k) => [...iss.path, k]) : [iss.path as (string | number)[]];
        return paths.map((path) => {
          const node = doc.getIn(path as (string | number)[], true) as { range?: [number, number] } | undefined;
          const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
          const message = iss.code === 'unrecognized_keys' ? 'unknown key' : iss.message;
          return { path: path.join('.'), message, line: pos?.line, col: pos?.col };
        });
      }),
    );
  }
  return parsed.data;
}

/** Loads the config file (or the defaults when `file` is undefined) and resolves its relative paths. */
export function loadConfig(file?: string): LoadedConfig {
  if (!file) return { config: resolvePaths(ConfigSchema.parse({}), process.cwd()), baseDir: process.cwd(), file: null };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_CONFIG_UNREADABLE', [file, (cause as Error).message], { cause });
  }
  const baseDir = dirname(resolve(file));
  return { config: resolvePaths(parseConfig(text, file), baseDir), baseDir, file };
}

const abs = (base: string, p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(base, p));

function resolvePaths(c: Config, base: string): Config {
  return {
    ...c,
    store: c.store.driver === 'sqlite' ? { ...c.store, path: c.store.path === ':memory:' ? ':memory:' : abs(base, c.store.path)! } : c.store,
    feeds: c.feeds.map((f) => ({ ...f, path: abs(base, f.path), cachePath: abs(base, f.cachePath) })),
    enrich: {
      ...c.enrich,
      geoDbIpv4Path: abs(base, c.enrich.geoDbIpv4Path),
      geoDbIpv6Path: abs(base, c.enrich.geoDbIpv6Path),
      asnCsvIpv4Path: abs(base, c.enrich.asnCsvIpv4Path),
      asnCsvIpv6Path: abs(base, c.enrich.asnCsvIpv6Path),
    },
    policies: { ...c.policies, directory: abs(base, c.policies.directory)! },
    server: c.server.tls
      ? { ...c.server, tls: { certFile: abs(base, c.server.tls.certFile)!, keyFile: abs(base, c.server.tls.keyFile)! } }
      : c.server,
  };
}
