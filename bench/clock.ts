/** Wall-clock and process CPU time (user + system, every thread) spent in timed phases of a benchmark. */

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
