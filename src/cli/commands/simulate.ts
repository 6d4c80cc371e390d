/**
 * `rampart simulate workplace`: run the local Workplace simulator (Graph, SCIM, Admin Center audit logs) and,
 * with --deliver-to, the demo tenant that streams signed webhooks with periodic attacks. Secrets come only from
 * the environment variables named on the command line.
 */
import type { Command } from 'commander';
import { RampartError } from '../../core/errors.ts';
import { startDemoTenant, startWorkplaceSimulator, type WorkplaceSimulator } from '../../connectors/workplace/simulator/index.ts';

const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`--${name} must be an integer from ${min} to ${max}, got ${v}`]);
  return n;
};

/** --deliver-to: an http(s) URL, checked at once (an invalid one was retried for 60 s, then a TypeError stack). */
const callbackUrl = (v: string): string => {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`--deliver-to must be an http(s) URL, got ${v}`]);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new RampartError('RAMPART_ERR_CONFIG_INVALID', [`--deliver-to must be an http(s) URL, got ${v}`]);
  return v;
};

function envSecret(varName: string | undefined, what: string): string | undefined {
  if (!varName) return undefined;
  const v = process.env[varName];
  if (!v) throw new RampartError('RAMPART_ERR_CONFIG_SECRET_MISSING', [what, `environment variable ${varName}`]);
  return v;
}

interface SimulateOpts {
  port: number;
  host: string;
  users: number;
  seed: number;
  historyDays: number;
  deliverTo?: string;
  verifyTokenEnv?: string;
  appSecretEnv?: string;
  accessTokenEnv?: string;
  rate: number;
  attackEvery: number;
  concurrency: number;
  batchSize: number;
  total?: number;
}

export function register(program: Command): void {
  const simulate = program.command('simulate').description('run a local simulator of a SaaS app');
  simulate
    .command('workplace')
    .description('simulate Workplace from Meta: Graph API, SCIM 2.0, Admin Center audit logs, signed workplace_security webhooks')
    .option('--port <n>', 'port to listen on (0 = any free port)', int('port', 0, 65_535), 0)
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--users <n>', 'number of simulated users', int('users', 1), 300)
    .option('--seed <n>', 'seed for the organisation and traffic', int('seed', 0), 1)
    .option('--history-days <n>', 'days of benign history in the audit log at start', int('history-days', 0), 0)
    .option('--deliver-to <url>', 'webhook callback to verify and stream events to (demo tenant)', callbackUrl)
    .option('--verify-token-env <VAR>', 'environment variable holding the webhook verify token')
    .option('--app-secret-env <VAR>', 'environment variable holding the app secret (signs webhooks)')
    .option('--access-token-env <VAR>', 'environment variable holding the Graph/SCIM token to accept (default: generated and printed)')
    .option('--rate <n>', 'events per second to deliver with --deliver-to', int('rate', 1), 5)
    .option('--attack-every <secs>', 'inject an attack scenario every N seconds with --deliver-to (0 = never)', int('attack-every', 0), 180)
    .option('--concurrency <n>', 'webhook bodies in flight with --deliver-to', int('concurrency', 1), 2)
    .option('--batch-size <n>', 'events per webhook body with --deliver-to', int('batch-size', 1), 1)
    .option('--total <n>', 'with --deliver-to: stop after N events, print delivery stats as JSON and exit', int('total', 1))
    .action(async (o: SimulateOpts) => {
      const accessToken = envSecret(o.accessTokenEnv, 'access token');
      const appSecret = envSecret(o.appSecretEnv, 'app secret');
      let sim: WorkplaceSimulator;
      let stop: () => Promise<void>;
      if (o.deliverTo) {
        const verifyToken = envSecret(o.verifyTokenEnv, 'verify token');
        if (!verifyToken || !appSecret) throw new RampartError('RAMPART_ERR_CONFIG_INVALID', ['--deliver-to needs --verify-token-env and --app-secret-env']);
        const demo = await startDemoTenant({
          callbackUrl: o.deliverTo,
          verifyToken,
          appSecret,
          accessToken,
          users: o.users,
          seed: o.seed,
          port: o.port,
          eventsPerSec: o.rate,
          attackEverySecs: o.attackEvery,
          concurrency: o.concurrency,
          batchSize: o.batchSize,
          total: o.total,
          onAttack: (r) => process.stdout.write(`attack: ${r.scenario}: ${r.label}\n`),
        });
        if (o.total !== undefined) {
          // Load generation: deliver exactly --total events, report, exit.
          const started = Date.now();
          const stats = await demo.done;
          const elapsedMs = Date.now() - started;
          await demo.stop();
          process.stdout.write(JSON.stringify({ ...stats, elapsedMs, ackedPerSec: Math.round((stats.acked * 1000) / Math.max(1, elapsedMs)) }) + '\n');
          process.exitCode = stats.failed > 0 ? 1 : 0;
          return;
        }
        sim = demo.simulator;
        stop = demo.stop;
      } else {
        sim = await startWorkplaceSimulator({ port: o.port, host: o.host, users: o.users, seed: o.seed, accessToken, appSecret, historyDays: o.historyDays });
        stop = () => sim.close();
      }
      const out = [
        `Workplace simulator (seed ${o.seed}, ${sim.org.users.length} users, community ${sim.org.communityId}, company ${sim.org.companyId})`,
        `  graph:  ${sim.graphUrl}`,
        `  scim:   ${sim.scimUrl}`,
        `  audit:  ${sim.auditUrl}  (POST /work_get_token, GET /security_audit_logs; client id ${sim.auditClientId})`,
        `  web:    ${sim.webUrl}/login  (sign in as any simulated person with password "${sim.web.password}"; guest ${sim.web.guests[0]?.email ?? 'none'}; who-am-I ${sim.webUrl}/api/me)`,
        accessToken ? `  access token: from $${o.accessTokenEnv}` : `  access token (simulator-generated): ${sim.accessToken}`,
        appSecret ? `  app secret: from $${o.appSecretEnv}` : `  app secret (simulator-generated): ${sim.appSecret}`,
        `  audit client secret (simulator-generated): ${sim.auditClientSecret}`,
        o.deliverTo ? `  delivering ${o.rate} events/s to ${o.deliverTo}, an attack every ${o.attackEvery} s` : '',
        'Ctrl-C to stop.',
      ];
      process.stdout.write(out.filter(Boolean).join('\n') + '\n');
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        process.once('SIGINT', done);
        process.once('SIGTERM', done);
      });
      await stop();
    });
}
