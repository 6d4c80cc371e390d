/**
 * `rampart deliver test|log|ocsf`: send a test alert to one configured destination, read the delivery log,
 * export stored alerts as OCSF Detection Findings (NDJSON).
 */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { RampartError } from '../../core/errors.ts';
import { stableId } from '../../core/ids.ts';
import { createDestination, DELIVERY_DOC_KIND, type DeliveryRecord } from '../../deliver/dispatcher.ts';
import { toOcsfDetectionFinding } from '../../deliver/ocsf.ts';
import { errorText, systemClock } from '../../deliver/destination.ts';
import { AlertSchema, SEVERITIES, type Alert, type Severity } from '../../schema/alert.ts';
import { openStore } from '../../store/index.ts';

/** A clearly labelled synthetic alert for checking a destination end to end. */
export function testAlert(severity: Severity, now = new Date()): Alert {
  const t = now.toISOString();
  return AlertSchema.parse({
    id: stableId('test', t),
    detection: 'rampart_test',
    title: 'Rampart test alert (no action needed)',
    description: 'Sent by `rampart deliver test` to check that this destination receives Rampart alerts.',
    severity,
    user: null,
    app: 'rampart',
    time: t,
    firstSeen: t,
    lastSeen: t,
    activityIds: [],
    evidence: ['This is a test.'],
    details: {},
    dedupKey: `rampart_test|${t}`,
    createdAt: t,
    updatedAt: t,
  });
}

export function register(program: Command): void {
  const deliver = program.command('deliver').description('alert delivery: test a destination, read the delivery log, export OCSF');

  deliver
    .command('test')
    .description('send a test alert to one destination from the config and report the outcome')
    .argument('<destination>', 'destination name (alerts.destinations[].name)')
    .option('-c, --config <file>', 'config file', 'rampart.yaml')
    .option('--severity <severity>', `severity of the test alert (${SEVERITIES.join(', ')})`, 'informational')
    .action(async (name: string, opts: { config: string; severity: string }) => {
      const { config, baseDir } = loadConfig(opts.config);
      const cfg = config.alerts.destinations.find((d) => d.name === name);
      if (!cfg) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`no destination named ${name} in alerts.destinations`]);
      if (!(SEVERITIES as readonly string[]).includes(opts.severity)) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`--severity must be one of ${SEVERITIES.join(', ')}`]);
      // The store holds the email quota: a test message counts like any other.
      const store = await openStore(config.store, { baseDir });
      const dest = createDestination(cfg, { store, consoleBaseUrl: config.alerts.consoleBaseUrl, clock: systemClock, env: process.env });
      try {
        const res = await dest.send(testAlert(opts.severity as Severity));
        process.stdout.write(`${name}: ${res.outcome}${res.detail ? ` (${res.detail})` : ''}\n`);
        if (res.outcome !== 'sent') process.exitCode = 1;
      } catch (err) {
        process.stderr.write(`${name}: failed: ${err instanceof RampartError ? `${err.code}: ` : ''}${errorText(err)}\n`);
        process.exitCode = 1;
      } finally {
        await dest.close();
        await store.close();
      }
    });

  deliver
    .command('log')
    .description('print the delivery log, newest first')
    .option('-c, --config <file>', 'config file', 'rampart.yaml')
    .option('--alert <id>', 'only this alert')
    .option('--destination <name>', 'only this destination')
    .option('--limit <n>', 'rows', '50')
    .option('--json', 'one JSON object per line')
    .action(async (opts: { config: string; alert?: string; destination?: string; limit: string; json?: boolean }) => {
      const { config, baseDir } = loadConfig(opts.config);
      const store = await openStore(config.store, { baseDir });
      try {
        const rows = (await store.listDocs<DeliveryRecord>(DELIVERY_DOC_KIND))
          .map((d) => d.body)
          .filter((r) => (!opts.alert || r.alertId === opts.alert) && (!opts.destination || r.destination === opts.destination))
          .sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : b.attempt - a.attempt))
          .slice(0, Math.max(1, Number(opts.limit) || 50));
        for (const r of rows) {
          process.stdout.write(
            opts.json
              ? `${JSON.stringify(r)}\n`
              : `${r.time}  ${r.destination.padEnd(16)} ${r.alertId}  #${r.attempt} ${r.outcome}${r.final ? '' : ' (will retry)'}${r.error ? `  ${r.error.code}: ${r.error.message}` : r.detail ? `  ${r.detail}` : ''}\n`,
          );
        }
      } finally {
        await store.close();
      }
    });

  deliver
    .command('ocsf')
    .description('export stored alerts as OCSF 1.x Detection Findings (class 2004), one JSON object per line')
    .option('-c, --config <file>', 'config file', 'rampart.yaml')
    .option('--from <iso>', 'alerts at or after this time')
    .option('--to <iso>', 'alerts before this time')
    .action(async (opts: { config: string; from?: string; to?: string }) => {
      const { config, baseDir } = loadConfig(opts.config);
      const store = await openStore(config.store, { baseDir });
      try {
        let cursor: string | null = null;
        do {
          const page = await store.listAlerts({ from: opts.from, to: opts.to, limit: 1000, cursor });
          for (const a of page.items) process.stdout.write(`${JSON.stringify(toOcsfDetectionFinding(a, { consoleBaseUrl: config.alerts.consoleBaseUrl }))}\n`);
          cursor = page.next;
        } while (cursor);
      } finally {
        await store.close();
      }
    });
}
