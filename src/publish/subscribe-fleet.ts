import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Connector } from '../mqtt/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { FailedPart } from './summary.js';
import type { SendDevice } from './send-options.js';
import { runSubscribe, type SubscribeOptions, type SubscribeStopReason } from './subscribe.js';

/**
 * `elf subscribe` with one thing or many (`--things`, `--shard`, a slice of `--workers`): each thing
 * opens its own connection (client id = its name) and subscribes to the same filters; `--count` and
 * `--duration` apply to the whole set. A thing that cannot connect is reported and the others go on.
 */

export interface SubscribeFleetOptions extends Omit<SubscribeOptions, 'device' | 'count' | 'duration' | 'clientId'> {
  devices: SendDevice[];
  /** seconds; undefined = until count or abort */
  duration?: number;
  /** stop after this many messages in all */
  count?: number;
  /** new connections per second (default 100) */
  connectRate?: number;
}

export interface SubscribeFleetDeps {
  logger: Logger;
  /** one message arrived at `thing` */
  onMessage: (thing: string, topic: string, payload: Buffer) => void;
  signal?: AbortSignal;
  /** called once every thing that could connect has subscribed */
  onReady?: (subscribed: number) => void;
  connector?: Connector;
  clock?: Clock;
}

export interface ThingReceived {
  name: string;
  received: number;
  /** why this thing did not listen, if it could not */
  error?: string;
}

export interface SubscribeFleetResult {
  things: number;
  /** things that subscribed */
  subscribed: number;
  received: number;
  elapsedMs: number;
  stopReason: SubscribeStopReason;
  perThing: ThingReceived[];
  /** worker processes that ended without their result (`--workers`) */
  failedParts?: FailedPart[];
}

/** The stop of the whole set: the first reason wins. */
class FleetStop {
  reason: SubscribeStopReason | undefined;
  private readonly ac = new AbortController();
  get signal(): AbortSignal {
    return this.ac.signal;
  }
  halt(reason: SubscribeStopReason): void {
    this.reason ??= reason;
    this.ac.abort();
  }
}

export async function runSubscribeFleet(opts: SubscribeFleetOptions, deps: SubscribeFleetDeps): Promise<SubscribeFleetResult> {
  const clock = deps.clock ?? systemClock;
  const t0 = clock.now();
  const stop = new FleetStop();
  const onAbort = () => stop.halt('aborted');
  if (deps.signal?.aborted) onAbort();
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const rows: ThingReceived[] = opts.devices.map((d) => ({ name: d.name, received: 0 }));
  let received = 0;
  let ready = 0;
  const { devices, duration, count, connectRate, ...common } = opts;
  const gap = 1000 / (connectRate ?? 100);
  const timers = duration !== undefined ? [clock.after(duration * 1000, () => stop.halt('duration'))] : [];
  if (count === 0) stop.halt('count');
  const readyIfAll = () => {
    if (ready + rows.filter((r) => r.error).length === devices.length) deps.onReady?.(ready);
  };
  const one = async (i: number): Promise<void> => {
    const device = devices[i]!;
    if (i > 0) await wait(clock, gap * i, stop.signal);
    if (stop.signal.aborted) return;
    try {
      await runSubscribe(
        { ...common, device },
        {
          logger: deps.logger,
          signal: stop.signal,
          ...(deps.connector ? { connector: deps.connector } : {}),
          clock,
          onReady: () => {
            ready++;
            readyIfAll();
          },
          onMessage: (topic, payload) => {
            if (stop.signal.aborted) return;
            received++;
            rows[i]!.received++;
            deps.onMessage(device.name, topic, payload);
            if (count !== undefined && received >= count) stop.halt('count');
          },
        },
      );
    } catch (e) {
      rows[i]!.error = e instanceof Error ? e.message : String(e);
      if (devices.length > 1) deps.logger.error({ thing: device.name, error: rows[i]!.error }, 'this thing cannot listen; the others go on');
      readyIfAll();
    }
  };
  try {
    await Promise.all(devices.map((_, i) => one(i)));
  } finally {
    for (const t of timers) t.cancel();
    deps.signal?.removeEventListener('abort', onAbort);
  }
  const failed = rows.filter((r) => r.error);
  if (failed.length === devices.length) throw new ElfError(failed[0]!.error!, 'ELF_CONNECT');
  return { things: devices.length, subscribed: ready, received, elapsedMs: clock.now() - t0, stopReason: stop.reason ?? 'aborted', perThing: rows };
}

function wait(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = clock.after(ms, () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
    const onAbort = () => {
      t.cancel();
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Pure: the result of a whole set from its parts (workers), in the order given. `stopReason`: what
 * the parent knows (it stopped the parts at the count, or on Ctrl-C); else read from the parts.
 */
export function mergeSubscribeResults(parts: Array<SubscribeFleetResult | { failed: FailedPart; names: string[] }>, stopReason?: SubscribeStopReason): SubscribeFleetResult {
  const rows: ThingReceived[] = [];
  const failedParts: FailedPart[] = [];
  const reasons: SubscribeStopReason[] = [];
  let subscribed = 0;
  let received = 0;
  let elapsedMs = 0;
  for (const p of parts) {
    if ('failed' in p) {
      failedParts.push(p.failed);
      const why = `${p.failed.part} ${p.failed.signal ? `was killed by ${p.failed.signal}` : `exited with code ${p.failed.exitCode}`}`;
      rows.push(...p.names.map((name) => ({ name, received: 0, error: why })));
      continue;
    }
    rows.push(...p.perThing);
    subscribed += p.subscribed;
    received += p.received;
    elapsedMs = Math.max(elapsedMs, p.elapsedMs);
    reasons.push(p.stopReason);
    if (p.failedParts) failedParts.push(...p.failedParts);
  }
  // an interruption anywhere wins; then the count (one part reaching it stopped the rest), then the clock
  const reason = stopReason ?? (['aborted', 'count', 'duration'] as const).find((r) => reasons.includes(r)) ?? 'aborted';
  return { things: rows.length, subscribed, received, elapsedMs, stopReason: reason, perThing: rows, ...(failedParts.length > 0 ? { failedParts } : {}) };
}
