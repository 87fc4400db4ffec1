import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import type { SecondOfTraffic } from './types';

/** Messages/s in and out over the last minutes, overall or for one topic, drawn with uPlot. */

declare global {
  interface Window {
    /** the chart, for tests and the curious: window.elfRateChart.data */
    elfRateChart?: uPlot;
  }
}

export function rateData(seconds: SecondOfTraffic[], topic: string): uPlot.AlignedData {
  if (seconds.length === 0) return [[], [], []];
  // every second from the first to the last, zero where nothing moved
  const first = seconds[0]!.t;
  const last = seconds[seconds.length - 1]!.t;
  const byT = new Map(seconds.map((s) => [s.t, s]));
  const t: number[] = [];
  const rin: number[] = [];
  const rout: number[] = [];
  for (let s = first; s <= last; s++) {
    const x = byT.get(s);
    t.push(s);
    const pair = topic === '' ? (x ? [x.in, x.out] : [0, 0]) : (x?.topics[topic] ?? [0, 0]);
    rin.push(pair[0]!);
    rout.push(pair[1]!);
  }
  return [t, rin, rout];
}

function topTopics(seconds: SecondOfTraffic[]): [string, number][] {
  const sum = new Map<string, number>();
  for (const s of seconds) for (const [topic, [i, o]] of Object.entries(s.topics)) sum.set(topic, (sum.get(topic) ?? 0) + i + o);
  return [...sum].sort((a, b) => b[1] - a[1]).slice(0, 20);
}

export function RatePage({ seconds }: { seconds: SecondOfTraffic[] }) {
  const [topic, setTopic] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot>();
  useEffect(() => {
    const u = new uPlot(
      {
        width: Math.max(400, (box.current?.clientWidth ?? 900) - 10),
        height: 320,
        scales: { x: { time: true } },
        axes: [{}, { label: 'messages/s' }],
        series: [{}, { label: 'in', stroke: '#2a7ae2', width: 2 }, { label: 'out', stroke: '#e2792a', width: 2 }],
      },
      [[], [], []],
      box.current!,
    );
    chart.current = u;
    window.elfRateChart = u;
    return () => {
      u.destroy();
      if (window.elfRateChart === u) delete window.elfRateChart;
    };
  }, []);
  useEffect(() => {
    chart.current?.setData(rateData(seconds, topic));
  }, [seconds, topic]);
  const tops = topTopics(seconds);
  return (
    <>
      <h2>Rate</h2>
      <label>
        topic{' '}
        <select name="topic" value={topic} onChange={(e) => setTopic((e.target as HTMLSelectElement).value)}>
          <option value="">all topics</option>
          {tops.map(([t]) => (
            <option value={t}>{t}</option>
          ))}
        </select>
      </label>
      <div ref={box} class="chart" data-testid="rate-chart" />
      <h3>Busiest topics (last {seconds.length > 0 ? seconds[seconds.length - 1]!.t - seconds[0]!.t + 1 : 0} s)</h3>
      <table>
        <thead>
          <tr>
            <th>topic</th>
            <th>messages in + out</th>
          </tr>
        </thead>
        <tbody>
          {tops.map(([t, n]) => (
            <tr>
              <td>
                <code>{t}</code>
              </td>
              <td>{n}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}
