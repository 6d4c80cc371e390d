/** Shared `--config` handling: an explicit file, else ./rampart.yaml when present, else the defaults. */
import { existsSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { z } from 'zod';
import { loadConfig, type LoadedConfig } from '../config/load.ts';

export const DEFAULT_CONFIG_FILE = 'rampart.yaml';

export function loadConfigOption(file: string | undefined): LoadedConfig {
  if (file) return loadConfig(file);
  return existsSync(DEFAULT_CONFIG_FILE) ? loadConfig(DEFAULT_CONFIG_FILE) : loadConfig();
}

/**
 * A commander parser for the whole-number option `name`: digits only, so "", "1.5", "-1", "1e3" and "0x10" are
 * refused (Number() read "" as 0), then checked against `schema`, the config key the option overrides, when
 * given: the flag and the file accept the same values. A bad value is commander's usage error naming the option
 * (exit 1), not a stack trace.
 */
export const parseWholeNumber =
  (name: string, schema?: z.ZodType) =>
  (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${v}".`);
    const n = Number(v);
    const checked = schema?.safeParse(n);
    if (checked && !checked.success) throw new InvalidArgumentError(`${name}: ${checked.error.issues.map((i) => i.message).join('; ')}.`);
    return n;
  };

/** The earlier name of parseWholeNumber, still imported by commands/proxy.ts. */
export const parsePositiveInt = parseWholeNumber;
