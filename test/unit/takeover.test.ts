import { describe, expect, it } from 'vitest';
import { QUICK_DROP_MS, TakeoverWatch, takeoverMessage } from '../../src/publish/takeover.js';

describe('TakeoverWatch', () => {
  it('reports once, on the third drop in a row right after connecting', () => {
    const w = new TakeoverWatch();
    const seen: boolean[] = [];
    for (let i = 0; i < 5; i++) {
      w.connected(i * 10_000);
      seen.push(w.interrupted(i * 10_000 + 200));
    }
    expect(seen).toEqual([false, false, true, false, false]);
  });

  it('an ordinary interruption after a long connection resets the count', () => {
    const w = new TakeoverWatch();
    w.connected(0);
    expect(w.interrupted(100)).toBe(false);
    w.connected(1_000);
    expect(w.interrupted(1_100)).toBe(false);
    w.connected(2_000);
    expect(w.interrupted(2_000 + QUICK_DROP_MS + 1)).toBe(false);
    w.connected(20_000);
    expect(w.interrupted(20_100)).toBe(false);
    // a drop with no connection in between is not quick
    expect(w.interrupted(20_200)).toBe(false);
  });

  it('names the client ids, a few of them', () => {
    expect(takeoverMessage(['a'])).toMatch(/^a: disconnected again and again right after connecting; another client is probably using the same client id/);
    expect(takeoverMessage(['a', 'b', 'c', 'd', 'e'])).toMatch(/^a, b, c and 2 more:/);
  });
});
