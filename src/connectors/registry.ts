/**
 * @module connectors/registry
 * The one place where connectors and input formats are listed. `rampart serve` starts each enabled
 * connector; `rampart scan` tries the input formats in this order, per line.
 */
import type { Config } from '../config/schema.ts';
import type { Connector } from './connector.ts';
import type { InputFormat } from './input-format.ts';
import { WorkplaceConnector, type WorkplaceConnectorOptions } from './workplace/index.ts';
import { workplaceWebhookFormat } from './workplace/format.ts';

export interface ConnectorFactoryOptions {
  maxBodyBytes?: number;
  env?: NodeJS.ProcessEnv;
}

interface ConnectorEntry {
  id: string;
  /** Returns the connector when its config section is present and enabled, else null. */
  create(config: Config, opts: ConnectorFactoryOptions): Connector | null;
}

export const CONNECTORS: readonly ConnectorEntry[] = [
  {
    id: 'workplace',
    create(config, opts) {
      const c = config.connectors.workplace;
      if (!c || !c.enabled) return null;
      const o: WorkplaceConnectorOptions = { maxBodyBytes: opts.maxBodyBytes ?? config.server.maxBodyBytes, env: opts.env };
      return new WorkplaceConnector(c, o);
    },
  },
];

/** Enabled connectors for a config, in registry order. */
export function createConnectors(config: Config, opts: ConnectorFactoryOptions = {}): Connector[] {
  return CONNECTORS.map((e) => e.create(config, opts)).filter((c): c is Connector => c !== null);
}

/** Input formats for `rampart scan`, tried in order (the lead adds the `rampart` format first). */
export const INPUT_FORMATS: InputFormat[] = [workplaceWebhookFormat];

export const inputFormat = (id: string): InputFormat | undefined => INPUT_FORMATS.find((f) => f.id === id);
