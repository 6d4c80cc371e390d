/**
 * `rampart act ...`: manual governance actions and the governance log.
 *   act suspend|unsuspend|sign-out|notify <user> --reason ...   act on an account now
 *   act approve|reject <id>   decide on a held automatic suspension
 *   act retry <id>            run a failed entry again
 *   act revert <id>           undo a suspension (unsuspend)
 *   act log                   list the log
 */
import { escapeControls } from '../../core/text.ts';
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { createLogger } from '../../core/logger.ts';
import { Metrics } from '../../core/metrics.ts';
import { RampartError } from '../../core/errors.ts';
import { GovernanceService } from '../../actions/governance.ts';
import { ENTRY_STATUSES, type EntryStatus, type GovernanceEntry } from '../../actions/log.ts';
import type { ActionName } from '../../actions/action.ts';
import { PROVIDER_NAMES, type ProviderName } from '../../actions/provider.ts';
import { openStore } from '../../store/index.ts';

interface Common {
  config?: string;
  json?: boolean;
  by?: string;
}

const defaultBy = (): string => {
  try {
    return `${userInfo().username}@cli`;
  } catch {
    return 'cli';
  }
};

async function withService<T>(o: Common, fn: (gov: GovernanceService) => Promise<T>): Promise<T> {
  const file = o.config ?? (existsSync('rampart.yaml') ? 'rampart.yaml' : undefined);
  const { config, baseDir } = loadConfig(file);
  const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: process.stderr });
  const store = await openStore(config.store, { baseDir });
  const gov = new GovernanceService({ config: config.governance, store, logger, metrics: new Metrics() });
  try {
    return await fn(gov);
  } finally {
    await gov.close();
    await store.close();
  }
}

const line = (e: GovernanceEntry): string => {
  const who = e.trigger.kind === 'alert' ? `alert ${e.trigger.alertId} (${e.trigger.detection})` : `by ${e.trigger.by}`;
  const detail = e.error?.message ?? e.statusReason ?? e.result ?? e.plan.summary;
  // The target and messages can quote event data: escaped, one entry per line whatever they hold.
  return [e.createdAt, e.id, e.status, e.action, e.target.user, e.channel, `attempts=${e.attemptCount}`, who, detail].map((f) => escapeControls(String(f))).join('  ');
};

function print(o: Common, entries: GovernanceEntry | GovernanceEntry[]): void {
  const list = Array.isArray(entries) ? entries : [entries];
  if (o.json) process.stdout.write((Array.isArray(entries) ? JSON.stringify(list, null, 2) : JSON.stringify(entries, null, 2)) + '\n');
  else for (const e of list) process.stdout.write(line(e) + '\n');
  // A failed action is a failed command, so scripts notice.
  if (!Array.isArray(entries) && entries.status === 'failed') process.exitCode = 1;
}

const common = (c: Command): Command =>
  c
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .option('--by <name>', 'who is acting, recorded in the log (default: <os user>@cli)')
    .option('--json', 'print the log entry as JSON');

export function register(program: Command): void {
  const act = program.command('act').description('governance actions on accounts (suspend, sign out, notify), approval, retry, revert and the governance log');

  const manual = (name: string, action: ActionName, what: string) =>
    common(act.command(name).description(what))
      .argument('<user>', 'email or the app user id')
      .requiredOption('--reason <text>', 'why (recorded in the log; used in the notification)')
      .option('--provider <name>', `account provider: ${PROVIDER_NAMES.join(', ')} (default: governance.defaultProvider)`)
      .option('--app <app>', 'app the user belongs to (directory lookups)', 'workplace')
      .option('--dry-run', 'log what would happen without doing it')
      .option('--force', 'suspend even a protected account')
      .action(async (user: string, o: Common & { reason: string; provider?: string; app: string; dryRun?: boolean; force?: boolean }) => {
        if (o.provider && !(PROVIDER_NAMES as readonly string[]).includes(o.provider))
          throw new RampartError('RAMPART_ERR_ACTION_PROVIDER_NOT_CONFIGURED', [`provider ${o.provider}`, `one of ${PROVIDER_NAMES.join(', ')}`]);
        const e = await withService(o, (gov) =>
          gov.act({ action, user, app: o.app, provider: o.provider as ProviderName | undefined, by: o.by ?? defaultBy(), reason: o.reason, force: o.force, dryRun: o.dryRun }),
        );
        print(o, e);
      });
  manual('suspend', 'suspend_user', 'suspend the user (no sign-in; all sessions ended)');
  manual('unsuspend', 'unsuspend_user', 'let a suspended user sign in again');
  manual('sign-out', 'require_sign_in', 'sign the user out of all sessions (require sign-in again)');
  manual('notify', 'notify_user', 'email the user the notification (governance.notify, governance.smtp)');

  const byId = (name: string, what: string, run: (gov: GovernanceService, id: string, o: Common & { note?: string }) => Promise<GovernanceEntry>) =>
    common(act.command(name).description(what))
      .argument('<id>', 'governance log id')
      .action(async (id: string, o: Common & { note?: string }) => print(o, await withService(o, (gov) => run(gov, id, o))));
  byId('approve', 'approve a held automatic suspension and run it', (gov, id, o) => gov.approve(id, o.by ?? defaultBy()));
  byId('reject', 'reject a held automatic suspension', (gov, id, o) => gov.reject(id, o.by ?? defaultBy(), o.note)).option('--note <text>', 'why');
  byId('retry', 'run a failed action again', (gov, id, o) => gov.retry(id, o.by ?? defaultBy()));
  byId('revert', 'undo a succeeded suspension (unsuspends the user)', (gov, id, o) => gov.revert(id, o.by ?? defaultBy()));
  byId('show', 'print one log entry', async (gov, id) => {
    const e = await gov.get(id);
    if (!e) throw new RampartError('RAMPART_ERR_ACTION_ENTRY_NOT_FOUND', [id]);
    return e;
  });

  common(act.command('log').description('list the governance log, newest first'))
    .option('--status <status>', `only this status: ${ENTRY_STATUSES.join(', ')}`)
    .option('--user <user>', 'only this user')
    .option('--alert <id>', 'only actions triggered by this alert')
    .option('--limit <n>', 'at most n entries', '100')
    .action(async (o: Common & { status?: string; user?: string; alert?: string; limit: string }) => {
      if (o.status && !(ENTRY_STATUSES as readonly string[]).includes(o.status))
        throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`--status must be one of ${ENTRY_STATUSES.join(', ')}`]);
      const limit = Math.max(1, Math.min(10_000, Number.parseInt(o.limit, 10) || 100));
      const entries = await withService(o, (gov) => gov.list({ status: o.status as EntryStatus | undefined, user: o.user, alertId: o.alert, limit }));
      print(o, entries);
    });
}
