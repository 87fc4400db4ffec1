import { LatencyHistogram } from '../publish/histogram.js';
import type { SendSummary } from '../publish/summary.js';
import type { SerializedTimeline } from '../publish/timeline.js';

/**
 * What a run report shows, as plain values (html.ts draws it): the run's parameters and figures,
 * charts of per-second series on the wall clock, and tables. Pure: a summary in, a model out.
 */
export interface ChartSeries {
  label: string;
  values: Array<number | null>;
  color: string;
}

export interface Chart {
  id: string;
  title: string;
  /** y axis unit, e.g. "msg/s" or "ms" */
  unit: string;
  /** x values: epoch seconds, or ranks for a chart that is not over time */
  x: number[];
  time: boolean;
  series: ChartSeries[];
  note?: string;
}

export interface Table {
  title: string;
  columns: string[];
  rows: string[][];
  note?: string;
}

export interface ReportModel {
  title: string;
  /** one line under the title: the target and when */
  subtitle: string;
  params: Array<[string, string]>;
  figures: Array<[string, string]>;
  charts: Chart[];
  tables: Table[];
}

const COLORS = { sent: '#4e79a7', acked: '#59a14f', failed: '#e15759', p50: '#4e79a7', p99: '#f28e2b', up: '#59a14f', connects: '#4e79a7', drops: '#e15759', reconnects: '#f28e2b', onTime: '#76b7b2' };
const fmt = (n: number) => n.toLocaleString('en-US');
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** The x axis of a timeline: one epoch second per entry. */
function seconds(t: SerializedTimeline): number[] {
  return t.sent.map((_, i) => t.startSec + i);
}

/** Pure: p50 and p99 of each second's histogram (null for a second without acknowledgements). */
export function latencyPerSecond(t: SerializedTimeline): { p50: Array<number | null>; p99: Array<number | null> } {
  const p50: Array<number | null> = [];
  const p99: Array<number | null> = [];
  for (const h of t.latency) {
    const hist = h ? LatencyHistogram.fromJSON(h) : undefined;
    p50.push(hist ? round(hist.quantile(0.5) ?? 0) : null);
    p99.push(hist ? round(hist.quantile(0.99) ?? 0) : null);
  }
  return { p50, p99 };
}

/** Pure: connections up at the end of each second (first connects and reconnects less drops). */
export function connectedPerSecond(t: SerializedTimeline): number[] {
  let up = 0;
  return t.connects.map((c, i) => (up += c + t.reconnects[i]! - t.drops[i]!));
}

function timelineCharts(t: SerializedTimeline, qos: number): Chart[] {
  const x = seconds(t);
  const ack = qos === 1 ? 'acked' : 'written';
  const charts: Chart[] = [
    {
      id: 'rate',
      title: 'Messages per second',
      unit: 'msg/s',
      x,
      time: true,
      series: [
        { label: 'sent', values: t.sent, color: COLORS.sent },
        { label: ack, values: t.acked, color: COLORS.acked },
        { label: 'failed', values: t.failed, color: COLORS.failed },
      ],
    },
  ];
  if (qos === 1) {
    const { p50, p99 } = latencyPerSecond(t);
    charts.push({ id: 'latency', title: 'Acknowledgement latency per second', unit: 'ms', x, time: true, series: [{ label: 'p50', values: p50, color: COLORS.p50 }, { label: 'p99', values: p99, color: COLORS.p99 }] });
  }
  charts.push({
    id: 'connections',
    title: 'Connections',
    unit: 'connections',
    x,
    time: true,
    series: [
      { label: 'up', values: connectedPerSecond(t), color: COLORS.up },
      { label: 'connects/s', values: t.connects, color: COLORS.connects },
      { label: 'drops/s', values: t.drops, color: COLORS.drops },
      { label: 'reconnects/s', values: t.reconnects, color: COLORS.reconnects },
    ],
    note: 'up: connections open at the end of each second (the ramp, then drops and reconnects); the closing at the end of the run is not drawn',
  });
  return charts;
}

/** Pure: each thing's share of publishes handed to the client on time (within 100 ms of its slot). */
export function onTimeShares(s: SendSummary): Array<{ name: string; share: number; sent: number; late: number }> {
  return s.perThing.filter((p) => p.sent > 0).map((p) => ({ name: p.name, share: round((p.sent - p.late) / p.sent, 4), sent: p.sent, late: p.late }));
}

function onTime(s: SendSummary, paced: boolean): { chart?: Chart; table?: Table } {
  if (!paced) return {};
  const shares = onTimeShares(s).sort((a, b) => a.share - b.share || a.name.localeCompare(b.name));
  if (shares.length === 0) return {};
  const chart: Chart = {
    id: 'on-time',
    title: 'On-time share by thing (worst first)',
    unit: '% on time',
    x: shares.map((_, i) => i + 1),
    time: false,
    series: [{ label: 'on time', values: shares.map((r) => round(r.share * 100)), color: COLORS.onTime }],
    note: 'a publish is on time when handed to the client within 100 ms of its slot',
  };
  const table: Table = {
    title: 'Things least on time',
    columns: ['thing', 'on time', 'sent', 'late'],
    rows: shares.slice(0, 20).map((r) => [r.name, `${round(r.share * 100, 1)} %`, fmt(r.sent), fmt(r.late)]),
    ...(shares.length > 20 ? { note: `the 20 least on time of ${fmt(shares.length)} things` } : {}),
  };
  return { chart, table };
}

export interface SendReportInput {
  summary: SendSummary;
  /** the run's parameters as the user gave them (flags and their defaults) */
  params: Array<[string, string]>;
  /** e.g. "127.0.0.1:8883 (the stand-in)" */
  target: string;
  /** seconds between two messages of a thing (on-time shares need a schedule) */
  intervalSeconds: number;
}

export function sendReportModel(input: SendReportInput): ReportModel {
  const s = input.summary;
  const t = s.totals;
  const ack = s.qos === 1 ? 'acked' : 'written';
  const figures: Array<[string, string]> = [
    ['things', `${fmt(s.things)} (${fmt(s.connected)} connected${s.allConnectedMs !== null ? `, all in ${(s.allConnectedMs / 1000).toFixed(2)} s` : ''})`],
    ['messages', `${fmt(t.sent)} sent, ${fmt(t.acked)} ${ack}, ${fmt(t.failed)} failed, ${fmt(t.unacked)} un${ack}, ${fmt(t.skipped)} skipped, ${fmt(t.late)} late`],
    ['rate', `${fmt(s.msgsPerSec)} msg/s`],
    ...(s.latencyMs ? [['ack latency', `p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms`] as [string, string]] : []),
    ['elapsed', `${(s.elapsedMs / 1000).toFixed(1)} s, stopped by ${s.stopReason}${s.error ? ` (${s.error})` : ''}`],
    ...(s.duplicates && s.duplicates.possible > 0 ? [['possible duplicates', fmt(s.duplicates.possible)] as [string, string]] : []),
  ];
  const charts = s.timeline ? timelineCharts(s.timeline, s.qos) : [];
  const tables: Table[] = [];
  const ot = onTime(s, input.intervalSeconds > 0);
  if (ot.chart) charts.push(ot.chart);
  if (ot.table) tables.push(ot.table);
  if (s.skippedLines.count > 0) {
    tables.push({
      title: `Skipped input lines: ${fmt(s.skippedLines.count)}`,
      columns: ['line', 'why'],
      rows: s.skippedLines.examples.map((e) => [String(e.line), e.reason]),
      ...(s.skippedLines.count > s.skippedLines.examples.length ? { note: `the first ${s.skippedLines.examples.length} of ${fmt(s.skippedLines.count)}` } : {}),
    });
  }
  if (s.failedParts?.length) {
    tables.push({ title: 'Parts of the fleet that failed', columns: ['part', 'things', 'first', 'last', 'ended'], rows: s.failedParts.map((f) => [f.part, fmt(f.things), f.firstThing, f.lastThing, f.signal ? `killed by ${f.signal}` : `exit code ${f.exitCode}`]) });
  }
  return {
    title: 'elf send: run report',
    subtitle: `${input.target}, MQTT ${s.protocol}, QoS ${s.qos}, started ${new Date(s.timing.startedAt).toISOString()}`,
    params: input.params,
    figures,
    charts,
    tables,
  };
}
