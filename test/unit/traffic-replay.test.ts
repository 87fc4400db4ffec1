import { describe, expect, it } from 'vitest';
import { runDevice } from '../../src/publish/device.js';
import { SharedFeed } from '../../src/publish/fanout.js';
import { SlotPacer } from '../../src/publish/slot-pacer.js';
import { ThingStats } from '../../src/publish/stats.js';
import type { DeviceConnection } from '../../src/mqtt/index.js';
import { parseReplayTime, ThingReplay, timeOf, type ReplayClock } from '../../src/traffic/replay.js';
import { linesSource } from '../helpers/lines-source.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

describe('replay times', () => {
  it('ISO 8601, epoch s and ms (numbers or strings), and composed from date columns', () => {
    const one = parseReplayTime('ts', 1);
    expect(timeOf(one, { ts: '2018-01-23T00:15:00Z' })).toBe(Date.UTC(2018, 0, 23, 0, 15));
    expect(timeOf(one, { ts: 1516666500 })).toBe(1516666500_000);
    expect(timeOf(one, { ts: 1516666500123 })).toBe(1516666500123);
    expect(timeOf(one, { ts: '1516666500' })).toBe(1516666500_000);
    expect(timeOf(one, { ts: 'yesterday' })).toBeUndefined();
    expect(timeOf(one, {})).toBeUndefined();
    expect(timeOf(one, 'not an object')).toBeUndefined();
    const radar = parseReplayTime('Year,Month,Day,Hour,Minute', 1);
    expect(timeOf(radar, { Year: 2018, Month: 1, Day: 23, Hour: 23, Minute: 45 })).toBe(Date.UTC(2018, 0, 23, 23, 45));
    expect(timeOf(radar, { Year: 2018, Month: 1, Day: 23, Hour: 23 })).toBeUndefined();
    expect(() => parseReplayTime('Year,Month', 1)).toThrow(/year, month and day/);
    expect(() => parseReplayTime('a,,b', 1)).toThrow(/--replay-time 'a,,b'/);
  });

  it('a thing\'s lines are due at start + (t − origin) / speed; missing and out-of-order times are counted and sent at once', () => {
    const clock: ReplayClock = { spec: parseReplayTime('t', 10), origin: 1_600_000_000_000, startMs: 500, missing: 0, outOfOrder: 0 };
    const r = new ThingReplay(clock);
    expect(r.due('{"t": 1600000000000}', 0)).toBe(500);
    expect(r.due('{"t": 1600000010000}', 0)).toBe(1500);
    expect(r.due('{"x": 1}', 0)).toBe(1500);
    expect(r.due('not json', 0)).toBe(1500);
    expect(r.due('{"t": 1600000005000}', 0)).toBe(1500);
    expect(r.due('{"t": 1600000020000}', 0)).toBe(2500);
    expect(clock).toMatchObject({ missing: 2, outOfOrder: 1 });
  });

  it('the clock starts when the first line is read, however long after the run began (a handshake, the first read of the file)', () => {
    const clock: ReplayClock = { spec: parseReplayTime('t', 10), origin: 1_600_000_000_000, startMs: undefined, missing: 0, outOfOrder: 0 };
    const a = new ThingReplay(clock);
    const b = new ThingReplay(clock);
    expect(a.due('{"t": 1600000000000}', 308)).toBe(308);
    // another thing's line later in the data, read later still: on the same clock
    expect(b.due('{"t": 1600000010000}', 900)).toBe(1308);
    expect(a.due('{"t": 1600000002500}', 309)).toBe(558);
  });
});

describe('runDevice with --replay-time (virtual clock)', () => {
  it('publishes each line at its scaled time, however late the wake-ups; no drift over a long replay', async () => {
    let i = 0;
    const clock = new VirtualClock({ lag: () => (i++ % 4 === 0 ? 7 : 0) });
    const times = Array.from({ length: 200 }, (_, n) => Date.UTC(2018, 0, 23, 0, 15 * n));
    const lines = times.map((t, n) => JSON.stringify({ ts: new Date(t).toISOString(), n }));
    const log: Array<{ at: number; payload: string }> = [];
    const conn = {
      send: (_t: string, payload: string, _q: number, done: (e?: string) => void) => {
        log.push({ at: clock.now(), payload });
        queueMicrotask(() => done(undefined));
      },
    } as unknown as DeviceConnection;
    const replay: ReplayClock = { spec: parseReplayTime('ts', 3600), origin: times[0]!, startMs: 0, missing: 0, outOfOrder: 0 };
    const stats = new ThingStats('thing_0');
    const end = await clock.run(
      runDevice({ k: 0, conn, reader: new SharedFeed(linesSource(lines), { loop: false }).reader(), spec: { startMs: 0, intervalMs: 0, things: 1 }, stats, clock, pacer: new SlotPacer(clock, 10), topic: 'elf', qos: 1, window: 10, payload: {}, replay: new ThingReplay(replay), awsLimits: false, stop: new AbortController().signal }),
    );
    expect(end).toBe('end-of-input');
    expect(log.map((l) => l.payload)).toEqual(lines);
    // 15 minutes of data at 3600× = 250 ms; each publish within a pacer tick (+ lag) of its time
    log.forEach((l, n) => {
      expect(l.at).toBeGreaterThanOrEqual(250 * n);
      expect(l.at - 250 * n).toBeLessThanOrEqual(10 + 7);
    });
    expect(stats).toMatchObject({ sent: 200, late: 0 });
  });
});
