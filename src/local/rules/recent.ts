import type { SinkKind, SinkRows } from './figures.js';

/**
 * The last rows each sink received, kept in memory for the console's Rules page: per sink (an S3
 * bucket, a Firehose or Kinesis stream, a republish topic, an HTTP URL) the newest ROWS_PER_SINK
 * rows, for at most MAX_SINKS sinks (a templated name such as `${topic()}` can make many; the sink
 * written longest ago goes first). Each row's text is cut at ROW_CHARS characters. Bounded
 * whatever the traffic: MAX_SINKS × ROWS_PER_SINK × ROW_CHARS.
 */

export const ROWS_PER_SINK = 10;
export const MAX_SINKS = 50;
export const ROW_CHARS = 1024;

export type { SinkKind, SinkRow, SinkRows } from './figures.js';

export interface RecentLimits {
  rowsPerSink?: number;
  maxSinks?: number;
  rowChars?: number;
}

export class RecentRows {
  /** insertion order = least recently written first */
  private readonly sinks = new Map<string, SinkRows>();
  private readonly rowsPerSink: number;
  private readonly maxSinks: number;
  private readonly rowChars: number;

  constructor(limits: RecentLimits = {}) {
    this.rowsPerSink = limits.rowsPerSink ?? ROWS_PER_SINK;
    this.maxSinks = limits.maxSinks ?? MAX_SINKS;
    this.rowChars = limits.rowChars ?? ROW_CHARS;
  }

  record(kind: SinkKind, name: string, ruleName: string, bytes: Buffer, time: number): void {
    const key = `${kind}\u0000${name}`;
    let sink = this.sinks.get(key);
    if (sink) this.sinks.delete(key);
    else sink = { kind, name, delivered: 0, rows: [] };
    this.sinks.set(key, sink);
    if (this.sinks.size > this.maxSinks) this.sinks.delete(this.sinks.keys().next().value!);
    sink.delivered++;
    // a UTF-8 character is at most 4 bytes: decoding 4 × rowChars bytes is enough for rowChars characters
    const text = bytes.subarray(0, this.rowChars * 4).toString('utf8').slice(0, this.rowChars);
    sink.rows.unshift({ ruleName, time, text, bytes: bytes.length });
    if (sink.rows.length > this.rowsPerSink) sink.rows.length = this.rowsPerSink;
  }

  /** Every sink kept, by kind then name; copies. */
  snapshot(): SinkRows[] {
    return [...this.sinks.values()]
      .map((s) => ({ ...s, rows: [...s.rows] }))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  }
}
