import { describe, expect, it } from 'vitest';
import { SharedFeed, type FeedReader } from '../../src/publish/fanout.js';
import { linesSource } from '../helpers/lines-source.js';

async function drain(r: FeedReader, max = Infinity): Promise<string[]> {
  const out: string[] = [];
  while (out.length < max) {
    const item = await r.next();
    if (item === null) break;
    out.push(item.payload);
  }
  return out;
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `{"i":${i}}`);

describe('SharedFeed', () => {
  it('gives every reader the whole input in order, reading the source once', async () => {
    const src = linesSource(lines(50));
    const feed = new SharedFeed(src, { loop: false });
    const readers = Array.from({ length: 100 }, () => feed.reader());
    const got = await Promise.all(readers.map((r) => drain(r)));
    for (const g of got) expect(g).toEqual(lines(50));
    expect(src.opens).toBe(1);
    expect(feed.windowSize).toBe(0);
  });

  it('keeps only what lies between the slowest and the fastest reader', async () => {
    const feed = new SharedFeed(linesSource(lines(1000)), { loop: false });
    const fast = feed.reader();
    const slow = feed.reader();
    await drain(fast, 300);
    expect(feed.windowSize).toBe(300);
    await drain(slow, 200);
    expect(feed.windowSize).toBe(100);
    slow.close();
    expect(feed.windowSize).toBe(0);
  });

  it('loops at the end of the input, or stops there', async () => {
    const looping = new SharedFeed(linesSource(['a', 'b', 'c']), { loop: true });
    expect(await drain(looping.reader(), 8)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b']);
    const once = new SharedFeed(linesSource(['a', 'b', 'c']), { loop: false });
    expect(await drain(once.reader())).toEqual(['a', 'b', 'c']);
  });

  it('does not loop forever over an input without messages, and reports skips once', async () => {
    const feed = new SharedFeed(linesSource([{ skip: 'invalid JSON' }, { skip: 'too big' }]), { loop: true });
    expect(await drain(feed.reader())).toEqual([]);
    expect(feed.skipped).toEqual({ count: 2, examples: [{ line: 1, reason: 'invalid JSON' }, { line: 2, reason: 'too big' }] });
    const mixed = new SharedFeed(linesSource(['a', { skip: 'bad' }, 'b']), { loop: true });
    expect(await drain(mixed.reader(), 6)).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(mixed.skipped.count).toBe(1);
  });

  it('partition: line i goes to reader i mod N, each line exactly once', async () => {
    const feed = new SharedFeed(linesSource(lines(10)), { loop: false });
    const rs = [0, 1, 2].map((k) => feed.reader(k, 3));
    const got = await Promise.all(rs.map((r) => drain(r)));
    expect(got[0]).toEqual(['{"i":0}', '{"i":3}', '{"i":6}', '{"i":9}']);
    expect(got[1]).toEqual(['{"i":1}', '{"i":4}', '{"i":7}']);
    expect(got[2]).toEqual(['{"i":2}', '{"i":5}', '{"i":8}']);
  });

  it('bounds memory: a reader left behind the full window reads on privately, in order', async () => {
    const src = linesSource(lines(100));
    const feed = new SharedFeed(src, { loop: false, capacity: 10 });
    const fast = feed.reader();
    const slow = feed.reader();
    expect(await drain(slow, 5)).toEqual(lines(5));
    expect(await drain(fast)).toEqual(lines(100));
    expect(feed.windowSize).toBeLessThanOrEqual(10);
    expect(await drain(slow)).toEqual(lines(100).slice(5));
    expect(feed.fallbacks).toBe(1);
    expect(src.opens).toBe(2);
  });
});
