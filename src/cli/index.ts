/**
 * @module cli
 * `rampart <command>`: each command is one file in cli/commands/ exporting `register(program)`, listed here.
 * Commands set process.exitCode; they never call process.exit with work pending.
 */
import { Command, CommanderError } from 'commander';
import { isRampartError } from '../core/errors.ts';
import { register as config } from './commands/config.ts';
import { register as feeds } from './commands/feeds.ts';
import { register as scan } from './commands/scan.ts';
import { register as serve } from './commands/serve.ts';
import { register as deliver } from './commands/deliver.ts';
import { register as act } from './commands/act.ts';
import { register as simulate } from './commands/simulate.ts';
import { register as policy } from './commands/policy.ts';
import { register as users } from './commands/users.ts';
import { register as posture } from './commands/posture.ts';
import { register as proxy } from './commands/proxy.ts';
import { register as store } from './commands/store.ts';

const COMMANDS = [serve, scan, config, feeds, store, deliver, act, simulate, policy, users, posture, proxy];

export function buildProgram(): Command {
  const program = new Command('rampart')
    .description('Rampart: self-hosted cloud app security monitor (activity audit trail, anomaly detection, alerts, governance)')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const reg of COMMANDS) reg(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isRampartError(err)) {
      process.stderr.write(`rampart: ${err.code}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`rampart: ${(err as Error)?.stack ?? String(err)}\n`);
    return 1;
  }
}
