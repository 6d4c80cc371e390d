/** `rampart serve`: the long-running service (HTTP, ingest, connectors, detections). */
import type { Command } from 'commander';
import { loadConfigOption, parseWholeNumber } from '../config-option.ts';
import { startService } from '../../main.ts';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the service: webhooks, connectors, detections, API (SQLite store by default)')
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .option('-p, --port <n>', 'port to listen on (0 = any free port)', parseWholeNumber('--port'))
    .option('--host <addr>', 'address to listen on')
    .action(async (o: { config?: string; port?: number; host?: string }) => {
      const loaded = loadConfigOption(o.config);
      const service = await startService(loaded, { port: o.port, host: o.host });
      process.stdout.write(`Rampart is listening on ${service.url}\n`);
      if (service.proxy) process.stdout.write(`Rampart session proxy is listening on ${service.proxy.url}\n`);
      service.logger.info({ url: service.url, store: loaded.config.store.driver }, 'rampart serve started');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          service.logger.info({ signal }, 'shutting down');
          service.close().then(resolve, (err) => {
            service.logger.error({ err }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
