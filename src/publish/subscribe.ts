import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import { createConnector, type Connector, type DeviceConnection, type Protocol, type QoS } from '../mqtt/index.js';
import { systemClock, type Clock, type Timer } from '../util/clock.js';
import type { SendDevice } from './send-options.js';
import { TakeoverWatch, takeoverMessage } from './takeover.js';

export interface SubscribeOptions {
  device: SendDevice;
  /**
   * MQTT client id; default the thing's name. A broker drops the older of two connections with one
   * client id, so subscribing with a thing that is also sending needs another id (if the policy allows).
   */
  clientId?: string;
  host: string;
  port: number;
  caFile?: string;
  protocol: Protocol;
  qos: QoS;
  /**
   * topic filter(s), e.g. 'elf/#' or ['elf', 'elf/#'] (AWS IoT: `elf/#` does not match `elf`). With
   * several filters a message is counted once: a filter ignores topics equal to another filter
   * without wildcards (a broker that follows MQTT 3.1.1 matches `elf` with `elf/#` too).
   */
  filter: string | string[];
  /** seconds; undefined = until count or abort */
  duration?: number;
  count?: number;
  awsLimits?: boolean;
  /** give up connecting after this long (default 30 s) */
  giveUpAfterMs?: number;
}

export interface SubscribeDeps {
  logger: Logger;
  onMessage: (topic: string, payload: Buffer) => void;
  signal?: AbortSignal;
  /** called once subscribed (the SUBACK arrived) */
  onReady?: () => void;
  connector?: Connector;
  clock?: Clock;
}

export type SubscribeStopReason = 'duration' | 'count' | 'aborted';

export interface SubscribeResult {
  received: number;
  elapsedMs: number;
  stopReason: SubscribeStopReason;
}

/**
 * How many messages `elf subscribe` stops at: --count, else --expect when no --duration bounds the
 * listening (so --expect alone stops as soon as the expectation is met).
 */
export function stopCount(flags: { count?: number; expect?: number; duration?: number }): number | undefined {
  return flags.count ?? (flags.expect !== undefined && flags.duration === undefined ? flags.expect : undefined);
}

/** One subscription's stop: the first reason wins; the timers it owns are cancelled with it. */
class Listening {
  reason: SubscribeStopReason | undefined;
  received = 0;
  readonly timers: Timer[] = [];
  private readonly stopper = new AbortController();

  get stopped(): AbortSignal {
    return this.stopper.signal;
  }

  halt(reason: SubscribeStopReason): void {
    this.reason ??= reason;
    this.stopper.abort();
  }

  /** resolves when halted */
  done(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped.aborted) resolve();
      else this.stopped.addEventListener('abort', () => resolve(), { once: true });
    });
  }
}

/** `elf subscribe`: one connection with a fleet certificate, its filters, until duration/count/abort. */
export async function runSubscribe(opts: SubscribeOptions, deps: SubscribeDeps): Promise<SubscribeResult> {
  const clock = deps.clock ?? systemClock;
  const t0 = clock.now();
  const conn = (deps.connector ?? createConnector()).create({
    host: opts.host,
    port: opts.port,
    clientId: opts.clientId ?? opts.device.name,
    cert: { path: opts.device.certPath },
    key: { path: opts.device.keyPath },
    caFile: opts.caFile,
    protocol: opts.protocol,
    awsLimits: opts.awsLimits ?? false,
  });
  const listening = new Listening();
  const onAbort = () => listening.halt('aborted');
  if (deps.signal?.aborted) listening.halt('aborted');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  const result = (): SubscribeResult => ({ received: listening.received, elapsedMs: clock.now() - t0, stopReason: listening.reason ?? 'aborted' });
  try {
    if (!(await connect(conn, opts, deps.logger, clock, listening))) return result();
    await subscribeAll(conn, opts, deps, listening);
    deps.onReady?.();
    if (opts.duration !== undefined) listening.timers.push(clock.after(opts.duration * 1000, () => listening.halt('duration')));
    if (opts.count === 0) listening.halt('count');
    await listening.done();
    return result();
  } finally {
    for (const t of listening.timers) t.cancel();
    deps.signal?.removeEventListener('abort', onAbort);
    await conn.close(2000);
  }
}

/** Connects, retrying until `giveUpAfterMs`; false when stopped first. */
async function connect(conn: DeviceConnection, opts: SubscribeOptions, log: Logger, clock: Clock, listening: Listening): Promise<boolean> {
  let lastError: string | undefined;
  const takeover = new TakeoverWatch();
  // the broker refused the CONNECT: retrying gets the same answer
  const refused = new AbortController();
  conn.on((e) => {
    if (e.type === 'failed') {
      lastError = e.error;
      if (e.refused) refused.abort();
      if (e.attempt === 1 && !e.refused) log.warn({ error: e.error }, 'connection attempt failed; retrying');
    } else if (e.type === 'connected' || e.type === 'resumed') takeover.connected(clock.now());
    else if (e.type === 'interrupted') {
      log.warn({ error: e.error }, 'connection interrupted; reconnecting');
      if (takeover.interrupted(clock.now()) === 'takeover') log.warn(takeoverMessage([opts.clientId ?? opts.device.name]));
    }
  });
  const giveUp = new AbortController();
  const giveUpTimer = clock.after(opts.giveUpAfterMs ?? 30_000, () => giveUp.abort());
  listening.timers.push(giveUpTimer);
  try {
    await conn.connect(AbortSignal.any([listening.stopped, giveUp.signal, refused.signal]));
    return true;
  } catch (e) {
    if (refused.signal.aborted && !listening.stopped.aborted) throw new ElfError(`cannot connect to ${opts.host}:${opts.port}: ${lastError}`, 'ELF_CONNECT');
    if (giveUp.signal.aborted && !listening.stopped.aborted) {
      throw new ElfError(`cannot connect to ${opts.host}:${opts.port}${lastError ? `: ${lastError}` : ''}`, 'ELF_CONNECT');
    }
    if (listening.stopped.aborted) return false;
    throw e;
  } finally {
    giveUpTimer.cancel();
  }
}

/** Subscribes every filter; a message is counted once even when two filters match it. */
async function subscribeAll(conn: DeviceConnection, opts: SubscribeOptions, deps: SubscribeDeps, listening: Listening): Promise<void> {
  const filters = Array.isArray(opts.filter) ? opts.filter : [opts.filter];
  for (const filter of filters) {
    const exactOthers = new Set(filters.filter((f) => f !== filter && !/[+#]/.test(f)));
    await conn.subscribe(filter, opts.qos, (topic, payload) => {
      if (listening.stopped.aborted || exactOthers.has(topic)) return;
      listening.received++;
      deps.onMessage(topic, payload);
      if (opts.count !== undefined && listening.received >= opts.count) listening.halt('count');
    });
  }
}
