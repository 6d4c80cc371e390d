/**
 * @module connectors/input-format
 * An input format turns one parsed NDJSON record into activities (`rampart scan`, file imports).
 * Formats are listed in connectors/registry.ts; scan picks, per line, the first whose `detect` accepts it.
 */
import type { Activity } from '../schema/activity.ts';

export interface InputContext {
  /** When the record was read (becomes `receivedAt` where the record has none). */
  receivedAt: string;
  /** Source label for activities (`scan`, `webhook`, ...). */
  source: string;
}

export interface InputFormat {
  readonly id: string; // 'rampart', 'workplace-webhook'
  readonly description: string;
  /** Cheap structural test on an already parsed JSON object. */
  detect(record: Record<string, unknown>): boolean;
  /**
   * Converts the record. Throws RampartError(RAMPART_ERR_INPUT_INVALID_RECORD) with the reason when the record
   * is recognised but invalid. Unknown event names are not errors: they map to category `other`.
   */
  parse(record: Record<string, unknown>, ctx: InputContext): Activity[];
}
