/** Shared `--config` handling: an explicit file, else ./rampart.yaml when present, else the defaults. */
import { existsSync } from 'node:fs';
import { loadConfig, type LoadedConfig } from '../config/load.ts';

export const DEFAULT_CONFIG_FILE = 'rampart.yaml';

export function loadConfigOption(file: string | undefined): LoadedConfig {
  if (file) return loadConfig(file);
  return existsSync(DEFAULT_CONFIG_FILE) ? loadConfig(DEFAULT_CONFIG_FILE) : loadConfig();
}

export const parsePositiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};
