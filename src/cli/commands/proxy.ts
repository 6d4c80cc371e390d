/**
 * `rampart proxy`: the session proxy on its own (docs/session-control.md). Activities go into the same store,
 * enrichment, detections and alert delivery as `rampart serve` uses; `serve` can also run the proxy itself.
 */
import type { Command } from 'commander';
import { loadConfigOption, parsePositiveInt } from '../config-option.ts';
import { RampartError } from '../../core/errors.ts';
import { createLogger } from '../../core/logger.ts';
import { Metrics } from '../../core/metrics.ts';
import { Pipeline } from '../../core/pipeline.ts';
import { AlertDispatcher } from '../../deliver/dispatcher.ts';
import { DirectoryIndex } from '../../detect/policy/index.ts';
import { buildEngine, buildEnricher } from '../../main.ts';
import { startProxyForConfig } from '../../proxy/index.ts';
import { openStore } from '../../store/index.ts';

export function register(program: Command): void {
  program
    .command('proxy')
    .description('run the session proxy (real-time session control) in front of the apps in config key "proxy"')
    .option('-c, --config <file>', 'config file (default: ./rampart.yaml when present)')
    .option('-p, --port <n>', 'port to listen on (overrides proxy.port; 0 = any free port)', parsePositiveInt('--port'))
    .action(async (o: { config?: string; port?: number }) => {
      const loaded = loadConfigOption(o.config);
      const { config } = loaded;
      if (!config.proxy) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', ['the config has no "proxy" key (see docs/session-control.md)']);
      const logger = createLogger({ level: config.log.level });
      const metrics = new Metrics();
      const store = await openStore(config.store);
      const users = await store.listDirectoryUsers();
      const enricher = await buildEnricher(config, store, { baseDir: loaded.baseDir, logger, metrics });
      const { engine, policyIssues } = buildEngine(config, users);
      for (const i of policyIssues) logger.warn({ code: i.code, file: i.file }, `activity policy problem: ${i.message}`);
      const dispatcher = new AlertDispatcher({ config: config.alerts, store, logger: logger.child({ component: 'deliver' }), metrics });
      const pipeline = new Pipeline({ store, enricher, engine, logger, metrics, sinks: [dispatcher] });
      const proxy = await startProxyForConfig(loaded, { sink: pipeline, logger, metrics, port: o.port, directoryUser: new DirectoryIndex(users).lookup });
      if (!proxy) {
        process.stderr.write('rampart: proxy.enabled is false; nothing to run\n');
        await store.close();
        return;
      }
      process.stdout.write(`Rampart session proxy is listening on ${proxy.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          (async () => {
            await proxy.close();
            await pipeline.drain();
            await dispatcher.close({ graceMs: 5000 });
            await store.close();
          })().then(resolve, (err) => {
            logger.error({ err }, 'shutdown failed');
            process.exitCode = 1;
            resolve();
          });
        };
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
