import type { Logger } from '../log.js';
import type { DeviceConnection, QoS } from '../mqtt/index.js';
import type { Source } from '../source/types.js';
import type { Clock } from '../util/clock.js';
import type { DeviceEnd } from './device.js';
import { SharedFeed, type FeedReader } from './fanout.js';
import type { ScheduleSpec } from './schedule.js';
import type { SendOptions } from './send-options.js';
import { SlotPacer } from './slot-pacer.js';
import { ThingStats } from './stats.js';
import { RunTimeline } from './timeline.js';
import type { TakeoverWatch } from './takeover.js';
import type { TrafficSpec } from '../traffic/traffic.js';
import type { ReplayClock } from '../traffic/replay.js';
import type { StopReason } from './summary.js';

/** the fleet's pacer wakes things every this many ms at most: a publish is up to this late by design */
export const PACER_TICK_MS = 10;

/** The options with their defaults applied, once; the steps read these. */
export interface RunSettings {
  things: number;
  qos: QoS;
  topicRoot: string;
  partition: boolean;
  /** most outstanding publishes per connection */
  window: number;
  drainTimeoutMs: number;
  giveUpAfterMs: number;
  /** new connections per second */
  connectRate: number;
  progressEveryMs: number;
}

export function runSettings(opts: SendOptions): RunSettings {
  return {
    things: opts.devices.length,
    qos: opts.qos,
    topicRoot: opts.topic ?? 'elf',
    partition: opts.partition ?? false,
    window: Math.max(1, opts.window ?? 1000),
    drainTimeoutMs: opts.drainTimeoutMs ?? 10_000,
    giveUpAfterMs: opts.giveUpAfterMs ?? 30_000,
    connectRate: Math.max(1, opts.connectRate ?? 100),
    progressEveryMs: opts.progressIntervalMs ?? 1000,
  };
}

/** The fleet's connections as give-up, the interruption log and the summary see them. */
export interface Health {
  /** connections up right now */
  connectedNow: number;
  /** things that connected at least once */
  everConnected: number;
  /** clock ms when some connection was last seen up */
  lastUpMs: number;
  /** ms from the start until the last thing connected */
  allConnectedMs?: number;
  lastConnError?: string;
  /** things whose CONNECT the broker refused (a refusal retrying gets again) and that never connected */
  refused: Set<number>;
  lastInterruptError?: string;
  /** interruptions already logged */
  reportedInterruptions: number;
  /** per thing (by index): whether another client with its client id keeps taking its connection over */
  takeover: Map<number, TakeoverWatch>;
  /** things that seem taken over, not yet logged */
  takenOver: string[];
  /** things whose connection the broker ends for a publish the policy refuses, not yet reported */
  publishRefused: string[];
}

/**
 * What one `elf send` run shares between its steps (ramp, things, health, progress, drain): one
 * object handed to each step, instead of variables captured by one long function's closures.
 */
export class RunState {
  readonly settings: RunSettings;
  readonly startMs: number;
  /** wall-clock ms since the epoch at startMs */
  readonly startedAt: number;
  readonly spec: ScheduleSpec;
  readonly feed: SharedFeed;
  readonly stats: ThingStats[];
  /** one per thing, all made before the first line is read, so none starts outside the window */
  readonly readers: FeedReader[];
  readonly conns: Array<DeviceConnection | undefined>;
  readonly pacer: SlotPacer;
  /** how each started thing's loop ended */
  readonly ends: DeviceEnd[] = [];
  readonly health: Health;
  /** the run second by second, when asked for (opts.timeline) */
  readonly timeline: RunTimeline | undefined;
  /** clock ms of the first publish and of the last acknowledgement */
  firstSendMs: number | undefined;
  lastSettleMs: number;
  /** generated traffic (templates), shared by the things; undefined: lines are sent as they are */
  traffic: TrafficSpec | undefined;
  /** --replay-time: the data's clock, shared by the things */
  replay: ReplayClock | undefined;
  /** the first reason given to halt() */
  stopReason: StopReason | undefined;
  error: string | undefined;
  private readonly stopper = new AbortController();
  // Each thing has a stop signal of its own, aborted with the run's. Not one shared signal: an
  // EventTarget checks every listener for a duplicate on addEventListener, so 10,000 things each
  // adding a listener per sleep to one signal cost O(n) per sleep (a third of the CPU at 10,000
  // things, bench/ scenario 2).
  private readonly thingStops: AbortController[] = [];

  constructor(
    readonly opts: SendOptions,
    readonly clock: Clock,
    readonly log: Logger,
    source: Source,
  ) {
    const s = (this.settings = runSettings(opts));
    this.startMs = clock.now();
    this.startedAt = clock.wall();
    this.spec = {
      startMs: this.startMs,
      intervalMs: Math.max(0, (opts.interval ?? 1) * 1000),
      things: s.things,
      durationMs: opts.duration === undefined ? undefined : opts.duration * 1000,
    };
    this.feed = new SharedFeed(source, { loop: s.partition ? false : (opts.loop ?? true) });
    this.stats = opts.devices.map((d) => new ThingStats(d.name));
    this.readers = opts.devices.map((_, k) => (s.partition ? this.feed.reader(k, s.things) : this.feed.reader(0, 1)));
    this.conns = new Array(s.things);
    this.pacer = new SlotPacer(clock, PACER_TICK_MS);
    this.health = { connectedNow: 0, everConnected: 0, lastUpMs: this.startMs, reportedInterruptions: 0, refused: new Set(), takeover: new Map(), takenOver: [], publishRefused: [] };
    this.lastSettleMs = this.startMs;
    this.timeline = opts.timeline ? new RunTimeline(this.startMs, this.startedAt) : undefined;
    const r = opts.replay;
    this.replay = r ? { spec: { fields: r.fields, speed: r.speed }, origin: r.origin, startMs: undefined, missing: 0, outOfOrder: 0 } : undefined;
  }

  /** aborted when the run stops (duration, Ctrl-C, give-up, an input error) */
  get stop(): AbortSignal {
    return this.stopper.signal;
  }

  /** a stop signal for one thing, aborted with the run's */
  thingStop(): AbortSignal {
    const c = new AbortController();
    this.thingStops.push(c);
    if (this.stop.aborted) c.abort();
    return c.signal;
  }

  /** Ends the run: the first reason (and the first error) given is the one reported. */
  halt(reason: StopReason, error?: string): void {
    this.stopReason ??= reason;
    this.error ??= error;
    this.stopAll();
  }

  /** Stops the schedule, every thing's loop and the pacer. */
  stopAll(): void {
    this.stopper.abort();
    for (const c of this.thingStops) c.abort();
    this.pacer.stop();
  }
}
