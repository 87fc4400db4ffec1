/**
 * A cheap log-scale latency histogram: 8 buckets per power of two of microseconds (≈9 % wide),
 * fixed memory (a few hundred counters), O(1) record. Quantiles are bucket midpoints, which is
 * plenty for p50/p99 of acknowledgement latency.
 */
const PER_OCTAVE = 8;
const BUCKETS = 40 * PER_OCTAVE; // up to 2^40 µs ≈ 12 days

/** A histogram as JSON: [bucket, count] pairs of the non-empty buckets. */
export interface SerializedHistogram {
  perOctave: number;
  maxMs: number;
  buckets: Array<[number, number]>;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKETS);
  private n = 0;
  private maxMs = 0;

  record(ms: number): void {
    const us = Math.max(1, ms * 1000);
    const i = Math.min(BUCKETS - 1, Math.floor(Math.log2(us) * PER_OCTAVE));
    this.counts[i]!++;
    this.n++;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** empties it (reused, e.g. for each second of a timeline) */
  clear(): void {
    this.counts.fill(0);
    this.n = 0;
    this.maxMs = 0;
  }

  get count(): number {
    return this.n;
  }

  get max(): number {
    return this.maxMs;
  }

  /** q in [0, 1]; undefined when empty */
  quantile(q: number): number | undefined {
    if (this.n === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.n));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const mid = 2 ** ((i + 0.5) / PER_OCTAVE) / 1000;
        return Math.min(mid, this.maxMs);
      }
    }
    return this.maxMs;
  }

  /** The non-empty buckets, for a JSON summary that another process can merge exactly. */
  toJSON(): SerializedHistogram {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]! > 0) buckets.push([i, this.counts[i]!]);
    return { perOctave: PER_OCTAVE, maxMs: this.maxMs, buckets };
  }

  static fromJSON(h: SerializedHistogram): LatencyHistogram {
    if (h.perOctave !== PER_OCTAVE) throw new RangeError(`a histogram with ${h.perOctave} buckets per octave cannot be merged with ${PER_OCTAVE}`);
    const out = new LatencyHistogram();
    for (const [i, c] of h.buckets) {
      if (!Number.isInteger(i) || i < 0 || i >= BUCKETS || !(c >= 0)) throw new RangeError(`histogram bucket [${i}, ${c}] is out of range`);
      out.counts[i]! += c;
      out.n += c;
    }
    out.maxMs = h.maxMs;
    return out;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.n += other.n;
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }
}
