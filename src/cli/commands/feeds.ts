/** `rampart feeds update|list`: refresh URL feeds into their on-disk caches; show what each feed holds. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { createLogger } from '../../core/logger.ts';
import { feedDataDir, loadFeeds, updateFeeds, type FeedStatus } from '../../enrich/feeds.ts';

const line = (s: FeedStatus): string =>
  s.ok
    ? `ok    ${s.name} (${s.kind}): ${s.entries} entries${s.malformedLines ? `, ${s.malformedLines} malformed lines skipped` : ''} -> ${s.file}\n`
    : `FAIL  ${s.name} (${s.kind}): ${s.error?.code}: ${s.error?.message}${s.updatedAt ? ` (keeping the copy from ${s.updatedAt})` : ''}\n`;

export function register(program: Command): void {
  const feeds = program.command('feeds').description('IP feeds (Tor exits, anonymizers, threat intel, cloud ranges)');
  feeds
    .command('update')
    .description('download every URL feed into its cache file (a failed download keeps the last good copy); exit 1 if any failed')
    .option('-c, --config <file>', 'config file')
    .action(async (o: { config?: string }) => {
      const { config, baseDir } = loadConfig(o.config);
      const urlFeeds = config.feeds.filter((f) => f.url);
      if (urlFeeds.length === 0) {
        process.stdout.write('no URL feeds configured\n');
        return;
      }
      const logger = createLogger({ level: config.log.level === 'info' ? 'warn' : config.log.level, destination: process.stderr });
      const results = await updateFeeds(urlFeeds, { dataDir: feedDataDir(baseDir), logger });
      for (const r of results) process.stdout.write(line(r));
      if (results.some((r) => !r.ok)) process.exitCode = 1;
    });
  feeds
    .command('list')
    .description('load every feed from its file (no network) and show its entries')
    .option('-c, --config <file>', 'config file')
    .action((o: { config?: string }) => {
      const { config, baseDir } = loadConfig(o.config);
      if (config.feeds.length === 0) process.stdout.write('no feeds configured\n');
      const { statuses } = loadFeeds(config.feeds, { dataDir: feedDataDir(baseDir) });
      for (const s of statuses) process.stdout.write(line(s));
    });
}
