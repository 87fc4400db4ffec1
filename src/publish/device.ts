import { MAX_PAYLOAD_BYTES, MAX_PUBLISHES_PER_SEC_PER_CONNECTION } from '../aws/limits.js';
import type { DeviceConnection, QoS } from '../mqtt/index.js';
import type { ThingTraffic } from '../traffic/traffic.js';
import type { ThingReplay } from '../traffic/replay.js';
import type { Clock } from '../util/clock.js';
import type { FeedReader } from './fanout.js';
import type { SlotPacer } from './slot-pacer.js';
import { shapePayload, needsShaping, type PayloadOptions } from './payload.js';
import { TokenBucket } from '../util/token-bucket.js';
import { endTime, firstSlotFrom, slotTime, type ScheduleSpec } from './schedule.js';
import type { ThingStats } from './stats.js';
import type { RunTimeline } from './timeline.js';

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
  /** the thing's generated traffic (payload template, topic template); the line as it is without */
  traffic?: ThingTraffic;
  /** --replay-time: each line is due at its own time on the data's clock instead of on the schedule */
  replay?: ThingReplay;
  /** every n-th message also updates the thing's classic shadow (`reported` = the payload) */
  shadowEvery?: number;
  awsLimits: boolean;
  /** aborts the schedule (duration end, Ctrl-C, give-up) */
  stop: AbortSignal;
  /** the run second by second, when kept */
  timeline?: RunTimeline;
  /** called when an acknowledgement arrives (for run-wide drain and rate) */
  onSettled?: () => void;
}

export type DeviceEnd = 'duration' | 'count' | 'end-of-input' | 'stopped';

/**
 * One thing's publishing loop: takes the next line when its slot comes due, publishes without
 * waiting for the acknowledgement (at most `window` outstanding), and never drifts: slot times are
 * computed from the schedule, so a late publish does not delay the next slot.
 */
export function runDevice(ctx: DeviceContext): Promise<DeviceEnd> {
  return new DeviceLoop(ctx).run();
}

/**
 * The loop's steps, as methods over one object (the hot path: no closure or promise is made per
 * message beyond the waits themselves).
 */
class DeviceLoop {
  private readonly end: number;
  private readonly paced: boolean;
  private readonly shaping: boolean;
  private readonly bucket: TokenBucket | undefined;
  /** a wait for the window to free (an acknowledgement) and a wait for the next slot */
  private windowWaiter: (() => void) | undefined;
  private slotWaiter: (() => void) | undefined;
  /** the topic of the payload being published */
  private topic: string;
  /** --shadow-every: the thing's classic shadow update topic */
  private readonly shadowTopic: string;

  constructor(private readonly ctx: DeviceContext) {
    this.end = endTime(ctx.spec);
    this.paced = ctx.spec.intervalMs > 0;
    this.shaping = needsShaping(ctx.payload);
    this.bucket = ctx.awsLimits ? new TokenBucket(MAX_PUBLISHES_PER_SEC_PER_CONNECTION, MAX_PUBLISHES_PER_SEC_PER_CONNECTION, ctx.clock.now()) : undefined;
    this.topic = ctx.topic;
    this.shadowTopic = `$aws/things/${ctx.stats.name}/shadow/update`;
  }

  async run(): Promise<DeviceEnd> {
    if (this.ctx.replay) return this.replay(this.ctx.replay);
    const { ctx } = this;
    const { spec, k, stats, clock, reader, stop } = ctx;
    let n = firstSlotFrom(spec, k, clock.now());
    // one abort listener per device wakes a waiting loop (not one per wait: this is the hot path)
    stop.addEventListener('abort', this.wake, { once: true });
    try {
      for (;;) {
        if (stop.aborted) return 'stopped';
        if (ctx.count !== undefined && stats.sent >= ctx.count) return 'count';
        const due = slotTime(spec, k, n);
        if (due >= this.end) return 'duration';
        if (due > clock.now()) {
          await this.slot(due);
          continue;
        }
        if (stats.inflight >= ctx.window) {
          await this.windowFree();
          continue;
        }
        const item = await reader.next();
        if (item === null) return 'end-of-input';
        if (stop.aborted) return 'stopped';
        n++;
        stats.scheduled++;
        const payload = this.payloadOf(item.payload);
        if (payload === undefined) continue;
        if (this.bucket && !(await this.throttle())) return 'stopped';
        if (this.paced && clock.now() - due > LATE_MS) stats.late++;
        this.publish(payload);
      }
    } finally {
      stop.removeEventListener('abort', this.wake);
      reader.close();
    }
  }

  /** --replay-time: reads a line, waits for its time on the data's clock, publishes it. */
  private async replay(replay: ThingReplay): Promise<DeviceEnd> {
    const { ctx } = this;
    const { stats, clock, reader, stop } = ctx;
    stop.addEventListener('abort', this.wake, { once: true });
    try {
      for (;;) {
        if (stop.aborted) return 'stopped';
        if (ctx.count !== undefined && stats.sent >= ctx.count) return 'count';
        if (stats.inflight >= ctx.window) {
          await this.windowFree();
          continue;
        }
        const item = await reader.next();
        if (item === null) return 'end-of-input';
        const due = replay.due(item.payload, clock.now());
        if (due >= this.end) return 'duration';
        if (due > clock.now()) await this.slot(due);
        if (stop.aborted) return 'stopped';
        stats.scheduled++;
        const payload = this.payloadOf(item.payload);
        if (payload === undefined) continue;
        if (this.bucket && !(await this.throttle())) return 'stopped';
        if (clock.now() - due > LATE_MS) stats.late++;
        this.publish(payload);
      }
    } finally {
      stop.removeEventListener('abort', this.wake);
      reader.close();
    }
  }

  /** The payload to send for a line (and this.topic), or undefined when it is skipped. */
  private payloadOf(line: string): string | undefined {
    const { ctx } = this;
    let payload = line;
    if (ctx.traffic) {
      const made = ctx.traffic.next(line, ctx.clock.wall());
      if (made === undefined) {
        // the scenario's generator failed on this message: counted there, skipped here
        ctx.stats.skipped++;
        return undefined;
      }
      payload = made;
      this.topic = ctx.traffic.topic;
    }
    if (this.shaping) payload = shapePayload(payload, ctx.stats.name, ctx.clock.wall(), ctx.payload);
    if (ctx.awsLimits && Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      ctx.stats.skipped++;
      return undefined;
    }
    return payload;
  }

  /** --aws-limits: waits for a token of the connection's publish rate; false when stopped meanwhile */
  private async throttle(): Promise<boolean> {
    const { clock, stop } = this.ctx;
    for (let wait = this.bucket!.take(clock.now()); wait > 0 && !stop.aborted; wait = this.bucket!.take(clock.now())) await clock.sleep(wait, stop);
    return !stop.aborted;
  }

  private publish(payload: string): void {
    const { ctx } = this;
    const { stats, clock } = ctx;
    const t0 = clock.now();
    stats.sent++;
    stats.inflight++;
    ctx.timeline?.sent(t0);
    ctx.conn.send(this.topic, payload, ctx.qos, (error) => {
      if (error === undefined) {
        stats.acked++;
        if (ctx.qos === 1) {
          const t1 = clock.now();
          stats.latency.record(t1 - t0);
          ctx.timeline?.acked(t1, t1 - t0);
        } else ctx.timeline?.acked(clock.now());
      } else {
        stats.failed++;
        stats.lastError = error;
        ctx.timeline?.failed(clock.now());
      }
      this.settled();
    });
    if (ctx.shadowEvery !== undefined && stats.sent % ctx.shadowEvery === 0) this.updateShadow(payload);
  }

  /** The payload (a JSON object; anything else is not a shadow state) as the shadow's reported state. */
  private updateShadow(payload: string): void {
    const { stats } = this.ctx;
    if (payload.charCodeAt(0) !== 0x7b /* { */) return;
    stats.inflight++;
    this.ctx.conn.send(this.shadowTopic, `{"state":{"reported":${payload}}}`, this.ctx.qos, (error) => {
      if (error === undefined) stats.shadowUpdates++;
      else stats.lastError = `shadow update: ${error}`;
      this.settled();
    });
  }

  private settled(): void {
    this.ctx.stats.inflight--;
    this.ctx.onSettled?.();
    if (this.windowWaiter && this.ctx.stats.inflight < this.ctx.window) {
      const w = this.windowWaiter;
      this.windowWaiter = undefined;
      w();
    }
  }

  private readonly wake = (): void => {
    const { windowWaiter, slotWaiter } = this;
    this.windowWaiter = this.slotWaiter = undefined;
    windowWaiter?.();
    slotWaiter?.();
  };

  private windowFree(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.ctx.stop.aborted) resolve();
      else this.windowWaiter = resolve;
    });
  }

  private slot(due: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.ctx.stop.aborted) return resolve();
      this.slotWaiter = resolve;
      this.ctx.pacer.at(due, resolve);
    });
  }
}
