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
  /**
   * How `rampart scan` holds a record's activity while it sorts by event time. `line` (the default) keeps the
   * input line and parses it again after the sort: cheaper than JSON.stringify and JSON.parse of the activity
   * when `parse` is a light mapping. `activity` keeps the activity's JSON: for formats whose `parse` costs more
   * than that (schema validation). Lines that make several activities are always held as activity JSON.
   */
  readonly scanHold?: 'line' | 'activity';
  /** Cheap structural test on an already parsed JSON object. */
  detect(record: Record<string, unknown>): boolean;
  /**
   * Converts the record. Throws RampartError(RAMPART_ERR_INPUT_INVALID_RECORD) with the reason when the record
   * is recognised but invalid. Unknown event names are not errors: they map to category `other`.
   * Must be pure: the same record and context give the same activities (ids included), because `rampart scan`
   * holds a line's bytes while it sorts and parses the line again afterwards.
   */
  parse(record: Record<string, unknown>, ctx: InputContext): Activity[];
}
