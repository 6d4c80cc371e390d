/** Runs `rampart <args>` in process (src/cli main) and captures stdout, stderr and the exit code. */
import { vi } from 'vitest';
import { main } from '../../src/cli/index.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function runCli(args: string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const code = await main(args);
    return { code, out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}
