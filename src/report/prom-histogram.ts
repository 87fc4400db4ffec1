import { Histogram, type Registry } from 'prom-client';
import type { SerializedHistogram } from '../publish/histogram.js';

/** Prometheus buckets of the acknowledgement latency, in seconds (1 ms .. 10 s). */
export const LATENCY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Pure: elf's log-scale latency histogram (8 buckets per octave of µs, ≈9 % wide) as Prometheus's
 * cumulative `le` buckets. Each elf bucket counts under the first `le` at or above its upper edge,
 * so a count can sit one Prometheus bucket high by at most 9 % of its value; the sum uses bucket
 * midpoints, as elf's own p50/p99 do.
 */
export function promBuckets(h: SerializedHistogram, bounds: number[] = LATENCY_BUCKETS_SECONDS): { le: number[]; cumulative: number[]; count: number; sumSeconds: number } {
  const counts = new Array<number>(bounds.length + 1).fill(0);
  let sum = 0;
  let n = 0;
  for (const [i, c] of h.buckets) {
    const upperSeconds = 2 ** ((i + 1) / h.perOctave) / 1e6;
    const mid = Math.min(2 ** ((i + 0.5) / h.perOctave) / 1e6, h.maxMs / 1000);
    let b = bounds.findIndex((le) => upperSeconds <= le);
    if (b < 0) b = bounds.length;
    counts[b]! += c;
    sum += mid * c;
    n += c;
  }
  const cumulative: number[] = [];
  let acc = 0;
  for (const c of counts) cumulative.push((acc += c));
  return { le: bounds, cumulative, count: n, sumSeconds: sum };
}

/**
 * A prom-client Histogram whose values are read from elf's own histogram when scraped: nothing is
 * observed on the publish path (one `record()` per acknowledgement is all the run pays, as before).
 * prom-client has no call to load bucket counts, so this answers both ways a registry reads a
 * histogram: `get()` (JSON, typed) and `getForPromString()` (the text format; prom-client 15's
 * registry prefers it when present). test/unit/metrics.test.ts reads the text back.
 */
export class MirroredHistogram extends Histogram {
  constructor(
    private readonly cfg: { name: string; help: string; registers: Registry[] },
    private readonly read: () => SerializedHistogram,
  ) {
    super({ ...cfg, buckets: LATENCY_BUCKETS_SECONDS });
  }

  override async get(): ReturnType<Histogram['get']> {
    const { name, help } = this.cfg;
    // prom-client's types name the type with an enum its JavaScript does not export; it uses the string
    const shape = { name, help, type: 'histogram', aggregator: 'sum' as const, collect: () => undefined };
    return { ...(shape as unknown as Omit<Awaited<ReturnType<Histogram['get']>>, 'values'>), values: this.values() };
  }

  async getForPromString(): ReturnType<Histogram['get']> {
    return this.get();
  }

  private values() {
    const b = promBuckets(this.read());
    const { name } = this.cfg;
    const values = [
      ...b.le.map((le, i) => ({ labels: { le }, value: b.cumulative[i]!, metricName: `${name}_bucket` })),
      { labels: { le: '+Inf' }, value: b.count, metricName: `${name}_bucket` },
      { labels: {}, value: b.sumSeconds, metricName: `${name}_sum` },
      { labels: {}, value: b.count, metricName: `${name}_count` },
    ];
    return values;
  }
}
