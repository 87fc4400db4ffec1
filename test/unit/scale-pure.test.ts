import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { nameIndex, newRunId, owns, parseRunId, parseShard, resolveShard, shardIndexes } from '../../src/fleet/shard.js';
import { SharedFeed } from '../../src/publish/fanout.js';
import { LatencyHistogram } from '../../src/publish/histogram.js';
import { mergeStopReason, mergeSummaries } from '../../src/publish/merge.js';
import { ownedSource } from '../../src/publish/owned-source.js';
import { ThingStats } from '../../src/publish/stats.js';
import { summarize, type SendSummary } from '../../src/publish/summary.js';
import { autoWorkers, sliceConnectRate, sliceFleet } from '../../src/publish/workers/slices.js';
import type { Source } from '../../src/source/types.js';
import { linesSource } from '../helpers/lines-source.js';

describe('shards', () => {
  it('parses i/n and names the flag in its errors', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard(' 0 / 1 ')).toEqual({ index: 0, count: 1 });
    expect(() => parseShard('4/4')).toThrow(/--shard '4\/4': i must be below n/);
    expect(() => parseShard('1/0')).toThrow(UsageError);
    expect(() => parseShard('a/b')).toThrow(/expected i\/n/);
    expect(() => parseShard('-1/4')).toThrow(/expected i\/n/);
  });

  it('reads the index from JOB_COMPLETION_INDEX with --shards n', () => {
    expect(resolveShard({ shards: 4 }, { JOB_COMPLETION_INDEX: '3' })).toEqual({ index: 3, count: 4 });
    expect(resolveShard({}, { JOB_COMPLETION_INDEX: '3' })).toBeUndefined();
    expect(resolveShard({ shard: { index: 1, count: 4 } }, {})).toEqual({ index: 1, count: 4 });
    expect(() => resolveShard({ shards: 4 }, {})).toThrow(/JOB_COMPLETION_INDEX is not set/);
    expect(() => resolveShard({ shards: 4 }, { JOB_COMPLETION_INDEX: '4' })).toThrow(/JOB_COMPLETION_INDEX '4\/4'/);
    expect(() => resolveShard({ shards: 4 }, { JOB_COMPLETION_INDEX: 'x' })).toThrow(/JOB_COMPLETION_INDEX 'x'/);
    expect(() => resolveShard({ shard: { index: 0, count: 2 }, shards: 4 }, {})).toThrow(/disagree/);
  });

  it('shard i of n owns the global indexes ≡ i mod n: every thing once over all shards', () => {
    expect(shardIndexes(100, { index: 1, count: 4 }).slice(0, 3)).toEqual([1, 5, 9]);
    expect(shardIndexes(10, { index: 0, count: 4 })).toEqual([0, 4, 8]);
    expect(shardIndexes(3, undefined)).toEqual([0, 1, 2]);
    for (const [total, n] of [[100, 4], [7, 3], [2, 5], [1000, 7]] as const) {
      const all = Array.from({ length: n }, (_, i) => shardIndexes(total, { index: i, count: n })).flat();
      expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, k) => k));
      for (const k of all) expect(owns({ index: k % n, count: n }, k)).toBe(true);
    }
  });

  it('reads the global index from a name and makes valid run ids', () => {
    expect(nameIndex('thing_12', 'thing_')).toBe(12);
    expect(nameIndex('thing_x', 'thing_')).toBeUndefined();
    expect(nameIndex('other_1', 'thing_')).toBeUndefined();
    const ids = new Set(Array.from({ length: 100 }, newRunId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(parseRunId(id)).toBe(id);
    expect(() => parseRunId('a b')).toThrow(/--run-id 'a b'/);
  });
});

describe('worker slices', () => {
  it('are contiguous, disjoint, cover the fleet, and differ in size by at most one', () => {
    for (const [things, w] of [[10, 3], [20_000, 2], [3, 8], [1, 1], [5001, 4]] as const) {
      const s = sliceFleet(things, w);
      expect(s.length).toBe(Math.min(w, things));
      expect(s[0]!.from).toBe(0);
      expect(s.at(-1)!.to).toBe(things);
      for (let i = 1; i < s.length; i++) expect(s[i]!.from).toBe(s[i - 1]!.to);
      const sizes = s.map((x) => x.to - x.from);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(Math.min(...sizes)).toBeGreaterThan(0);
    }
    expect(sliceFleet(10, 3)).toEqual(sliceFleet(10, 3));
  });

  it('auto: one worker per 5,000 things, at most one per core', () => {
    expect(autoWorkers(100, 8)).toBe(1);
    expect(autoWorkers(5001, 8)).toBe(2);
    expect(autoWorkers(20_000, 2)).toBe(1);
    expect(autoWorkers(20_000, 4)).toBe(3);
    expect(autoWorkers(1_000_000, 16)).toBe(15);
    expect(autoWorkers(10, 0)).toBe(1);
  });

  it('share the connect rate by slice size', () => {
    const s = sliceFleet(300, 3);
    expect(s.map((x) => sliceConnectRate(100, x, 300)).reduce((a, b) => a + b)).toBeCloseTo(100);
    expect(sliceConnectRate(1, s[0]!, 300)).toBe(1);
  });
});

/** what each thing of a partitioned fleet is sent: lines per thing, as one process would deal them */
async function dealt(source: Source, things: number): Promise<string[][]> {
  const feed = new SharedFeed(source, { loop: false });
  const readers = Array.from({ length: things }, (_, k) => feed.reader(k, things));
  const out: string[][] = [];
  for (const r of readers) {
    const mine: string[] = [];
    for (let it = await r.next(); it; it = await r.next()) mine.push(it.payload);
    out.push(mine);
  }
  await feed.close();
  return out;
}

describe('--partition across processes (ownedSource)', () => {
  const lines = Array.from({ length: 53 }, (_, i) => (i === 7 ? { skip: 'invalid JSON' } : `m${i}`));
  const N = 10;

  it('a slice or a shard sends, thing by thing, what one process of the whole fleet sends', async () => {
    const whole = await dealt(linesSource(lines), N);
    // workers: contiguous slices
    for (const s of sliceFleet(N, 3)) {
      const owned = Array.from({ length: s.to - s.from }, (_, j) => s.from + j);
      expect(await dealt(ownedSource(linesSource(lines), owned, N), owned.length)).toEqual(owned.map((p) => whole[p]));
    }
    // shards: thing_k is at position k; shard i owns k ≡ i (mod n)
    for (let i = 0; i < 4; i++) {
      const owned = shardIndexes(N, { index: i, count: 4 });
      expect(await dealt(ownedSource(linesSource(lines), owned, N), owned.length)).toEqual(owned.map((p) => whole[p]));
    }
  });

  it('passes skipped inputs through and checks positions', async () => {
    const items = [];
    for await (const it of ownedSource(linesSource(lines), [0], N).open()) items.push(it);
    expect(items.filter((i) => i.kind === 'skip')).toHaveLength(1);
    expect(() => ownedSource(linesSource(lines), [N], N)).toThrow(RangeError);
  });
});

function part(names: string[], latencies: number[][], startedAt: number, over: Partial<Parameters<typeof summarize>[0]> = {}): SendSummary {
  const stats = names.map((n, i) => {
    const st = new ThingStats(n);
    Object.assign(st, { scheduled: latencies[i]!.length, sent: latencies[i]!.length, acked: latencies[i]!.length, connectMs: 10 + Number(n.split('_')[1]) });
    for (const ms of latencies[i]!) st.latency.record(ms);
    return st;
  });
  return summarize({ stats, protocol: '3.1.1', qos: 1, startMs: 1000, startedAt, firstSendMs: 1100, lastSettleMs: 3100, elapsedMs: 3000, sendingMs: 2000, allConnectedMs: 50, drainMs: 5, stopReason: 'end-of-input', skipped: { count: 0, examples: [] }, fallbacks: 0, ...over });
}

describe('mergeSummaries', () => {
  const lat = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));

  it('equals the summary one process makes of the same things (histograms merged, not percentiles averaged)', () => {
    const a = [lat(900, (i) => 1 + (i % 7)), lat(100, () => 3)];
    const b = [lat(50, (i) => 200 + i), lat(10, () => 900)];
    const merged = mergeSummaries({ parts: [part(['t_1', 't_2'], a, 1_000_000), part(['t_3', 't_4'], b, 1_000_000)] });
    const one = part(['t_1', 't_2', 't_3', 't_4'], [...a, ...b], 1_000_000);
    expect(merged).toEqual(one);
    // averaging the parts' p99 would be far off
    expect(merged.latencyMs!.p99).toBeGreaterThan(200);
  });

  it('takes times on the wall clock from the earliest start', () => {
    const m = mergeSummaries({ parts: [part(['t_1'], [[1]], 1_000_000), part(['t_2'], [[1]], 1_000_500)] });
    expect(m.elapsedMs).toBe(3500);
    expect(m.allConnectedMs).toBe(550);
    expect(m.timing).toEqual({ startedAt: 1_000_000, firstPublishMs: 100, lastSettleMs: 2600 });
    expect(m.msgsPerSec).toBe(0.8);
  });

  it('keeps a failed part as rows without figures and says which', () => {
    const m = mergeSummaries({
      parts: [part(['t_1'], [[1, 2]], 0), { part: 'worker 1', things: 2, firstThing: 't_2', lastThing: 't_3', exitCode: 1, signal: null, names: ['t_2', 't_3'] }],
    });
    expect(m.things).toBe(3);
    expect(m.connected).toBe(1);
    expect(m.allConnectedMs).toBeNull();
    expect(m.perThing.map((r) => [r.name, r.lastError])).toEqual([['t_1', undefined], ['t_2', 'worker 1 exited with code 1'], ['t_3', 'worker 1 exited with code 1']]);
    expect(m.failedParts).toEqual([{ part: 'worker 1', things: 2, firstThing: 't_2', lastThing: 't_3', exitCode: 1, signal: null }]);
  });

  it('orders rows by name for shards, numbers as numbers', () => {
    const m = mergeSummaries({ parts: [part(['t_2', 't_10'], [[1], [1]], 0), part(['t_1', 't_9'], [[1], [1]], 0)], order: 'name' });
    expect(m.perThing.map((r) => r.name)).toEqual(['t_1', 't_2', 't_9', 't_10']);
  });

  it('ends on the most telling stop reason', () => {
    expect(mergeStopReason(['count', 'count'])).toBe('count');
    expect(mergeStopReason(['count', 'end-of-input'])).toBe('end-of-input');
    expect(mergeStopReason(['duration', 'aborted'])).toBe('aborted');
    expect(mergeStopReason(['gave-up', 'input-error'])).toBe('input-error');
  });

  it('round-trips a histogram through JSON', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i < 500; i++) h.record(i / 3);
    const back = LatencyHistogram.fromJSON(JSON.parse(JSON.stringify(h.toJSON())));
    expect(back.count).toBe(h.count);
    expect(back.quantile(0.99)).toBe(h.quantile(0.99));
    expect(() => LatencyHistogram.fromJSON({ perOctave: 4, maxMs: 0, buckets: [] })).toThrow(RangeError);
  });
});
