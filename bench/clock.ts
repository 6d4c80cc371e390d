/** Wall-clock and process CPU time (user + system, every thread) spent in timed phases of a benchmark. */
import { execFileSync } from 'node:child_process';

export interface Clock {
  cpu: number;
  wall: number;
}

export const newClock = (): Clock => ({ cpu: 0, wall: 0 });

/** Process CPU time so far, in ms: every thread, so worker threads and GC helpers count too. */
export const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Runs `fn` and adds its wall-clock and CPU time to `clock`. */
export async function timed(clock: Clock, fn: () => void | Promise<void>): Promise<void> {
  const c0 = cpuMs();
  const w0 = performance.now();
  await fn();
  clock.cpu += cpuMs() - c0;
  clock.wall += performance.now() - w0;
}

/** Quiet windows in a row that make "idle": together longer than the store checkpointer's 100 ms pace. */
const IDLE_WINDOW_MS = 25;
const IDLE_WINDOWS = 6;

/** Resolves after IDLE_WINDOWS windows in a row in each of which the process used under a tenth of one vCPU (all threads). */
async function untilIdle(maxMs: number): Promise<void> {
  const t0 = performance.now();
  for (let quiet = 0; quiet < IDLE_WINDOWS && performance.now() - t0 < maxMs; ) {
    const c = cpuMs();
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    quiet = cpuMs() - c < IDLE_WINDOW_MS / 10 ? quiet + 1 : 0;
  }
}

/**
 * Waits, outside the timers, until the work earlier phases left behind is done: the kernel has written the dirty
 * pages of every file written so far (`sync`), and no thread of the process is busy (a store's writer thread runs
 * merge steps after its last acknowledgement, a checkpointer copies the WAL back). Phases are timed until their
 * last acknowledgement, as before; until 2026-11-27 that leftover work ran into the next phase, and when that was
 * the ceiling, JSON.parse alone (a), it lowered the ceiling and raised every ratio against it ((a) measured
 * 40-65% faster in runs without the store phases).
 */
export async function settle(maxMs = 10_000): Promise<void> {
  execFileSync('sync');
  await untilIdle(maxMs);
}
