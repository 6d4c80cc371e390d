/**
 * @module connectors/registry
 * The one place connectors and input formats are listed. Adding an app = one folder + one line here.
 * `rampart serve` starts each enabled connector; `rampart scan` tries the input formats in order, per line.
 */
import type { Config } from '../config/schema.ts';
import type { Connector } from './connector.ts';
import type { InputFormat } from './input-format.ts';
import { rampartFormat } from '../schema/rampart-format.ts';
import { WorkplaceConnector } from './workplace/index.ts';
import { workplaceWebhookFormat } from './workplace/format.ts';

/** Input formats for `rampart scan`, tried in order per line. */
export const INPUT_FORMATS: readonly InputFormat[] = [rampartFormat, workplaceWebhookFormat];

export function detectFormat(record: Record<string, unknown>): InputFormat | null {
  for (const f of INPUT_FORMATS) if (f.detect(record)) return f;
  return null;
}

export interface ConnectorFactoryOptions {
  /** Webhook body limit; defaults to server.maxBodyBytes. */
  maxBodyBytes?: number;
  env?: NodeJS.ProcessEnv;
}

interface ConnectorEntry {
  readonly id: string;
  /** The connector when its config section is present and enabled, else null. */
  create(config: Config, opts: ConnectorFactoryOptions): Connector | null;
}

export const CONNECTORS: readonly ConnectorEntry[] = [
  {
    id: 'workplace',
    create(config, opts) {
      const c = config.connectors.workplace;
      if (!c || !c.enabled) return null;
      return new WorkplaceConnector(c, { maxBodyBytes: opts.maxBodyBytes ?? config.server.maxBodyBytes, env: opts.env });
    },
  },
];

/** Enabled connectors for a config, in registry order. */
export function createConnectors(config: Config, opts: ConnectorFactoryOptions = {}): Connector[] {
  return CONNECTORS.map((e) => e.create(config, opts)).filter((c): c is Connector => c !== null);
}
