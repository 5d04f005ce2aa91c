// How long the live path has held this process's event loop: the wall time of its synchronous
// work (evaluating traces, filling buffers, rendering and writing frames). Under CPU contention
// wall time includes time the process was not running, so it bounds the live path's CPU from
// above. Reported in LiveServerStats.busyMs; bench/live.ts turns it into a cost per span.
let busyMs = 0;

/** Runs `work`, adding its duration to the live path's busy time. */
export function timeLive<T>(work: () => T): T {
  const started = performance.now();
  try {
    return work();
  } finally {
    busyMs += performance.now() - started;
  }
}

/** Milliseconds the live path has held the event loop in this process so far. */
export const liveBusyMs = (): number => busyMs;
