/** `rampart store stats|backup|prune`: what the store holds; a consistent copy of a live SQLite store; retention pruning on demand. */
import { ConfigSchema } from '../../config/schema.ts';
import type { Command } from 'commander';
import { RampartError } from '../../core/errors.ts';
import { retentionPlanFor } from '../../main.ts';
import { openStore, pruneAll, sqlitePath } from '../../store/index.ts';
import { backupSqlite } from '../../store/sqlite/backup.ts';
import { loadConfigOption, parseWholeNumber } from '../config-option.ts';

export function register(program: Command): void {
  const store = program.command('store').description('the store: what it holds, a consistent backup of a live SQLite store, retention pruning on demand');
  store
    .command('stats')
    .description('what the store holds: activities (and how far back they go), alerts, rejected input, directory users, size on disk')
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .option('--json', 'one JSON object on stdout')
    .action(async (o: { config?: string; json?: boolean }) => {
      const { config, baseDir } = loadConfigOption(o.config);
      const opened = await openStore(config.store, { baseDir });
      try {
        const s = await opened.stats();
        if (o.json) {
          process.stdout.write(JSON.stringify({ ...s, retentionDays: config.retentionDays }) + '\n');
          return;
        }
        const n = (x: number) => x.toLocaleString('en-US');
        process.stdout.write(
          [
            `store        ${s.driver}${config.store.driver === 'sqlite' ? ` ${sqlitePath(config.store, baseDir)}` : ''}`,
            `activities   ${n(s.activities)}${s.oldestActivity ? ` from ${s.oldestActivity} to ${s.newestActivity}` : ''} (retention ${config.retentionDays} days)`,
            `alerts       ${n(s.alerts)}`,
            `rejects      ${n(s.rejects)}`,
            `directory    ${n(s.directoryUsers)} users`,
            `size         ${(s.bytes / 1048576).toFixed(1)} MB`,
          ].join('\n') + '\n',
        );
      } finally {
        await opened.close();
      }
    });
  store
    .command('backup')
    .description('copy the SQLite store into a new file (0600), consistently, while `rampart serve` keeps writing; checks the copy')
    .argument('<file>', 'the new file (must not exist)')
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .action(async (file: string, o: { config?: string }) => {
      const { config, baseDir } = loadConfigOption(o.config);
      if (config.store.driver !== 'sqlite' || config.store.path === ':memory:') {
        const what = config.store.driver === 'sqlite' ? 'an in-memory SQLite store' : 'a PostgreSQL store';
        throw new RampartError('RAMPART_ERR_STORE_BACKUP_FAILED', [config.store.driver, file, `${what} cannot be copied here (use pg_dump for PostgreSQL)`]);
      }
      const r = await backupSqlite(sqlitePath(config.store, baseDir), file);
      process.stdout.write(`backed up ${r.activities} activities (${(r.bytes / 1048576).toFixed(1)} MB) to ${file} in ${(r.elapsedMs / 1000).toFixed(1)} s; integrity check ok\n`);
    });
  store
    .command('prune')
    .description('delete activities, rejected input and logs past their retention now (rampart serve does it every 6 hours)')
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .option('--days <n>', 'keep this many days of activities and rejected input (overrides retentionDays)', parseWholeNumber('--days', ConfigSchema.shape.retentionDays))
    .action(async (o: { config?: string; days?: number }) => {
      const { config, baseDir } = loadConfigOption(o.config);
      const plan = retentionPlanFor({ retentionDays: o.days ?? config.retentionDays, logRetentionDays: config.logRetentionDays });
      const opened = await openStore(config.store, { baseDir });
      try {
        const r = await pruneAll(opened, plan);
        const docs = Object.entries(r.docs).map(([k, n]) => ` ${k}=${n}`).join('');
        process.stdout.write(`pruned ${r.activities} activities and ${r.rejects} rejects older than ${plan.retentionDays} days; log documents older than ${plan.logRetentionDays} days:${docs || ' none'}\n`);
      } finally {
        await opened.close();
      }
    });
}
