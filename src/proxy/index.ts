/**
 * @module proxy
 * Real-time session control (docs/session-control.md). `startProxyForConfig` is what `rampart proxy` and
 * `rampart serve` call: it takes the loaded config (key `proxy`) and the pipeline activities go into.
 */
import { fileURLToPath } from 'node:url';
import type { LoadedConfig } from '../config/load.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import { resolveProxyPaths } from './config.ts';
import { startProxy, type ProxyActivitySink, type SessionProxy, type StartProxyOptions } from './server.ts';

export { startProxy, type ProxyActivitySink, type SessionProxy, type StartProxyOptions } from './server.ts';
export { ProxyConfigSchema, resolveProxyPaths, type ProxyConfig, type ProxyConfigInput } from './config.ts';
export { SessionPolicySchema, sessionPolicyJsonSchema, type SessionPolicy } from './policy/schema.ts';
export { signAssertion, verifyAssertion } from './signed-header.ts';
export { VALID_CLIENT_CERT_TAG } from './identity.ts';

/** Session policy templates (copy them into proxy.policiesDirectory to use them). */
export const SESSION_POLICY_TEMPLATES_DIR = fileURLToPath(new URL('./policy/templates/', import.meta.url));

/** Starts the session proxy from `config.proxy`; null when the key is absent or disabled. */
export async function startProxyForConfig(
  loaded: LoadedConfig,
  deps: { sink: ProxyActivitySink; logger: Logger; metrics: Metrics; port?: number } & Pick<StartProxyOptions, 'directoryUser'>,
): Promise<SessionProxy | null> {
  const p = loaded.config.proxy;
  if (!p || !p.enabled) return null;
  return startProxy({
    config: resolveProxyPaths(p, loaded.baseDir),
    sink: deps.sink,
    logger: deps.logger.child({ component: 'proxy' }),
    metrics: deps.metrics,
    organizationDomains: loaded.config.organization.domains,
    directoryUser: deps.directoryUser,
    port: deps.port,
  });
}
