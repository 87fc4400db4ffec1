import { MAX_PAYLOAD_BYTES, MAX_PUBLISHES_PER_SEC_PER_CONNECTION } from '../aws/limits.js';
import type { DeviceConnection, QoS } from '../mqtt/index.js';
import type { Clock } from '../util/clock.js';
import type { FeedReader } from './fanout.js';
import type { SlotPacer } from './slot-pacer.js';
import { shapePayload, needsShaping, type PayloadOptions } from './payload.js';
import { TokenBucket } from '../util/token-bucket.js';
import { endTime, firstSlotFrom, slotTime, type ScheduleSpec } from './schedule.js';
import type { ThingStats } from './stats.js';

/** A publish handed to the client later than this after its slot counts as late. */
export const LATE_MS = 100;

export interface DeviceContext {
  k: number;
  conn: DeviceConnection;
  reader: FeedReader;
  spec: ScheduleSpec;
  stats: ThingStats;
  clock: Clock;
  /** wakes the thing for its slots (one timer for the fleet) */
  pacer: SlotPacer;
  topic: string;
  qos: QoS;
  /** stop after this many messages sent */
  count?: number;
  /** most publishes awaiting their acknowledgement on this connection */
  window: number;
  payload: PayloadOptions;
  awsLimits: boolean;
  /** aborts the schedule (duration end, Ctrl-C, give-up) */
  stop: AbortSignal;
  /** called when an acknowledgement arrives (for run-wide drain and rate) */
  onSettled?: () => void;
}

export type DeviceEnd = 'duration' | 'count' | 'end-of-input' | 'stopped';

/**
 * One thing's publishing loop: takes the next line when its slot comes due, publishes without
 * waiting for the acknowledgement (at most `window` outstanding), and never drifts: slot times are
 * computed from the schedule, so a late publish does not delay the next slot.
 */
export async function runDevice(ctx: DeviceContext): Promise<DeviceEnd> {
  const { spec, k, stats, clock, conn, reader, stop } = ctx;
  const end = endTime(spec);
  const paced = spec.intervalMs > 0;
  const shaping = needsShaping(ctx.payload);
  const bucket = ctx.awsLimits ? new TokenBucket(MAX_PUBLISHES_PER_SEC_PER_CONNECTION, MAX_PUBLISHES_PER_SEC_PER_CONNECTION, clock.now()) : undefined;
  let n = firstSlotFrom(spec, k, clock.now());
  /** a wait for the window to free (an acknowledgement) and a wait for the next slot */
  let windowWaiter: (() => void) | undefined;
  let slotWaiter: (() => void) | undefined;

  const settled = () => {
    stats.inflight--;
    ctx.onSettled?.();
    if (windowWaiter && stats.inflight < ctx.window) {
      const w = windowWaiter;
      windowWaiter = undefined;
      w();
    }
  };
  const publish = (payload: string) => {
    const t0 = clock.now();
    stats.sent++;
    stats.inflight++;
    conn.send(ctx.topic, payload, ctx.qos, (error) => {
      if (error === undefined) {
        stats.acked++;
        if (ctx.qos === 1) stats.latency.record(clock.now() - t0);
      } else {
        stats.failed++;
        stats.lastError = error;
      }
      settled();
    });
  };
  // one abort listener per device wakes a waiting loop (not one per wait: this is the hot path)
  const wake = () => {
    const waiters = [windowWaiter, slotWaiter];
    windowWaiter = slotWaiter = undefined;
    for (const w of waiters) w?.();
  };
  stop.addEventListener('abort', wake, { once: true });
  const windowFree = () =>
    new Promise<void>((resolve) => {
      if (stop.aborted) resolve();
      else windowWaiter = resolve;
    });
  const slot = (due: number) =>
    new Promise<void>((resolve) => {
      if (stop.aborted) return resolve();
      slotWaiter = resolve;
      ctx.pacer.at(due, resolve);
    });

  try {
    for (;;) {
      if (stop.aborted) return 'stopped';
      if (ctx.count !== undefined && stats.sent >= ctx.count) return 'count';
      const due = slotTime(spec, k, n);
      if (due >= end) return 'duration';
      let now = clock.now();
      if (due > now) {
        await slot(due);
        continue;
      }
      if (stats.inflight >= ctx.window) {
        await windowFree();
        continue;
      }
      const item = await reader.next();
      if (item === null) return 'end-of-input';
      if (stop.aborted) return 'stopped';
      n++;
      stats.scheduled++;
      const payload = shaping ? shapePayload(item.payload, stats.name, clock.wall(), ctx.payload) : item.payload;
      if (ctx.awsLimits && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
        stats.skipped++;
        continue;
      }
      if (bucket) {
        for (let wait = bucket.take(clock.now()); wait > 0 && !stop.aborted; wait = bucket.take(clock.now())) await clock.sleep(wait, stop);
        if (stop.aborted) return 'stopped';
      }
      if (paced) {
        now = clock.now();
        if (now - due > LATE_MS) stats.late++;
      }
      publish(payload);
    }
  } finally {
    stop.removeEventListener('abort', wake);
    reader.close();
  }
}
