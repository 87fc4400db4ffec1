import { performance } from 'node:perf_hooks';

/**
 * One timer for every connection that has publishes waiting to be counted complete
 * (completions.ts): each tick asks them to read their client's count. It runs only while some
 * connection is waiting. One shared timer, not one per connection: 10,000 connections would
 * otherwise fire 10,000 timers per tick. It also picks which publishes are latency samples.
 */
export interface Settles {
  /** reads the client's count and resolves what it can; returns how many publishes still wait */
  settle(): number;
}

export class CompletionPoller {
  private readonly waiting = new Set<Settles>();
  private timer: NodeJS.Timeout | undefined;
  private lastSample = -Infinity;
  /** open connections (each holds 4 libuv async handles in the CRT binding) */
  connections = 0;

  /** @param everyMs how often waiting connections read their count */
  constructor(private readonly everyMs = 200) {}

  /**
   * Should this publish carry a callback of its own (a latency sample)? Each callback wakes the main
   * thread, and each wake-up walks every async handle of the loop (~0.3 µs per handle measured, 4
   * per connection: 12 ms at 10,000 connections). So samples are spaced by 20 µs per connection,
   * at least 10 ms: ~100 a second up to 500 connections, 5 a second at 10,000, which keeps the
   * walks near 5% of the main thread.
   */
  sample(now = performance.now()): boolean {
    if (now - this.lastSample < Math.max(10, this.connections * 0.02)) return false;
    this.lastSample = now;
    return true;
  }

  watch(c: Settles): void {
    this.waiting.add(c);
    this.timer ??= setInterval(() => this.tick(), this.everyMs);
  }

  private tick(): void {
    for (const c of this.waiting) if (c.settle() === 0) this.waiting.delete(c);
    if (this.waiting.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
