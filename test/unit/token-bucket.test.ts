import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../src/util/token-bucket.js';

// Virtual time throughout: the bucket is told the time at each call.

describe('TokenBucket.take: a token if there is one, else the wait', () => {
  it('allows a burst, then paces at the rate', () => {
    const b = new TokenBucket(10, 2, 0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(100);
    expect(b.take(50)).toBe(50);
    expect(b.take(100)).toBe(0);
  });

  it('takes nothing when it answers a wait: asking again does not push the token back', () => {
    const b = new TokenBucket(4, 1, 0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(250);
    expect(b.take(0)).toBe(250);
    expect(b.take(125)).toBe(125);
    expect(b.take(250)).toBe(0);
  });

  it('rounds a fractional wait up to a whole millisecond', () => {
    const b = new TokenBucket(3, 1, 0);
    expect(b.take(0)).toBe(0);
    expect(b.take(0)).toBe(334);
    expect(b.take(334)).toBe(0);
  });

  it('publishes at most `rate` a second over a long run, at 100/s with a burst of 100', () => {
    const b = new TokenBucket(100, 100, 0);
    let taken = 0;
    let t = 0;
    while (t <= 10_000) {
      const wait = b.take(t);
      if (wait === 0) taken++;
      else t += wait;
    }
    expect(taken).toBe(100 + 100 * 10); // the initial burst, then one every 10 ms up to t = 10 s
  });
});

describe('TokenBucket.tryTake: refuse when empty', () => {
  it('allows one second’s worth, refills with time, never beyond the burst', () => {
    const b = new TokenBucket(10, 10, 0);
    const count = (now: number) => {
      let ok = 0;
      for (let i = 0; i < 20; i++) if (b.tryTake(now)) ok++;
      return ok;
    };
    expect(count(0)).toBe(10);
    expect(count(500)).toBe(5);
    expect(count(10_500)).toBe(10);
  });
});

describe('TokenBucket.reserve: queue up in order', () => {
  it('spaces concurrent callers at the rate', () => {
    const b = new TokenBucket(10, 1, 0);
    expect(b.reserve(0)).toBe(0);
    expect(b.reserve(0)).toBeCloseTo(100);
    expect(b.reserve(0)).toBeCloseTo(200);
    expect(b.reserve(1000)).toBe(0); // the debt is paid and the bucket refilled (to at most the burst)
    expect(b.reserve(1000)).toBeCloseTo(100);
  });
});

describe('TokenBucket construction', () => {
  it('refuses a rate that is not positive or a burst below one token', () => {
    expect(() => new TokenBucket(0, 1, 0)).toThrow(/rate=0/);
    expect(() => new TokenBucket(10, 0.5, 0)).toThrow(/burst=0.5/);
    expect(() => new TokenBucket(Number.NaN, 1, 0)).toThrow();
  });
});
