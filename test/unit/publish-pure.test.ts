import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/publish/histogram.js';
import { shapePayload } from '../../src/publish/payload.js';
import { ThingStats } from '../../src/publish/stats.js';
import { renderStatusLine, renderText, summarize } from '../../src/publish/summary.js';

describe('LatencyHistogram', () => {
  it('gives quantiles within a bucket width (≈9 %)', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) h.record(i / 10); // 0.1 .. 100 ms
    expect(h.quantile(0.5)!).toBeGreaterThan(50 * 0.91);
    expect(h.quantile(0.5)!).toBeLessThan(50 * 1.09);
    expect(h.quantile(0.99)!).toBeGreaterThan(99 * 0.91);
    expect(h.quantile(0.99)!).toBeLessThanOrEqual(100);
    expect(h.max).toBe(100);
    expect(new LatencyHistogram().quantile(0.5)).toBeUndefined();
  });
});

describe('shapePayload', () => {
  it('sends a line unchanged, byte for byte, unless fields are asked for', () => {
    const line = '{ "b": 1,  "a": [1, 2] }';
    expect(shapePayload(line, 'thing_0', 0, {})).toBe(line);
  });
  it('adds the thing name and a timestamp to JSON objects only', () => {
    expect(JSON.parse(shapePayload('{"v":1}', 'thing_3', Date.UTC(2024, 0, 2), { addThingName: 'thing', addTimestamp: 'ts' }))).toEqual({
      v: 1,
      thing: 'thing_3',
      ts: '2024-01-02T00:00:00.000Z',
    });
    expect(shapePayload('[1,2]', 't', 0, { addThingName: 'thing' })).toBe('[1,2]');
    expect(shapePayload('"x"', 't', 0, { addThingName: 'thing' })).toBe('"x"');
  });
});

describe('summary', () => {
  it('totals the things and renders text, JSON-able data and a status line', () => {
    const a = new ThingStats('thing_0');
    Object.assign(a, { scheduled: 10, sent: 10, acked: 9, failed: 1, connectMs: 120, maybeDuplicated: 3 });
    a.latency.record(5);
    const b = new ThingStats('thing_1');
    Object.assign(b, { scheduled: 4, sent: 3, acked: 2, skipped: 1, connectMs: undefined, lastError: 'TLS handshake failed' });
    const s = summarize({
      stats: [a, b],
      protocol: '3.1.1',
      qos: 1,
      startMs: 0,
      elapsedMs: 3000,
      sendingMs: 2000,
      allConnectedMs: undefined,
      drainMs: 10,
      stopReason: 'duration',
      skipped: { count: 1, examples: [{ line: 7, reason: 'invalid JSON' }] },
      fallbacks: 0,
    });
    expect(s.totals).toEqual({ scheduled: 14, sent: 13, acked: 11, failed: 1, unacked: 1, skipped: 1, late: 0 });
    expect(s.connected).toBe(1);
    expect(s.msgsPerSec).toBe(5.5);
    expect(s.latencyMs!.p50).toBeCloseTo(5, 0);
    const text = renderText(s);
    expect(text).toMatch(/13 sent, 11 acked, 1 failed/);
    expect(text).toMatch(/line 7: invalid JSON/);
    // one word, one meaning: the skipped input lines are not confused with messages too large to send
    expect(text).toMatch(/, 1 not sent \(over AWS's payload limit with the added fields\)\n/);
    expect(text).toMatch(/skipped input lines: 1\n/);
    expect(text).toMatch(/^thing +sent +acked +failed +too big +connect$/m);
    const clean = renderText(summarize({ stats: [a], protocol: '3.1.1', qos: 1, startMs: 0, elapsedMs: 1, sendingMs: 1, allConnectedMs: 1, drainMs: 0, stopReason: 'duration', skipped: { count: 2, examples: [] }, fallbacks: 0 }));
    expect(clean).not.toMatch(/\bskipped\b(?! input lines)/);
    expect(clean).not.toMatch(/not sent|too big/);
    expect(s.duplicates).toEqual({ possible: 3 });
    expect(text).toMatch(/possible duplicates: 3 /);
    expect(text).toMatch(/thing_1 .* TLS handshake failed/);
    expect(JSON.parse(JSON.stringify(s)).perThing).toHaveLength(2);
    expect(
      renderStatusLine({ elapsedMs: 4200, things: 10, connected: 9, sent: 1234, acked: 1200, failed: 0, skipped: 0, inflight: 34, ratePerSec: 99.6 }),
    ).toBe('   4 s  connected 9/10  sent 1,234  acked 1,200  failed 0  100 msg/s');
  });
});
