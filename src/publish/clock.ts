import { performance } from 'node:perf_hooks';
import { sleep } from '../sleep.js';

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
  sleep,
};
