/**
 * @module config/secret
 * Secrets come only from environment variables or files: `{ env: NAME }` or `{ file: PATH }`.
 * A literal value is rejected by the schema, so a secret can never be committed in a config file.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { RampartError } from '../core/errors.ts';

export const SecretRefSchema = z.union([
  z.object({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

export type SecretRef = z.output<typeof SecretRefSchema>;

/** Reads a secret; throws RAMPART_ERR_CONFIG_SECRET_MISSING naming where it looked, never the value. */
export function readSecret(ref: SecretRef, name: string, env: NodeJS.ProcessEnv = process.env): string {
  if ('env' in ref) {
    const v = env[ref.env];
    if (!v) throw new RampartError('RAMPART_ERR_CONFIG_SECRET_MISSING', [name, `environment variable ${ref.env}`]);
    return v;
  }
  try {
    const v = readFileSync(ref.file, 'utf8').trim();
    if (!v) throw new Error('empty file');
    return v;
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_CONFIG_SECRET_MISSING', [name, `file ${ref.file}`], { cause });
  }
}
