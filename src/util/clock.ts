import { performance } from 'node:perf_hooks';

/** A pending timer; cancel() before it fires stops it (idempotent, harmless after it fired). */
export interface Timer {
  cancel(): void;
}

/**
 * Time as elf sees it: the one clock, injected wherever code waits or measures, so tests drive it
 * with a virtual clock (test/helpers/virtual-clock.ts) instead of waiting on the wall clock.
 */
export interface Clock {
  /** monotonic milliseconds */
  now(): number;
  /** wall-clock milliseconds since the epoch (timestamps in payloads) */
  wall(): number;
  /** resolves after ms, or early when the signal aborts (never rejects); at once for ms <= 0 */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** calls fn once, ms from now (any length) */
  after(ms: number, fn: () => void): Timer;
  /** calls fn every ms (at least 1) until cancelled */
  every(ms: number, fn: () => void): Timer;
}

/** The longest delay setTimeout honours: a longer one fires at once (Node clamps it to 1 ms). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout for any delay: delays over MAX_TIMER_MS (24.8 days; `--duration` allows a year) re-arm in steps. */
function after(ms: number, fn: () => void): Timer {
  let handle: NodeJS.Timeout;
  const arm = (left: number) => {
    handle = left > MAX_TIMER_MS ? setTimeout(() => arm(left - MAX_TIMER_MS), MAX_TIMER_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm(ms);
  return { cancel: () => clearTimeout(handle) };
}

function every(ms: number, fn: () => void): Timer {
  const handle = setInterval(fn, Math.max(1, ms));
  return { cancel: () => clearInterval(handle) };
}

/** Sleeps ms, resolving early (not rejecting) when the signal aborts; at once for ms <= 0. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = after(ms, done);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export const systemClock: Clock = {
  now: () => performance.now(),
  wall: () => Date.now(),
  sleep,
  after,
  every,
};
