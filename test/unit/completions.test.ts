import { describe, expect, it } from 'vitest';
import { CompletionQueue } from '../../src/mqtt/completions.js';

function recorder() {
  const log: string[] = [];
  const done = (name: string) => (error: string | undefined, timed: boolean) => log.push(`${name}:${error ?? 'ok'}:${timed ? 'timed' : 'counted'}`);
  return { log, done };
}

describe('CompletionQueue', () => {
  it('completes the oldest publishes the client no longer counts as open', () => {
    const q = new CompletionQueue();
    const { log, done } = recorder();
    for (const n of ['a', 'b', 'c', 'd']) q.issue(done(n));
    expect(q.waiting).toBe(4);
    expect(q.settle(4)).toBe(0);
    expect(q.settle(2)).toBe(2);
    expect(log).toEqual(['a:ok:counted', 'b:ok:counted']);
    expect(q.settle(0)).toBe(2);
    expect(log).toEqual(['a:ok:counted', 'b:ok:counted', 'c:ok:counted', 'd:ok:counted']);
    expect(q.waiting).toBe(0);
  });

  it('counts publishes that complete through their own callback without completing them again', () => {
    const q = new CompletionQueue();
    const { log, done } = recorder();
    q.issue(done('a'));
    q.issue(undefined); // sampled: its own callback reports it
    q.issue(done('c'));
    // two of three complete: a and the sampled one, c is still open
    expect(q.settle(1)).toBe(1);
    expect(log).toEqual(['a:ok:counted']);
    expect(q.waiting).toBe(1);
    expect(q.settle(0)).toBe(1);
    expect(log).toEqual(['a:ok:counted', 'c:ok:counted']);
  });

  it('never completes more than was issued, and a count that goes up again changes nothing', () => {
    const q = new CompletionQueue();
    const { log, done } = recorder();
    q.issue(done('a'));
    q.settle(0);
    q.settle(0);
    // a subscription the client also counts as open: nothing new to complete
    q.issue(done('b'));
    expect(q.settle(2)).toBe(0);
    expect(q.settle(-5)).toBe(1);
    expect(log).toEqual(['a:ok:counted', 'b:ok:counted']);
  });

  it('keeps its memory bounded over a long stream', () => {
    const q = new CompletionQueue();
    let completed = 0;
    for (let i = 0; i < 100_000; i++) {
      q.issue(() => completed++);
      if (i % 100 === 99) q.settle(10);
    }
    q.settle(0);
    expect(completed).toBe(100_000);
    expect((q as unknown as { entries: unknown[] }).entries.length).toBe(0);
  });
});
