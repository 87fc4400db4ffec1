import { LatencyHistogram, type SerializedHistogram } from './histogram.js';

/**
 * A run second by second (`--report`): messages sent, acknowledged and failed, acknowledgement
 * latency, connections made, dropped and resumed, in seconds of the wall clock (epoch seconds), so
 * the timelines of workers and shards merge exactly: counts are added and histograms merged second
 * by second, as the summary's totals and histogram are.
 *
 * Cheap on the publish path: an event is an index computed from a clock reading the caller already
 * has and a counter incremented in an array that grows once a second; the latency histogram of the
 * current second is written out (sparse) when the next second begins. No allocation per message.
 */
export interface SerializedTimeline {
  /** epoch second of index 0 */
  startSec: number;
  sent: number[];
  acked: number[];
  failed: number[];
  /** first connections of things */
  connects: number[];
  /** connections interrupted */
  drops: number[];
  /** connections back after an interruption */
  reconnects: number[];
  /** QoS 1 acknowledgement latency of each second; null for a second without one */
  latency: Array<SerializedHistogram | null>;
}

const SERIES = ['sent', 'acked', 'failed', 'connects', 'drops', 'reconnects'] as const;
type Series = (typeof SERIES)[number];

export class RunTimeline {
  private readonly originMs: number;
  private readonly startSec: number;
  private readonly counts: Record<Series, number[]> = { sent: [], acked: [], failed: [], connects: [], drops: [], reconnects: [] };
  private readonly latency: Array<SerializedHistogram | null> = [];
  private readonly current = new LatencyHistogram();
  private currentSec = -1;

  /** `startMs` on the run's clock is `startedAt` on the wall clock (ms since the epoch). */
  constructor(startMs: number, startedAt: number) {
    this.startSec = Math.floor(startedAt / 1000);
    // clock ms at the start of the wall-clock second the run started in
    this.originMs = startMs - (startedAt - this.startSec * 1000);
  }

  private index(nowMs: number): number {
    return Math.max(0, Math.floor((nowMs - this.originMs) / 1000));
  }

  private add(series: Series, nowMs: number): void {
    const a = this.counts[series];
    const i = this.index(nowMs);
    while (a.length <= i) a.push(0);
    a[i]!++;
  }

  sent(nowMs: number): void {
    this.add('sent', nowMs);
  }

  /** an acknowledgement (QoS 0: written) at nowMs; `latencyMs` for QoS 1 */
  acked(nowMs: number, latencyMs?: number): void {
    this.add('acked', nowMs);
    if (latencyMs === undefined) return;
    const i = this.index(nowMs);
    if (i !== this.currentSec) this.flush(i);
    this.current.record(latencyMs);
  }

  failed(nowMs: number): void {
    this.add('failed', nowMs);
  }

  connected(nowMs: number): void {
    this.add('connects', nowMs);
  }

  dropped(nowMs: number): void {
    this.add('drops', nowMs);
  }

  resumed(nowMs: number): void {
    this.add('reconnects', nowMs);
  }

  /** writes out the current second's latencies; moves on to second `next` */
  private flush(next: number): void {
    if (this.currentSec >= 0 && this.current.count > 0) {
      while (this.latency.length <= this.currentSec) this.latency.push(null);
      this.latency[this.currentSec] = this.current.toJSON();
    }
    if (next === this.currentSec) return;
    this.current.clear();
    this.currentSec = next;
  }

  toJSON(): SerializedTimeline {
    this.flush(this.currentSec);
    const len = Math.max(this.latency.length, ...SERIES.map((s) => this.counts[s].length));
    const pad = <T>(a: T[], fill: T) => [...a, ...new Array<T>(len - a.length).fill(fill)];
    return {
      startSec: this.startSec,
      sent: pad(this.counts.sent, 0),
      acked: pad(this.counts.acked, 0),
      failed: pad(this.counts.failed, 0),
      connects: pad(this.counts.connects, 0),
      drops: pad(this.counts.drops, 0),
      reconnects: pad(this.counts.reconnects, 0),
      latency: pad(this.latency, null),
    };
  }
}

/** Pure: one timeline from several (workers, shards), second by second on the wall clock. */
export function mergeTimelines(parts: SerializedTimeline[]): SerializedTimeline | undefined {
  if (parts.length === 0) return undefined;
  const startSec = Math.min(...parts.map((p) => p.startSec));
  const len = Math.max(...parts.map((p) => p.startSec - startSec + p.sent.length));
  const zeros = () => new Array<number>(len).fill(0);
  const out: SerializedTimeline = { startSec, sent: zeros(), acked: zeros(), failed: zeros(), connects: zeros(), drops: zeros(), reconnects: zeros(), latency: new Array(len).fill(null) };
  const hists = new Map<number, LatencyHistogram>();
  for (const p of parts) {
    const off = p.startSec - startSec;
    for (const s of SERIES) p[s].forEach((n, i) => (out[s][off + i]! += n));
    p.latency.forEach((h, i) => {
      if (!h) return;
      let m = hists.get(off + i);
      if (!m) hists.set(off + i, (m = new LatencyHistogram()));
      m.merge(LatencyHistogram.fromJSON(h));
    });
  }
  for (const [i, h] of hists) out.latency[i] = h.toJSON();
  return out;
}
