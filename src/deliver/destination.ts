/**
 * @module deliver/destination
 * The small interface every alert destination implements (email, webhook, syslog), plus what they share:
 * the outcome of one attempt, the retry rule, the document store slice they use and the console link.
 */
import { readFileSync } from 'node:fs';
import type { Alert } from '../schema/alert.ts';
import type { Store } from '../store/store.ts';
import { RampartError } from '../core/errors.ts';

export type DestinationType = 'email' | 'webhook' | 'syslog';

/** One attempt that did not throw: sent, or deliberately not sent (e.g. email daily limit). */
export interface DeliveryResult {
  outcome: 'sent' | 'skipped';
  /** Why skipped, or what the destination answered (message id, HTTP status). */
  detail?: string;
  /** Email: recipients left out because their daily limit was reached. */
  skippedRecipients?: string[];
}

/**
 * Sends one alert. Throws on failure: a RampartError RAMPART_ERR_DELIVER_REJECTED for a permanent refusal
 * (not retried); anything else is treated as transient and retried by the dispatcher. An attempt should end
 * within the destination's `timeoutMs` (RAMPART_ERR_DELIVER_TIMEOUT), and soon after `signal` aborts (shutdown);
 * the dispatcher stops waiting for it at shutdown either way.
 */
export interface Destination {
  readonly name: string;
  readonly type: DestinationType;
  send(alert: Alert, signal?: AbortSignal): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** The part of the Store that delivery uses (delivery log, email quota). */
export type DocStore = Pick<Store, 'putDoc' | 'getDoc' | 'listDocs'>;

/** Wall clock, injectable so tests can cross midnight UTC without waiting. */
export type Clock = () => Date;
export const systemClock: Clock = () => new Date();

export const isPermanent = (err: unknown): boolean => err instanceof RampartError && err.code === 'RAMPART_ERR_DELIVER_REJECTED';

/** `<base>/alerts/<id>`, tolerant of a trailing slash on the base. */
export function alertLink(consoleBaseUrl: string, alertId: string): string {
  return `${consoleBaseUrl.replace(/\/+$/, '')}/alerts/${encodeURIComponent(alertId)}`;
}

/** A short, log-safe error text (first line, bounded). */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 500);
}

/** Reads a PEM file named in the config; a missing file is a config error naming the file, not a crash. */
export function readPemFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new RampartError('RAMPART_ERR_CONFIG_UNREADABLE', [path, (cause as NodeJS.ErrnoException).code ?? errorText(cause)], { cause });
  }
}
