/**
 * A token bucket: `rate` tokens per second, at most `burst` saved up, full at the start. Pure
 * bookkeeping: every call is given the time (milliseconds, any origin), so tests drive it with
 * virtual time and no bucket owns a timer.
 *
 * Two ways to take a token:
 * - `take(now)` takes one only if it is there (returns 0), else tells how long until one is (and
 *   takes nothing): for callers that retry, or refuse (`tryTake`), when the bucket is empty.
 * - `reserve(now)` always takes the next token, even one not earned yet, and returns how long to
 *   wait before using it: concurrent callers queue up in order without retrying.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly rate: number,
    readonly burst: number,
    nowMs: number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new Error(`bad token bucket rate=${rate} burst=${burst}`);
    this.tokens = burst;
    this.last = nowMs;
  }

  private refill(nowMs: number): void {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate);
    this.last = nowMs;
  }

  /** Takes a token if one is available (returns 0); otherwise takes none and returns the whole ms until one is. */
  take(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Takes a token if one is available: true; false (nothing taken) when the bucket is empty. */
  tryTake(nowMs: number): boolean {
    return this.take(nowMs) === 0;
  }

  /** Takes the next token, available or not; returns the ms to wait before using it (0 when it was there). */
  reserve(nowMs: number): number {
    this.refill(nowMs);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.rate) * 1000;
  }
}
