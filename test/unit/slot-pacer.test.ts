import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/util/clock.js';
import { SlotPacer } from '../../src/publish/slot-pacer.js';
import { VirtualClock } from '../helpers/virtual-clock.js';

/** a promise for `pacer.at` */
const until = (pacer: SlotPacer, atMs: number) => new Promise<void>((resolve) => pacer.at(atMs, resolve));

describe('SlotPacer', () => {
  it('wakes each waiter at the first tick at or after its time, with one timer per tick for the whole fleet', async () => {
    const clock = new VirtualClock();
    const pacer = new SlotPacer(clock, 10);
    const woke: Array<{ id: number; at: number }> = [];
    // 1,000 things, slots spread over one second as the fleet's schedule spreads them
    const waits = Array.from({ length: 1000 }, (_, id) => until(pacer, id * 1.001 + 0.5).then(() => woke.push({ id, at: clock.now() })));
    await clock.run(Promise.all(waits));
    for (const { id, at } of woke) {
      const due = id * 1.001 + 0.5;
      expect(at).toBeGreaterThanOrEqual(due);
      expect(at).toBeLessThan(due + 10);
    }
    expect(woke.map((w) => w.id)).toEqual([...Array(1000).keys()]);
    // one sleep per 10 ms tick, not one per thing
    expect(clock.armed).toBeLessThanOrEqual(101);
  });

  it('sleeps again, shorter, when an earlier time comes in during a long sleep', async () => {
    const pacer = new SlotPacer(systemClock, 1);
    const t0 = systemClock.now();
    const late = until(pacer, t0 + 5000);
    let earlyAt = 0;
    await until(pacer, t0 + 20).then(() => (earlyAt = systemClock.now() - t0));
    expect(earlyAt).toBeGreaterThanOrEqual(19);
    expect(earlyAt).toBeLessThan(2500);
    pacer.stop();
    await late;
  });

  it('stop() wakes every waiter at once, and later waits do not wait', async () => {
    const pacer = new SlotPacer(systemClock, 10);
    const t0 = systemClock.now();
    const waits = [until(pacer, t0 + 1_000_000), until(pacer, t0 + 2_000_000)];
    pacer.stop();
    await Promise.all([...waits, until(pacer, t0 + 3_000_000)]);
    expect(systemClock.now() - t0).toBeLessThan(5000);
  });
});
