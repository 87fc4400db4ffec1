import { performance } from 'node:perf_hooks';

/** Time as the publisher sees it; injected so tests can drive it. */
export interface Clock {
  /** monotonic milliseconds */
  now(): number;
  /** wall-clock milliseconds since the epoch (for timestamps in payloads) */
  wall(): number;
  /** resolves after ms, or early when the signal aborts (never rejects) */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted || ms <= 0) return resolve();
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      signal?.addEventListener('abort', done, { once: true });
    }),
};
