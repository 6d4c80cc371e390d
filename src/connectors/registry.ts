/**
 * @module connectors/registry
 * The one place connectors and input formats are listed. Adding an app = one folder + one line here.
 */
import type { InputFormat } from './input-format.ts';
import { rampartFormat } from '../schema/rampart-format.ts';

/** Input formats for `rampart scan`, tried in order per line. */
export const INPUT_FORMATS: readonly InputFormat[] = [rampartFormat];

export function detectFormat(record: Record<string, unknown>): InputFormat | null {
  for (const f of INPUT_FORMATS) if (f.detect(record)) return f;
  return null;
}
