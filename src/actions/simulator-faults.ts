/**
 * @module actions/simulator-faults
 * Switchable faults for the loopback provider simulators (tests only): the next N requests are
 * throttled (429 + the provider's wait header), fail with 5xx ("down"), or hang until the client
 * gives up (timeouts).
 */

export type Fault = { kind: 'throttle'; retryAfterSecs: number } | { kind: 'down'; status: number } | { kind: 'hang' };

export class Faults {
  #queue: Array<{ fault: Fault; left: number }> = [];

  /** The next `n` requests answer 429 asking to wait `retryAfterSecs`. */
  throttle(n: number, retryAfterSecs = 0): this {
    this.#queue.push({ fault: { kind: 'throttle', retryAfterSecs }, left: n });
    return this;
  }

  /** The next `n` requests answer a 5xx (503 by default). */
  down(n: number, status = 503): this {
    this.#queue.push({ fault: { kind: 'down', status }, left: n });
    return this;
  }

  /** The next `n` requests never get an answer. */
  hang(n: number): this {
    this.#queue.push({ fault: { kind: 'hang' }, left: n });
    return this;
  }

  /** Back to normal. */
  reset(): this {
    this.#queue = [];
    return this;
  }

  get pending(): number {
    return this.#queue.reduce((s, q) => s + q.left, 0);
  }

  /** Consumes the fault for one request, if any. */
  take(): Fault | null {
    const head = this.#queue[0];
    if (!head) return null;
    if (--head.left <= 0) this.#queue.shift();
    return head.fault;
  }
}
