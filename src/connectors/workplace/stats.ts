/**
 * @module connectors/workplace/stats
 * What `health()` reports, fed by the webhook receiver, the directory sync and the audit pull:
 * last event time, events per minute over a sliding minute, errors by (bounded) kind.
 */
export class ConnectorStats {
  lastEventTime: string | null = null;
  readonly errorsByKind: Record<string, number> = {};
  #buckets = new Array<number>(60).fill(0);
  #bucketSecs = new Array<number>(60).fill(0);

  constructor(private readonly now: () => number = Date.now) {}

  events(n: number, latestEventTime: string | null): void {
    const sec = Math.floor(this.now() / 1000);
    const i = sec % 60;
    if (this.#bucketSecs[i] !== sec) {
      this.#bucketSecs[i] = sec;
      this.#buckets[i] = 0;
    }
    this.#buckets[i] += n;
    if (latestEventTime && (!this.lastEventTime || latestEventTime > this.lastEventTime)) this.lastEventTime = latestEventTime;
  }

  error(kind: string): void {
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
  }

  /** Events received in the last 60 seconds. */
  eventsPerMin(): number {
    const sec = Math.floor(this.now() / 1000);
    let sum = 0;
    for (let i = 0; i < 60; i++) if (sec - this.#bucketSecs[i] < 60) sum += this.#buckets[i];
    return sum;
  }
}
