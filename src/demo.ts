/**
 * @module demo
 * Wiring of the demo tenant behind `npm start`: a Workplace connector with throwaway secrets, pointed at an
 * embedded simulator whose users send signed security webhooks to Rampart's real endpoint, with an attack
 * injected every few minutes. Runs when `demo.enabled` and no `connectors.workplace` is configured.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { Config } from './config/schema.ts';
import type { Logger } from './core/logger.ts';
import { WorkplaceConfigSchema } from './connectors/workplace/config.ts';
import { WorkplaceConnector } from './connectors/workplace/index.ts';
import { startDemoTenant, type DemoTenant } from './connectors/workplace/simulator/demo.ts';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });

export interface DemoWiring {
  connector: WorkplaceConnector;
  /** Starts the simulated tenant once Rampart listens at `serviceUrl`. */
  start(serviceUrl: string): Promise<void>;
  stop(): Promise<void>;
}

export const demoWanted = (config: Config): boolean => config.demo.enabled && !config.connectors.workplace;

export async function wireDemo(config: Config, logger: Logger): Promise<DemoWiring> {
  const simPort = await freePort();
  const secret = () => randomBytes(24).toString('base64url');
  // Throwaway secrets live in a private environment object, never in process.env, the config or the logs.
  const env = { DEMO_APP_SECRET: secret(), DEMO_VERIFY_TOKEN: secret(), DEMO_ACCESS_TOKEN: `DQ${secret()}` };
  const simUrl = `http://127.0.0.1:${simPort}`;
  const wpConfig = WorkplaceConfigSchema.parse({
    communityId: 'demo',
    appSecret: { env: 'DEMO_APP_SECRET' },
    verifyToken: { env: 'DEMO_VERIFY_TOKEN' },
    accessToken: { env: 'DEMO_ACCESS_TOKEN' },
    graphBaseUrl: `${simUrl}/graph`,
    scimBaseUrl: `${simUrl}/scim`,
    directorySyncIntervalSecs: 0, // synced below once the simulator is up
  });
  const connector = new WorkplaceConnector(wpConfig, { maxBodyBytes: config.server.maxBodyBytes, env });
  const abort = new AbortController();
  let tenant: DemoTenant | null = null;
  let syncTimer: NodeJS.Timeout | undefined;
  const log = logger.child({ component: 'demo' });

  const sync = () =>
    connector.syncDirectory().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'demo directory sync failed'));

  return {
    connector,
    async start(serviceUrl) {
      tenant = await startDemoTenant({
        callbackUrl: `${serviceUrl}${wpConfig.webhookPath}`,
        verifyToken: env.DEMO_VERIFY_TOKEN,
        appSecret: env.DEMO_APP_SECRET,
        accessToken: env.DEMO_ACCESS_TOKEN,
        port: simPort,
        users: config.demo.users,
        eventsPerSec: config.demo.eventsPerSec,
        attackEverySecs: config.demo.attackEverySecs,
        seed: config.demo.seed,
        historyDays: config.demo.historyDays,
        onHistory: (replayed, acked) => log.info({ replayed, acked }, 'demo tenant: history delivered'),
        signal: abort.signal,
        onAttack: (r) => log.info({ scenario: r.scenario, label: r.label }, 'demo tenant: attack injected'),
      });
      await sync();
      syncTimer = setInterval(() => void sync(), 120_000);
      syncTimer.unref();
      log.info({ simulator: simUrl, users: config.demo.users }, 'demo tenant started (turn off with demo.enabled: false)');
    },
    async stop() {
      clearInterval(syncTimer);
      abort.abort();
      await tenant?.stop();
    },
  };
}
