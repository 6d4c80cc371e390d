/**
 * @module api/events
 * Live alerts for the console: an AlertSink (added to the pipeline's sinks) that broadcasts every new or
 * updated alert as a server-sent event. The API also publishes alerts a person changed, so every open console
 * sees a triage at once. Slow clients are dropped rather than buffered without bound.
 */
import type { ServerResponse } from 'node:http';
import type { AlertSink } from '../core/pipeline.ts';
import type { Alert } from '../schema/alert.ts';

export interface AlertEvent {
  type: 'alert.raised' | 'alert.updated';
  alert: Alert;
}

const MAX_CLIENTS = 200;
/** A client with this much unsent data is too slow to follow; it is disconnected (it reconnects and refetches). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

export class AlertStream implements AlertSink {
  readonly name = 'api-events';
  readonly #clients = new Set<ServerResponse>();
  #seq = 0;
  #heartbeat: NodeJS.Timeout | null = null;

  get clientCount(): number {
    return this.#clients.size;
  }

  /** Pipeline sink: an alert new or changed by detection. */
  onAlert(alert: Alert): void {
    this.publish({ type: alert.count > 1 || alert.createdAt !== alert.updatedAt ? 'alert.updated' : 'alert.raised', alert });
  }

  publish(e: AlertEvent): void {
    if (this.#clients.size === 0) return;
    const frame = `id: ${++this.#seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e.alert)}\n\n`;
    for (const res of this.#clients) this.#write(res, frame);
  }

  /** Takes over a raw response as an event stream; false when the server has too many listeners. */
  attach(res: ServerResponse, headers: Record<string, string>): boolean {
    if (this.#clients.size >= MAX_CLIENTS) return false;
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 3000\n: connected\n\n`);
    this.#clients.add(res);
    res.on('close', () => this.#clients.delete(res));
    this.#heartbeat ??= setInterval(() => {
      for (const c of this.#clients) this.#write(c, ': keep-alive\n\n');
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
    return true;
  }

  #write(res: ServerResponse, frame: string): void {
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      this.#clients.delete(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }

  close(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    for (const res of this.#clients) res.end();
    this.#clients.clear();
  }
}
