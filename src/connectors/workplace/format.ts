/**
 * @module connectors/workplace/format
 * The `workplace-webhook` input format of `rampart scan`: one webhook body per NDJSON line, normalized by the
 * same code as live deliveries, so a scanned file and a live stream give identical activities (and ids).
 */
import { RampartError, isRampartError } from '../../core/errors.ts';
import type { InputFormat } from '../input-format.ts';
import { normalizeEnvelope } from './normalize.ts';

export const workplaceWebhookFormat: InputFormat = {
  id: 'workplace-webhook',
  description: 'Workplace from Meta webhook bodies ({"object":"workplace_security","entry":[...]}), one per line',
  detect(record) {
    return typeof record.object === 'string' && Array.isArray(record.entry);
  },
  parse(record, ctx) {
    try {
      return normalizeEnvelope(record, { receivedAt: ctx.receivedAt, source: ctx.source }).activities;
    } catch (err) {
      if (isRampartError(err) && err.code === 'RAMPART_ERR_CONN_BAD_PAYLOAD') {
        throw new RampartError('RAMPART_ERR_INPUT_INVALID_RECORD', ['workplace-webhook', String(err.args[0])], { cause: err });
      }
      throw err;
    }
  },
};
