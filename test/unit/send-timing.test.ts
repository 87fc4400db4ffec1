import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runSend, type SendOptions } from '../../src/publish/run.js';
import { runSubscribe, stopCount, type SubscribeOptions } from '../../src/publish/subscribe.js';
import { mergeSubscribeResults, runSubscribeFleet, type SubscribeFleetOptions } from '../../src/publish/subscribe-fleet.js';
import { subscribeSummary } from '../../src/cli/commands/subscribe.js';
import type { Progress } from '../../src/publish/summary.js';
import { MAX_TIMER_MS, systemClock } from '../../src/util/clock.js';
import { fakeBroker } from '../helpers/fake-connector.js';
import { linesSource } from '../helpers/lines-source.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

const logger = pino({ level: 'silent' });
const devices = (n: number) => Array.from({ length: n }, (_, k) => ({ name: `thing_${k}`, certPath: '/nonexistent/cert', keyPath: '/nonexistent/key' }));
const opts = (extra: Partial<SendOptions> = {}): SendOptions => ({ devices: devices(2), host: 'broker.test', port: 8883, protocol: '3.1.1', qos: 1, ...extra });

describe('runSend on a virtual clock', () => {
  it('--duration 120 --interval 1: 120 messages per thing, the run lasts the duration and ends by it', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    const summary = await clock.run(runSend(opts({ duration: 120, interval: 1 }), { source: linesSource(['{"a":1}', '{"a":2}']), logger, clock, connector: broker.connector }));
    expect(summary.stopReason).toBe('duration');
    expect(summary.error).toBeUndefined();
    for (const c of broker.connections.values()) {
      expect(c.published).toHaveLength(120);
      expect(c.closed).toBe(true);
    }
    expect(summary.totals).toMatchObject({ sent: 240, acked: 240, late: 0, unacked: 0 });
    expect(summary.elapsedMs).toBeGreaterThanOrEqual(120_000);
    expect(summary.elapsedMs).toBeLessThan(120_000 + 100);
  });

  it('no connection for --give-up-after: the run ends with an error naming the broker and the last error', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    broker.down = true;
    const summary = await clock.run(runSend(opts({ giveUpAfterMs: 30_000, duration: 3600 }), { source: linesSource(['1']), logger, clock, connector: broker.connector }));
    expect(summary.stopReason).toBe('gave-up');
    expect(summary.error).toBe('no connection to broker.test:8883 for 30 s (last error: connection refused)');
    expect(summary.connected).toBe(0);
    // the watch looks every 250 ms
    expect(clock.now()).toBeGreaterThan(30_000);
    expect(clock.now()).toBeLessThanOrEqual(30_250 + 10);
  });

  it('gives up the given time after the last connection went away, not after the start', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    clock.after(60_000, () => {
      broker.down = true;
      broker.connections.get('thing_0')!.drop();
    });
    const summary = await clock.run(runSend(opts({ devices: devices(1), giveUpAfterMs: 10_000, interval: 1 }), { source: linesSource(['1']), logger, clock, connector: broker.connector }));
    expect(summary.stopReason).toBe('gave-up');
    expect(summary.totals.sent).toBeGreaterThanOrEqual(60);
    expect(clock.now()).toBeGreaterThan(70_000);
    expect(clock.now()).toBeLessThanOrEqual(70_250 + 10);
    expect(summary.things).toBe(1);
  });

  it('a connection that comes back in time keeps the run going', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    clock.after(5_000, () => broker.connections.get('thing_0')!.drop());
    clock.after(14_000, () => broker.connections.get('thing_0')!.resume());
    const summary = await clock.run(runSend(opts({ devices: devices(1), giveUpAfterMs: 10_000, interval: 1, duration: 30 }), { source: linesSource(['1']), logger, clock, connector: broker.connector }));
    expect(summary.stopReason).toBe('duration');
    expect(summary.error).toBeUndefined();
    expect(summary.perThing[0]!.interruptions).toBe(1);
  });

  it('Ctrl-C stops the schedule and returns the summary; acknowledgements that never come are bounded by the drain timeout', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    broker.acking = false;
    const ctrlC = new AbortController();
    clock.after(5_000, () => ctrlC.abort());
    const summary = await clock.run(runSend(opts({ interval: 1, window: 1000, drainTimeoutMs: 10_000 }), { source: linesSource(['1']), logger, clock, connector: broker.connector, signal: ctrlC.signal }));
    expect(summary.stopReason).toBe('aborted');
    expect(summary.totals.sent).toBe(10);
    expect(summary.totals.unacked).toBe(10);
    expect(summary.drainMs).toBeGreaterThanOrEqual(10_000);
    expect(summary.drainMs).toBeLessThan(10_100);
  });

  it('reports progress every progressIntervalMs', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    const seen: Progress[] = [];
    await clock.run(runSend(opts({ interval: 0.5, duration: 10, progressIntervalMs: 1000 }), { source: linesSource(['1']), logger, clock, connector: broker.connector, onProgress: (p) => seen.push(p) }));
    expect(seen.length).toBeGreaterThanOrEqual(9);
    expect(seen.length).toBeLessThanOrEqual(11);
    expect(seen.at(-1)).toMatchObject({ things: 2, connected: 2 });
    expect(seen.at(-1)!.sent).toBeGreaterThanOrEqual(36);
    // 2 things at 2 msg/s each
    expect(seen.at(-1)!.ratePerSec).toBeCloseTo(4, 0);
  });
});

describe('runSubscribe on a virtual clock', () => {
  const sub = (extra: Partial<SubscribeOptions> = {}): SubscribeOptions => ({ device: devices(1)[0]!, host: 'broker.test', port: 8883, protocol: '3.1.1', qos: 1, filter: ['elf', 'elf/#'], ...extra });

  it('--duration 60: listens 60 s, counting a message that two filters match once', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    const got: string[] = [];
    const deliver = (topic: string) => () => broker.connections.get('thing_0')!.deliver(topic, 'x');
    clock.after(10_000, deliver('elf'));
    clock.after(20_000, deliver('elf/thing_1'));
    clock.after(70_000, deliver('elf'));
    const result = await clock.run(runSubscribe(sub({ duration: 60 }), { logger, clock, connector: broker.connector, onMessage: (topic) => got.push(topic) }));
    expect(result).toEqual({ received: 2, elapsedMs: 60_000, stopReason: 'duration' });
    expect(got).toEqual(['elf', 'elf/thing_1']);
    expect(broker.connections.get('thing_0')!.closed).toBe(true);
  });

  it('stops at --count', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    for (let i = 1; i <= 5; i++) clock.after(i * 1000, () => broker.connections.get('thing_0')!.deliver('elf/a', String(i)));
    const result = await clock.run(runSubscribe(sub({ count: 3, duration: 3600 }), { logger, clock, connector: broker.connector, onMessage: () => {} }));
    expect(result).toEqual({ received: 3, elapsedMs: 3000, stopReason: 'count' });
  });

  it('gives up connecting after giveUpAfterMs with the last error', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    broker.down = true;
    await expect(clock.run(runSubscribe(sub({ giveUpAfterMs: 30_000 }), { logger, clock, connector: broker.connector, onMessage: () => {} }))).rejects.toThrow('cannot connect to broker.test:8883: connection refused');
    expect(clock.now()).toBe(30_000);
  });

  it('Ctrl-C while connecting ends the listening without an error', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    broker.down = true;
    const ctrlC = new AbortController();
    clock.after(5_000, () => ctrlC.abort());
    const result = await clock.run(runSubscribe(sub(), { logger, clock, connector: broker.connector, onMessage: () => {}, signal: ctrlC.signal }));
    expect(result).toEqual({ received: 0, elapsedMs: 5_000, stopReason: 'aborted' });
  });

  it('--expect alone stops at the expectation; with --duration or --count it does not', () => {
    expect(stopCount({ expect: 5 })).toBe(5);
    expect(stopCount({ expect: 5, duration: 10 })).toBeUndefined();
    expect(stopCount({ expect: 5, count: 7 })).toBe(7);
    expect(stopCount({})).toBeUndefined();
  });
});

describe('runSubscribeFleet: several things listen, --count and --duration for the whole set', () => {
  const fleetOpts = (extra: Partial<SubscribeFleetOptions> = {}): SubscribeFleetOptions => ({ devices: devices(3), host: 'broker.test', port: 8883, protocol: '3.1.1', qos: 1, filter: 'elf/#', connectRate: 10, ...extra });

  it('each thing connects as itself at --connect-rate; --count stops all of them at the total', async () => {
    const clock = new VirtualClock();
    const broker = fakeBroker(clock);
    const got: string[] = [];
    let readyAt: number | undefined;
    // at 1 s every thing is connected (0, 100, 200 ms): one message reaches all three, then another
    for (const at of [1000, 2000]) clock.after(at, () => [0, 1, 2].forEach((k) => broker.connections.get(`thing_${k}`)!.deliver('elf/x', String(at))));
    const result = await clock.run(
      runSubscribeFleet(fleetOpts({ count: 5, duration: 3600 }), { logger, clock, connector: broker.connector, onReady: () => (readyAt = clock.now()), onMessage: (thing, _t, p) => got.push(`${thing}:${p.toString()}`) }),
    );
    expect(readyAt).toBe(200);
    expect(result).toMatchObject({ things: 3, subscribed: 3, received: 5, elapsedMs: 2000, stopReason: 'count' });
    expect(got).toEqual(['thing_0:1000', 'thing_1:1000', 'thing_2:1000', 'thing_0:2000', 'thing_1:2000']);
    expect(result.perThing.map((t) => t.received)).toEqual([2, 2, 1]);
    expect([...broker.connections.values()].every((c) => c.closed)).toBe(true);
  });

  it('merges parts in order; a part that died lists its things with why; the parent decides the stop reason', () => {
    const part = (names: string[], received: number[]) => ({ things: names.length, subscribed: names.length, received: received.reduce((a, b) => a + b, 0), elapsedMs: 1000 * names.length, stopReason: 'aborted' as const, perThing: names.map((name, i) => ({ name, received: received[i]! })) });
    const failed = { part: 'worker 1', things: 1, firstThing: 'thing_2', lastThing: 'thing_2', exitCode: null, signal: 'SIGKILL' as NodeJS.Signals };
    const m = mergeSubscribeResults([part(['thing_0', 'thing_1'], [3, 4]), { failed, names: ['thing_2'] }], 'count');
    expect(m).toMatchObject({ things: 3, subscribed: 2, received: 7, elapsedMs: 2000, stopReason: 'count', failedParts: [failed] });
    expect(m.perThing).toEqual([{ name: 'thing_0', received: 3 }, { name: 'thing_1', received: 4 }, { name: 'thing_2', received: 0, error: 'worker 1 was killed by SIGKILL' }]);
    expect(subscribeSummary(m)).toBe('elf subscribe: 7 messages arrived at 3 things (2 subscribed, 1 could not listen) in 2.0 s (stopped by count)');
    expect(subscribeSummary({ ...part(['thing_0'], [1]), stopReason: 'duration' })).toBe('elf subscribe: 1 message arrived in 1.0 s (stopped by duration)');
  });
});

describe('systemClock timers', () => {
  afterEach(() => vi.useRealTimers());

  it('after() waits delays longer than setTimeout honours (a year-long --duration) in steps', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const year = 365 * 24 * 3600 * 1000;
    systemClock.after(year, () => fired.push(1));
    vi.advanceTimersByTime(MAX_TIMER_MS);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(year - 2 * MAX_TIMER_MS - 1);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual([1]);
  });

  it('a cancelled timer never fires, whichever step it is in', () => {
    vi.useFakeTimers();
    const fired: number[] = [];
    const t = systemClock.after(MAX_TIMER_MS + 10, () => fired.push(1));
    vi.advanceTimersByTime(MAX_TIMER_MS + 1);
    t.cancel();
    vi.advanceTimersByTime(100);
    const e = systemClock.every(100, () => fired.push(2));
    vi.advanceTimersByTime(250);
    e.cancel();
    vi.advanceTimersByTime(1000);
    expect(fired).toEqual([2, 2]);
  });

  it('sleep() resolves early when its signal aborts', async () => {
    const ac = new AbortController();
    const slept = systemClock.sleep(3_600_000, ac.signal);
    ac.abort();
    await slept;
  });
});
