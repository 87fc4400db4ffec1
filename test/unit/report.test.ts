import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../src/publish/histogram.js';
import { mergeTimelines, RunTimeline } from '../../src/publish/timeline.js';
import { renderReportHtml } from '../../src/report/html.js';
import { connectedPerSecond, latencyPerSecond, type ReportModel } from '../../src/report/model.js';

describe('RunTimeline', () => {
  it('counts events in wall-clock seconds, latency per second', () => {
    // the run's clock reads 5000 at wall time 10.400 s
    const t = new RunTimeline(5000, 10_400);
    t.connected(5000);
    t.sent(5100);
    t.acked(5150, 50);
    t.sent(5599); // 10.999 s
    t.sent(5600); // 11.000 s
    t.acked(5700, 100);
    t.dropped(5800);
    t.resumed(7700); // 13.1 s
    t.failed(7700);
    const j = t.toJSON();
    expect(j.startSec).toBe(10);
    expect(j.sent).toEqual([2, 1, 0, 0]);
    expect(j.acked).toEqual([1, 1, 0, 0]);
    expect(j.failed).toEqual([0, 0, 0, 1]);
    expect(connectedPerSecond(j)).toEqual([1, 0, 0, 1]);
    expect(j.latency[2]).toBeNull();
    expect(LatencyHistogram.fromJSON(j.latency[0]!).count).toBe(1);
    expect(latencyPerSecond(j).p50[1]).toBeCloseTo(100, -1);
  });

  it('merges parts second by second on the wall clock: counts added, histograms merged', () => {
    const a = new RunTimeline(0, 100_000);
    const b = new RunTimeline(0, 101_500);
    a.sent(0);
    a.sent(1200);
    a.acked(1300, 3);
    b.sent(0); // 101.5 s
    b.acked(100, 5);
    b.sent(2600); // 104.1 s
    const m = mergeTimelines([a.toJSON(), b.toJSON()])!;
    expect(m.startSec).toBe(100);
    expect(m.sent).toEqual([1, 2, 0, 0, 1]);
    expect(m.acked).toEqual([0, 2, 0, 0, 0]);
    expect(LatencyHistogram.fromJSON(m.latency[1]!).count).toBe(2);
    expect(m.latency[0]).toBeNull();
  });
});

describe('the report page', () => {
  const model: ReportModel = { title: 'T </script><b>', subtitle: 's', params: [['a', '<i>']], figures: [], charts: [], tables: [{ title: 'x', columns: ['c'], rows: [['</script>']] }] };

  it('escapes what it shows, and nothing in the data closes a script', () => {
    const html = renderReportHtml(model, { js: 'var uPlot = 1; "</script>"', css: '' });
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html.match(/<\/script>/g)).toHaveLength(3);
    expect(html).toContain('no per-second figures');
  });
});
