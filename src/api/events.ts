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
/** Streams one principal may hold open (a console per tab): one token cannot take every slot. */
const MAX_CLIENTS_PER_PRINCIPAL = 8;
/** A client with this much unsent data is too slow to follow; it is disconnected (it reconnects and refetches). */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;

/** Who holds a stream, and how to ask whether their credential still opens it. */
export interface StreamClient {
  /** The principal (e.g. `principalLabel`), for the per-principal limit. */
  key: string;
  /** Authenticates the stream's credential again: false once it is revoked, signed out, disabled or deleted. */
  stillValid: () => Promise<boolean>;
}

export type AttachResult = 'attached' | 'server_full' | 'principal_full';

export interface AlertStreamOptions {
  /** Moves when some credential may have stopped working (AccountService.credentialsEpoch). */
  credentialsEpoch?: () => number;
}

export class AlertStream implements AlertSink {
  readonly name = 'api-events';
  readonly #clients = new Map<ServerResponse, StreamClient>();
  readonly #epoch: () => number;
  #checkedEpoch = 0;
  #seq = 0;
  #heartbeat: NodeJS.Timeout | null = null;
  /** Frames and checks run one after another, so a check that drops a client lands before the next frame. */
  #queue: Promise<void> = Promise.resolve();

  constructor(o: AlertStreamOptions = {}) {
    this.#epoch = o.credentialsEpoch ?? (() => 0);
    this.#checkedEpoch = this.#epoch();
  }

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
    this.#enqueue(async () => {
      // A credential revoked since the last check must not receive this alert: check every client first.
      if (this.#epoch() !== this.#checkedEpoch) await this.revalidate();
      for (const res of this.#clients.keys()) this.#write(res, frame);
    });
  }

  /** Takes over a raw response as an event stream, unless the server or this principal has too many. */
  attach(res: ServerResponse, headers: Record<string, string>, client: StreamClient): AttachResult {
    if (this.#clients.size >= MAX_CLIENTS) return 'server_full';
    let mine = 0;
    for (const c of this.#clients.values()) if (c.key === client.key) mine++;
    if (mine >= MAX_CLIENTS_PER_PRINCIPAL) return 'principal_full';
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write(`retry: 3000\n: connected\n\n`);
    this.#clients.set(res, client);
    res.on('close', () => this.#clients.delete(res));
    // The heartbeat also checks every credential again: it catches changes made by another process (the CLI).
    this.#heartbeat ??= setInterval(() => {
      this.#enqueue(async () => {
        await this.revalidate();
        for (const c of this.#clients.keys()) this.#write(c, ': keep-alive\n\n');
      });
    }, HEARTBEAT_MS);
    this.#heartbeat.unref();
    return 'attached';
  }

  /** Ends every stream whose credential no longer authenticates (an error checking it counts as no). */
  async revalidate(): Promise<void> {
    const epoch = this.#epoch();
    await Promise.all(
      [...this.#clients].map(async ([res, c]) => {
        const ok = await c.stillValid().catch(() => false);
        if (!ok && this.#clients.delete(res)) res.end();
      }),
    );
    this.#checkedEpoch = epoch;
  }

  #enqueue(task: () => Promise<void>): void {
    this.#queue = this.#queue.then(task).catch(() => undefined);
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
    for (const res of this.#clients.keys()) res.end();
    this.#clients.clear();
  }
}
