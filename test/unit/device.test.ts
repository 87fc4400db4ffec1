import { describe, expect, it } from 'vitest';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { runDevice } from '../../src/publish/device.js';
import { SharedFeed } from '../../src/publish/fanout.js';
import { SlotPacer } from '../../src/publish/slot-pacer.js';
import { ThingStats } from '../../src/publish/stats.js';
import type { DeviceConnection } from '../../src/mqtt/index.js';
import { linesSource } from '../helpers/lines-source.js';
import { eventually } from '../helpers/poll.js';
import { VirtualClock } from '../helpers/virtual-clock.js';


function fakeConnection(clock: Clock, log: Array<{ at: number; payload: string }>): DeviceConnection {
  return {
    clientId: 'thing_1',
    protocol: '3.1.1',
    isConnected: true,
    connect: async () => {},
    publish: async (_topic, payload) => {
      log.push({ at: clock.now(), payload: String(payload) });
    },
    send: (_topic, payload, _qos, done) => {
      log.push({ at: clock.now(), payload: String(payload) });
      queueMicrotask(() => done(undefined));
    },
    subscribe: async () => {},
    close: async () => {},
    on: () => {},
  };
}

describe('runDevice (virtual clock)', () => {
  it('publishes on the absolute grid, spread by thing, however late each wake-up is', async () => {
    let i = 0;
    const clock = new VirtualClock({ lag: () => (i++ % 3 === 0 ? 30 : 0) }); // every third wake-up is 30 ms late
    const log: Array<{ at: number; payload: string }> = [];
    const feed = new SharedFeed(linesSource(['a', 'b', 'c']), { loop: true });
    const stats = new ThingStats('thing_1');
    const end = await clock.run(runDevice({
      k: 1,
      conn: fakeConnection(clock, log),
      reader: feed.reader(),
      spec: { startMs: 0, intervalMs: 100, things: 2, durationMs: 1000 },
      stats,
      clock,
      pacer: new SlotPacer(clock, 1),
      topic: 'elf',
      qos: 1,
      window: 10,
      payload: {},
      awsLimits: false,
      stop: new AbortController().signal,
    }));
    expect(end).toBe('duration');
    expect(log.map((l) => l.payload).join('')).toBe('abcabcabca');
    // slot n of thing 1 of 2 is at 50 + 100·n; a late wake-up never shifts the later slots
    log.forEach((l, n) => {
      expect(l.at).toBeGreaterThanOrEqual(50 + 100 * n);
      expect(l.at).toBeLessThanOrEqual(50 + 100 * n + 30);
    });
    expect(stats).toMatchObject({ scheduled: 10, sent: 10, acked: 10, late: 0 });
  });

  it('stops at --count and skips payloads over 128 KB under AWS limits', async () => {
    const clock = new VirtualClock();
    const log: Array<{ at: number; payload: string }> = [];
    const big = `"${'x'.repeat(128 * 1024)}"`;
    const feed = new SharedFeed(linesSource(['1', big, '2', '3']), { loop: false });
    const stats = new ThingStats('thing_1');
    const end = await clock.run(runDevice({
      k: 0,
      conn: fakeConnection(clock, log),
      reader: feed.reader(),
      spec: { startMs: 0, intervalMs: 0, things: 1 },
      stats,
      clock,
      pacer: new SlotPacer(clock, 1),
      topic: 'elf',
      qos: 0,
      count: 2,
      window: 10,
      payload: {},
      awsLimits: true,
      stop: new AbortController().signal,
    }));
    expect(end).toBe('count');
    expect(log.map((l) => l.payload)).toEqual(['1', '2']);
    expect(stats).toMatchObject({ sent: 2, skipped: 1 });
  });

  describe('stops at once when aborted (real clock)', () => {
    const run = (opts: { intervalMs: number; window: number; acks: boolean }) => {
      const log: Array<{ at: number; payload: string }> = [];
      const conn = fakeConnection(systemClock, log);
      if (!opts.acks) conn.send = (_topic, payload) => log.push({ at: systemClock.now(), payload: String(payload) });
      const stop = new AbortController();
      const t0 = systemClock.now();
      const end = runDevice({
        k: 0,
        conn,
        reader: new SharedFeed(linesSource(['a', 'b']), { loop: true }).reader(),
        spec: { startMs: t0 + 5, intervalMs: opts.intervalMs, things: 1 },
        stats: new ThingStats('thing_0'),
        clock: systemClock,
        pacer: new SlotPacer(systemClock, 10),
        topic: 'elf',
        qos: 1,
        window: opts.window,
        payload: {},
        awsLimits: false,
        stop: stop.signal,
      });
      // abort once the first message is out (a condition, not a time): then it waits for the slot or the ack
      void eventually(() => log.length >= 1, 'the first message').then(() => stop.abort());
      return end.then((e) => ({ end: e, ms: systemClock.now() - t0, sent: log.length }));
    };

    it('while waiting for a slot an hour away', async () => {
      const r = await run({ intervalMs: 3_600_000, window: 10, acks: true });
      expect(r).toMatchObject({ end: 'stopped', sent: 1 });
    }, 10_000); // a device that missed the abort waits an hour: the test's own timeout is the check

    it('while waiting for an acknowledgement that never comes (window full)', async () => {
      const r = await run({ intervalMs: 0, window: 1, acks: false });
      expect(r).toMatchObject({ end: 'stopped', sent: 1 });
    }, 10_000); // a device that missed the abort waits for an ack that never comes
  });
});
