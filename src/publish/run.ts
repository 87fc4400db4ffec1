import { ElfError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Source } from '../source/types.js';
import { createConnector, type Connector, type DeviceConnection, type Protocol, type QoS } from '../mqtt/index.js';
import { systemClock, type Clock } from '../util/clock.js';
import { runDevice, type DeviceEnd } from './device.js';
import { SharedFeed } from './fanout.js';
import { SlotPacer } from './slot-pacer.js';
import { endTime, TokenBucket, type ScheduleSpec } from './schedule.js';
import { ThingStats } from './stats.js';
import { summarize, type Progress, type SendSummary, type StopReason } from './summary.js';

export interface SendDevice {
  name: string;
  certPath: string;
  keyPath: string;
}

export interface SendOptions {
  devices: SendDevice[];
  host: string;
  port: number;
  /** trusted CA (PEM file); system trust store when absent */
  caFile?: string;
  protocol: Protocol;
  qos: QoS;
  /** default 'elf' */
  topic?: string;
  /** publish to <topic>/<thing> */
  appendThingName?: boolean;
  /** seconds between two messages of one thing (default 1); 0 = as fast as possible */
  interval?: number;
  /** seconds the schedule runs; undefined = until count / end of input / abort */
  duration?: number;
  /** messages per thing */
  count?: number;
  /** start the input over at its end (default true; ignored with partition) */
  loop?: boolean;
  /** deal the lines out: line i goes to thing i mod N, each line sent once (no loop) */
  partition?: boolean;
  /** field names added to JSON object payloads */
  addTimestamp?: string;
  addThingName?: string;
  /** new connections per second (default 100; AWS allows 500/s per account) */
  connectRate?: number;
  /** AWS IoT Core limits: ≤100 publishes/s per connection, 128 KB payloads, SDK metrics */
  awsLimits?: boolean;
  /** most outstanding publishes per connection (default 1000) */
  window?: number;
  /** bounded wait for outstanding acknowledgements at the end (default 10 s) */
  drainTimeoutMs?: number;
  /**
   * When no connection has been up for this long (the broker never answered, or went away and
   * never came back) the run ends with an error (default 30 s).
   */
  giveUpAfterMs?: number;
  keepAliveSeconds?: number;
  /** reconnect backoff bounds (defaults 1 s .. 30 s) */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** ms between onProgress calls (default 1000) */
  progressIntervalMs?: number;
}

export interface SendDeps {
  source: Source;
  logger: Logger;
  clock?: Clock;
  /** Ctrl-C: stops the schedule, drains (bounded), disconnects, returns the summary */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  connector?: Connector;
}

const MAX_PENDING_CONNECTS = 500;
/** the fleet's pacer wakes things every this many ms at most: a publish is up to this late by design */
const PACER_TICK_MS = 10;

/**
 * `elf send`: one connection per thing with its own certificate, connections ramped at
 * `connectRate`, each thing publishing as soon as it is connected, one shared pass over the source.
 */
export async function runSend(opts: SendOptions, deps: SendDeps): Promise<SendSummary> {
  if (opts.devices.length === 0) throw new ElfError('no things to send with: create some first (elf create N)', 'ELF_NO_THINGS');
  const clock = deps.clock ?? systemClock;
  const log = deps.logger;
  const connector = deps.connector ?? createConnector();
  const n = opts.devices.length;
  const qos = opts.qos;
  const topicRoot = opts.topic ?? 'elf';
  const partition = opts.partition ?? false;
  const window = Math.max(1, opts.window ?? 1000);
  const drainTimeoutMs = opts.drainTimeoutMs ?? 10_000;
  const giveUpAfterMs = opts.giveUpAfterMs ?? 30_000;
  const connectRate = Math.max(1, opts.connectRate ?? 100);

  const startMs = clock.now();
  const startedAt = clock.wall();
  const spec: ScheduleSpec = {
    startMs,
    intervalMs: Math.max(0, (opts.interval ?? 1) * 1000),
    things: n,
    durationMs: opts.duration === undefined ? undefined : opts.duration * 1000,
  };
  const feed = new SharedFeed(deps.source, { loop: partition ? false : (opts.loop ?? true) });
  const stats = opts.devices.map((d) => new ThingStats(d.name));
  // every reader exists before the first line is read, so none starts outside the window
  const readers = opts.devices.map((_, k) => (partition ? feed.reader(k, n) : feed.reader(0, 1)));
  const conns: Array<DeviceConnection | undefined> = new Array(n);
  const pacer = new SlotPacer(clock, PACER_TICK_MS);

  const stopper = new AbortController();
  const stop = stopper.signal;
  // Each thing has a stop signal of its own, aborted with the run's. Not one shared signal: an
  // EventTarget checks every listener for a duplicate on addEventListener, so 10,000 things each
  // adding a listener per sleep to one signal cost O(n) per sleep (a third of the CPU at 10,000
  // things, bench/ scenario 2).
  const thingStops: AbortController[] = [];
  const stopAll = () => {
    stopper.abort();
    for (const c of thingStops) c.abort();
    pacer.stop();
  };
  let stopReason: StopReason | undefined;
  let error: string | undefined;
  const halt = (reason: StopReason) => {
    stopReason ??= reason;
    stopAll();
  };
  const onUserAbort = () => halt('aborted');
  if (deps.signal?.aborted) halt('aborted');
  deps.signal?.addEventListener('abort', onUserAbort, { once: true });
  // a tick late: the pacer wakes a slot due in the last tick before the end at or after the end,
  // and it must still be sent (every thing ends by itself at its first slot past the end)
  const durationTimer = spec.durationMs === undefined ? undefined : clock.after(spec.durationMs + PACER_TICK_MS, () => halt('duration'));

  // connection health for give-up
  let connectedNow = 0;
  let lastUpMs = startMs;
  let lastConnError: string | undefined;
  let lastInterruptError: string | undefined;
  let reportedInterruptions = 0;
  let allConnectedMs: number | undefined;
  let everConnected = 0;
  let lastSettle = startMs;
  let firstSend: number | undefined;

  const ends: DeviceEnd[] = [];
  const deviceDone: Array<Promise<void>> = [];
  const bucket = new TokenBucket(connectRate, Math.max(1, Math.min(connectRate, 50)), startMs);
  let pending = 0;
  let pendingFreed: (() => void) | undefined;

  const startThing = (k: number): Promise<void> => {
    const d = opts.devices[k]!;
    const st = stats[k]!;
    const thingStopper = new AbortController();
    thingStops.push(thingStopper);
    if (stop.aborted) thingStopper.abort();
    const thingStop = thingStopper.signal;
    const conn = connector.create({
      host: opts.host,
      port: opts.port,
      clientId: d.name,
      cert: { path: d.certPath },
      key: { path: d.keyPath },
      caFile: opts.caFile,
      protocol: opts.protocol,
      awsLimits: opts.awsLimits ?? false,
      keepAliveSeconds: opts.keepAliveSeconds,
      reconnectMinMs: opts.reconnectMinMs,
      reconnectMaxMs: opts.reconnectMaxMs,
    });
    conns[k] = conn;
    conn.on((e) => {
      switch (e.type) {
        case 'connected':
        case 'resumed':
          st.connected = true;
          connectedNow++;
          if (e.type === 'resumed') log.debug({ thing: d.name, sessionPresent: e.sessionPresent }, 'reconnected');
          break;
        case 'interrupted':
          st.connected = false;
          st.interruptions++;
          if (opts.qos === 1) st.maybeDuplicated += Math.max(0, st.sent - st.acked - st.failed);
          connectedNow--;
          if (connectedNow === 0) lastUpMs = clock.now();
          lastInterruptError = e.error;
          log.debug({ thing: d.name, error: e.error }, 'connection interrupted; reconnecting');
          break;
        case 'failed':
          st.connectAttempts++;
          st.lastError = e.error;
          lastConnError = e.error;
          if (e.attempt === 1 || e.attempt % 10 === 0) log.warn({ thing: d.name, attempt: e.attempt, error: e.error }, 'connection attempt failed');
          break;
      }
    });
    const t0 = clock.now();
    st.connectAttempts++;
    return conn.connect(thingStop).then(
      async () => {
        st.connectMs = clock.now() - t0;
        everConnected++;
        if (everConnected === n) allConnectedMs = clock.now() - startMs;
        release();
        firstSend ??= clock.now();
        let end: DeviceEnd;
        try {
          end = await runDevice({
          k,
          conn,
          reader: readers[k]!,
          spec,
          stats: st,
          clock,
          pacer,
          topic: opts.appendThingName ? `${topicRoot}/${d.name}` : topicRoot,
          qos,
          count: opts.count,
          window,
          payload: { addTimestamp: opts.addTimestamp, addThingName: opts.addThingName },
          awsLimits: opts.awsLimits ?? false,
          stop: thingStop,
          onSettled: () => {
            lastSettle = clock.now();
          },
        });
        } catch (e) {
          // the source failed (a bad line with --strict, a read error): every thing stops, the
          // summary says why
          error ??= e instanceof Error ? e.message : String(e);
          halt('input-error');
          end = 'stopped';
        }
        ends.push(end);
      },
      () => {
        // stopped before it ever connected
        release();
        readers[k]!.close();
        ends.push('stopped');
      },
    );
  };
  const release = () => {
    pending--;
    const f = pendingFreed;
    pendingFreed = undefined;
    f?.();
  };

  // progress and give-up watch
  const progressEvery = opts.progressIntervalMs ?? 1000;
  let lastProgress = { at: startMs, acked: 0 };
  const snapshot = (): Progress => {
    let sent = 0, acked = 0, failed = 0, skipped = 0, inflight = 0;
    for (const s of stats) {
      sent += s.sent;
      acked += s.acked;
      failed += s.failed;
      skipped += s.skipped;
      inflight += s.inflight;
    }
    const now = clock.now();
    const rate = now > lastProgress.at ? ((acked - lastProgress.acked) * 1000) / (now - lastProgress.at) : 0;
    lastProgress = { at: now, acked };
    return { elapsedMs: now - startMs, things: n, connected: connectedNow, sent, acked, failed, skipped, inflight, ratePerSec: rate };
  };
  const watch = clock.every(Math.min(250, progressEvery), () => {
    const now = clock.now();
    // one log line per tick for interruptions, not one per connection (10,000 things, one broker restart)
    let interruptions = 0;
    for (const s of stats) interruptions += s.interruptions;
    if (interruptions > reportedInterruptions) {
      log.warn({ interrupted: interruptions - reportedInterruptions, connected: connectedNow, error: lastInterruptError }, 'connections interrupted; reconnecting');
      reportedInterruptions = interruptions;
    }
    if (connectedNow > 0) lastUpMs = now;
    else if (!stop.aborted && now - lastUpMs > giveUpAfterMs) {
      error = `no connection to ${opts.host}:${opts.port} for ${giveUpAfterMs / 1000} s${lastConnError ? ` (last error: ${lastConnError})` : ''}`;
      log.error({ host: opts.host, port: opts.port, lastError: lastConnError }, 'giving up: the broker cannot be reached');
      halt('gave-up');
    }
    if (deps.onProgress && now - lastProgress.at >= progressEvery - 5) deps.onProgress(snapshot());
  });

  try {
    // ramp: bounded rate and bounded handshakes in flight; each thing starts publishing on connect
    for (let k = 0; k < n && !stop.aborted; k++) {
      for (let wait = bucket.take(clock.now()); wait > 0 && !stop.aborted; wait = bucket.take(clock.now())) await clock.sleep(wait, stop);
      while (pending >= MAX_PENDING_CONNECTS && !stop.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stop.removeEventListener('abort', done);
            resolve();
          };
          pendingFreed = done;
          stop.addEventListener('abort', done, { once: true });
        });
      }
      if (stop.aborted) break;
      pending++;
      deviceDone.push(startThing(k));
      // creating a connection builds its TLS context synchronously in the CRT (tens of ms on a
      // loaded machine): yield after each one so connected things publish on time meanwhile
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    for (let k = deviceDone.length; k < n; k++) readers[k]!.close();
    await Promise.all(deviceDone);
    if (!stopReason) {
      stopReason = ends.includes('duration') ? 'duration' : ends.every((e) => e === 'count') ? 'count' : 'end-of-input';
    }
    const scheduleEnd = clock.now();

    // drain: bounded wait for outstanding acknowledgements
    const drainUntil = scheduleEnd + (stopReason === 'gave-up' ? 0 : drainTimeoutMs);
    const runEnd = stopReason === 'duration' ? endTime(spec) : 0;
    // a run with --duration lasts its duration, even when the last slots came a little earlier
    while ((stats.some((s) => s.inflight > 0) && clock.now() < drainUntil) || clock.now() < runEnd) {
      await clock.sleep(Math.max(1, Math.min(50, Math.max(drainUntil, runEnd) - clock.now())));
    }
    const drainMs = clock.now() - scheduleEnd;

    await Promise.all(conns.map((c) => c?.close(2000)));
    const elapsedMs = clock.now() - startMs;
    return summarize({
      stats,
      protocol: opts.protocol,
      qos,
      startMs,
      startedAt,
      ...(firstSend !== undefined ? { firstSendMs: firstSend, lastSettleMs: lastSettle } : {}),
      elapsedMs,
      sendingMs: Math.max(0, lastSettle - (firstSend ?? lastSettle)),
      allConnectedMs,
      drainMs,
      stopReason,
      error,
      skipped: feed.skipped,
      fallbacks: feed.fallbacks,
    });
  } finally {
    watch.cancel();
    durationTimer?.cancel();
    deps.signal?.removeEventListener('abort', onUserAbort);
    stopAll();
    await feed.close().catch(() => {});
  }
}

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
}

export interface SubscribeResult {
  received: number;
  elapsedMs: number;
  stopReason: 'duration' | 'count' | 'aborted';
}

/** `elf subscribe`: one connection with a fleet certificate, one filter, until duration/count/abort. */
export async function runSubscribe(opts: SubscribeOptions, deps: SubscribeDeps): Promise<SubscribeResult> {
  const connector = deps.connector ?? createConnector();
  const t0 = Date.now();
  const conn = connector.create({
    host: opts.host,
    port: opts.port,
    clientId: opts.clientId ?? opts.device.name,
    cert: { path: opts.device.certPath },
    key: { path: opts.device.keyPath },
    caFile: opts.caFile,
    protocol: opts.protocol,
    awsLimits: opts.awsLimits ?? false,
  });
  let lastError: string | undefined;
  conn.on((e) => {
    if (e.type === 'failed') {
      lastError = e.error;
      if (e.attempt === 1) deps.logger.warn({ error: e.error }, 'connection attempt failed; retrying');
    } else if (e.type === 'interrupted') deps.logger.warn({ error: e.error }, 'connection interrupted; reconnecting');
  });
  const stopper = new AbortController();
  let reason: SubscribeResult['stopReason'] | undefined;
  const halt = (r: SubscribeResult['stopReason']) => {
    reason ??= r;
    stopper.abort();
  };
  const onAbort = () => halt('aborted');
  if (deps.signal?.aborted) halt('aborted');
  deps.signal?.addEventListener('abort', onAbort, { once: true });
  let received = 0;
  const timers: NodeJS.Timeout[] = [];
  try {
    const giveUp = new AbortController();
    const gu = setTimeout(() => giveUp.abort(), opts.giveUpAfterMs ?? 30_000);
    timers.push(gu);
    const connectSignal = AbortSignal.any([stopper.signal, giveUp.signal]);
    try {
      await conn.connect(connectSignal);
    } catch (e) {
      if (giveUp.signal.aborted && !stopper.signal.aborted) {
        throw new ElfError(`cannot connect to ${opts.host}:${opts.port}${lastError ? `: ${lastError}` : ''}`, 'ELF_CONNECT');
      }
      if (stopper.signal.aborted) return { received, elapsedMs: Date.now() - t0, stopReason: reason ?? 'aborted' };
      throw e;
    }
    clearTimeout(gu);
    const filters = Array.isArray(opts.filter) ? opts.filter : [opts.filter];
    for (const filter of filters) {
      const exactOthers = new Set(filters.filter((f) => f !== filter && !/[+#]/.test(f)));
      await conn.subscribe(filter, opts.qos, (topic, payload) => {
        if (stopper.signal.aborted || exactOthers.has(topic)) return;
        received++;
        deps.onMessage(topic, payload);
        if (opts.count !== undefined && received >= opts.count) halt('count');
      });
    }
    deps.onReady?.();
    if (opts.duration !== undefined) timers.push(setTimeout(() => halt('duration'), opts.duration * 1000));
    if (opts.count === 0) halt('count');
    if (!stopper.signal.aborted) await new Promise<void>((resolve) => stopper.signal.addEventListener('abort', () => resolve(), { once: true }));
    return { received, elapsedMs: Date.now() - t0, stopReason: reason ?? 'aborted' };
  } finally {
    for (const t of timers) clearTimeout(t);
    deps.signal?.removeEventListener('abort', onAbort);
    await conn.close(2000);
  }
}
