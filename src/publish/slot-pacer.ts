import type { Clock } from '../util/clock.js';

/**
 * One timer for the whole fleet. Every thing waiting for its next slot registers here; the pacer
 * sleeps until the earliest registered tick and wakes everything due by then, together.
 *
 * Why not a timer per thing: each wake-up of the event loop costs more than the work it does at
 * fleet scale. libuv walks every async handle of the loop on a wake-up (the CRT holds two per
 * connection), and 1,000 things at one message a second, each on its own timer, woke the loop about
 * twice per message (its timer, then its acknowledgement): 0.47 CPU-ms per message (bench/
 * scenario 2). Slots are rounded up to a tick of `tickMs`, so a publish is up to a tick late by design and
 * the timer fires at most 1000 / tickMs times a second (plus a re-arm when an earlier tick comes
 * in), whatever the fleet's size. A wait also costs one promise instead of a promise, a timer and
 * an abort listener. Wakers must not throw.
 */
export class SlotPacer {
  /** pending ticks, ascending (ticks come mostly in order: insertion is from the end) */
  private readonly ticks: number[] = [];
  private readonly wakers = new Map<number, Array<() => void>>();
  private sleeping: { tick: number; cancel: AbortController } | undefined;
  private running = false;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly tickMs: number,
  ) {}

  /** Calls `wake` at the first tick at or after `atMs` (on the clock's time line), or when stopped. */
  at(atMs: number, wake: () => void): void {
    if (this.stopped) return wake();
    const tick = Math.ceil(atMs / this.tickMs);
    let list = this.wakers.get(tick);
    if (list === undefined) {
      list = [];
      this.wakers.set(tick, list);
      let i = this.ticks.length;
      while (i > 0 && this.ticks[i - 1]! > tick) i--;
      this.ticks.splice(i, 0, tick);
      // an earlier tick than the one being slept for: sleep again, shorter
      if (this.sleeping && tick < this.sleeping.tick) this.sleeping.cancel.abort();
    }
    list.push(wake);
    if (!this.running) void this.run();
  }

  /**
   * Wakes every waiter now; later waits resolve at once. Stop the waiters' own loops first (abort
   * their signals): a loop that waits again after this would be woken at once, again and again.
   */
  stop(): void {
    this.stopped = true;
    this.sleeping?.cancel.abort();
    for (const tick of this.ticks.splice(0)) this.fire(tick);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.ticks.length > 0 && !this.stopped) {
        const tick = this.ticks[0]!;
        const wait = tick * this.tickMs - this.clock.now();
        if (wait > 0) {
          this.sleeping = { tick, cancel: new AbortController() };
          await this.clock.sleep(wait, this.sleeping.cancel.signal);
          this.sleeping = undefined;
          continue;
        }
        this.ticks.shift();
        this.fire(tick);
      }
    } finally {
      this.running = false;
    }
  }

  private fire(tick: number): void {
    const list = this.wakers.get(tick);
    this.wakers.delete(tick);
    if (list) for (const wake of list) wake();
  }
}
