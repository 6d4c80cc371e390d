/**
 * @module api/context
 * What route files receive: the service's parts (deps, given by startService) plus the API's own services.
 */
import type { Config } from '../config/schema.ts';
import type { Logger } from '../core/logger.ts';
import type { Metrics } from '../core/metrics.ts';
import type { Pipeline } from '../core/pipeline.ts';
import type { Connector } from '../connectors/connector.ts';
import type { DetectionEngine } from '../detect/engine.ts';
import type { Policy } from '../detect/policy/index.ts';
import { DirectoryIndex, type FilterEnv } from '../detect/policy/index.ts';
import type { GovernanceService } from '../actions/governance.ts';
import type { PostureApi } from '../posture/routes.ts';
import type { RampartEnricher } from '../enrich/index.ts';
import type { Store } from '../store/store.ts';
import type { AccountService } from './auth/accounts.ts';
import type { AuditLog } from './audit.ts';
import type { AlertStream } from './events.ts';
import { KeyedLock } from './lock.ts';
import type { Suppressions } from './suppressions.ts';

export interface ApiDeps {
  store: Store;
  enricher: Pick<RampartEnricher, 'setIpRanges'>;
  engine: DetectionEngine;
  /** The API adds its live-alert sink to it. */
  pipeline?: (Pick<Pipeline, 'addSink'> & Partial<Pick<Pipeline, 'setSuppressor'>>) | null;
  connectors: readonly Connector[];
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Governance actions (src/actions); without it the /api/actions routes answer 503. */
  governance?: Pick<GovernanceService, 'list' | 'get' | 'act' | 'retry' | 'revert' | 'approve' | 'reject'> | null;
  /** Security posture (src/posture); without it the /api/posture routes answer 503. */
  posture?: PostureApi | null;
  /**
   * Told the full list of API-managed policies after every change, to reload the live policy set, with the name
   * of the policy a person just wrote or deleted (a person's write clears that policy's automatic disable).
   */
  onPoliciesChanged?: (policies: Policy[], changed: string) => void | Promise<void>;
  /** Where the first-start one-time password is written (default stdout; never the logger). */
  printOnce?: (text: string) => void;
  /** scrypt N (default 2^15; tests lower it). */
  scryptCost?: number;
  now?: () => number;
}

export interface ApiContext extends ApiDeps {
  accounts: AccountService;
  audit: AuditLog;
  stream: AlertStream;
  suppressions: Suppressions;
  locks: KeyedLock;
  now: () => number;
  /** Filter environment for the policy language (directory lookups, organisation domains), cached briefly. */
  filterEnv(): Promise<FilterEnv>;
}

const ENV_TTL_MS = 30_000;

export function filterEnvCache(store: Store, config: Config, now: () => number): () => Promise<FilterEnv> {
  let cached: { at: number; env: FilterEnv } | null = null;
  return async () => {
    if (cached && now() - cached.at < ENV_TTL_MS) return cached.env;
    const index = new DirectoryIndex(await store.listDirectoryUsers());
    const orgDomains = (config as Config & { organization?: { domains: string[] } }).organization?.domains ?? [];
    cached = { at: now(), env: { directoryUser: index.lookup, orgDomains } };
    return cached.env;
  };
}

export const newLocks = (): KeyedLock => new KeyedLock();
