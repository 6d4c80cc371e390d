/**
 * The session proxy in a process of its own for bench/proxy.bench.ts (as deployed: the proxy does not share an
 * event loop with the app or the load generator). Config JSON in argv[2]; prints "@@URL@@<url>".
 * Activities are enriched from the user agent and counted; the store write is not part of the request path.
 */
import { silentLogger } from '../src/core/logger.ts';
import { Metrics } from '../src/core/metrics.ts';
import { UserAgentParser } from '../src/enrich/user-agent.ts';
import { ProxyConfigSchema } from '../src/proxy/config.ts';
import { startProxy } from '../src/proxy/server.ts';
import type { Activity } from '../src/schema/activity.ts';

const ua = new UserAgentParser();
let recorded = 0;
const proxy = await startProxy({
  config: ProxyConfigSchema.parse(JSON.parse(process.argv[2])),
  sink: {
    enrich(acts: Activity[]) {
      for (const a of acts) if (a.userAgent) a.device = { ...ua.parse(a.userAgent).device, tags: a.device?.tags ?? [] };
    },
    async ingest(acts: Activity[]) {
      recorded += acts.length;
    },
    async publish() {},
  },
  logger: silentLogger(),
  metrics: new Metrics(),
  port: 0,
});
process.stdout.write(`@@URL@@${proxy.url}\n`);
process.on('SIGTERM', () => {
  process.stderr.write(`proxy-server: ${recorded} activities recorded\n`);
  void proxy.close().then(() => process.exit(0));
});
