import { describe, expect, it } from 'vitest';
import { endTime, firstSlotFrom, inRun, offsetMs, slotTime, type ScheduleSpec } from '../../src/publish/schedule.js';

const spec = (over: Partial<ScheduleSpec> = {}): ScheduleSpec => ({ startMs: 1000, intervalMs: 500, things: 4, ...over });

describe('absolute schedule', () => {
  it('spreads the things over the interval', () => {
    expect([0, 1, 2, 3].map((k) => offsetMs(spec(), k))).toEqual([0, 125, 250, 375]);
    expect(offsetMs(spec({ things: 1 }), 0)).toBe(0);
  });

  it('puts slot n of thing k at start + offset_k + n·interval, without accumulating error', () => {
    expect(slotTime(spec(), 2, 0)).toBe(1250);
    expect(slotTime(spec(), 2, 3)).toBe(2750);
    // a fractional interval does not drift over a million slots
    const s = spec({ intervalMs: 100 / 3, things: 1 });
    expect(slotTime(s, 0, 1_000_000)).toBeCloseTo(1000 + 100_000_000 / 3, 3);
  });

  it('joins a late thing where the schedule stands, not at slot 0', () => {
    expect(firstSlotFrom(spec(), 0, 900)).toBe(0);
    expect(firstSlotFrom(spec(), 0, 1000)).toBe(0);
    expect(firstSlotFrom(spec(), 0, 1001)).toBe(1);
    // thing 1: slots at 1125, 1625, 2125, 2625; the first at or after 2130 is n = 3
    expect(firstSlotFrom(spec(), 1, 2130)).toBe(3);
    expect(firstSlotFrom(spec(), 1, 2125)).toBe(2);
  });

  it('bounds the run by its duration', () => {
    const s = spec({ durationMs: 3000, things: 2 });
    expect(endTime(s)).toBe(4000);
    const count = (k: number) => {
      let n = 0;
      while (inRun(s, k, n)) n++;
      return n;
    };
    expect(count(0)).toBe(6);
    expect(count(1)).toBe(6);
    expect(endTime(spec())).toBe(Infinity);
  });

  it('interval 0: every slot is due at once', () => {
    const s = spec({ intervalMs: 0 });
    expect(slotTime(s, 3, 1000)).toBe(1000);
    expect(firstSlotFrom(s, 3, 99_999)).toBe(0);
  });

  it('a driven clock sees the n-th publish at its slot however late the previous one was', () => {
    // simulate a loop that is 40 ms late on every other tick: slot times stay on the grid
    const s = spec({ intervalMs: 100, things: 1, startMs: 0, durationMs: 1000 });
    const fired: number[] = [];
    let now = 0;
    for (let n = firstSlotFrom(s, 0, now); inRun(s, 0, n); n++) {
      const due = slotTime(s, 0, n);
      now = Math.max(now, due) + (n % 2 ? 40 : 0);
      fired.push(due);
    }
    expect(fired).toEqual([0, 100, 200, 300, 400, 500, 600, 700, 800, 900]);
  });
});
