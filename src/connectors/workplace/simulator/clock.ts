/**
 * @module simulator/clock
 * The simulated tenant's clock. `speed` 0 is a manual clock (moves only by advance/set: tests), 1 is real time,
 * 3600 makes an hour pass every second so a month of traffic streams in minutes.
 */

export interface SimClockOptions {
  /** Simulated time at creation, ms since epoch (default: the real time now). */
  startMs?: number;
  /** Simulated ms per real ms (default 1). */
  speed?: number;
}

export class SimClock {
  #baseSim: number;
  #baseReal: number;
  #speed: number;

  constructor(opts: SimClockOptions = {}) {
    this.#baseReal = Date.now();
    this.#baseSim = opts.startMs ?? this.#baseReal;
    this.#speed = opts.speed ?? 1;
  }

  /** A clock that only moves when told to (deterministic tests). */
  static manual(startMs: number): SimClock {
    return new SimClock({ startMs, speed: 0 });
  }

  get speed(): number {
    return this.#speed;
  }

  now(): number {
    return Math.floor(this.#baseSim + (Date.now() - this.#baseReal) * this.#speed);
  }

  nowSecs(): number {
    return Math.floor(this.now() / 1000);
  }

  advance(ms: number): void {
    this.#baseSim += ms;
  }

  set(ms: number): void {
    this.#baseSim = ms;
    this.#baseReal = Date.now();
  }

  setSpeed(speed: number): void {
    this.#baseSim = this.now();
    this.#baseReal = Date.now();
    this.#speed = speed;
  }
}

/** Workplace's time format: `2021-03-29T12:00:20+0000` [R for webhook payloads]. */
export function workplaceTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export function parseWorkplaceTime(s: string): number {
  return Date.parse(s.replace(/\+0000$/, 'Z'));
}
