import type { Protocol, QoS } from '../mqtt/index.js';
import type { SkipReport } from './fanout.js';
import { LatencyHistogram, type SerializedHistogram } from './histogram.js';
import type { ThingStats } from './stats.js';
import type { SerializedTimeline } from './timeline.js';

export type StopReason = 'duration' | 'count' | 'end-of-input' | 'aborted' | 'gave-up' | 'input-error';

export interface Counts {
  /** slots that came due and took a line */
  scheduled: number;
  /** publishes handed to the client */
  sent: number;
  /** QoS 1: acknowledged by the broker; QoS 0: written */
  acked: number;
  /** given up by the client */
  failed: number;
  /** sent but neither acknowledged nor failed when the run ended */
  unacked: number;
  /** lines not sent (over the payload limit) */
  skipped: number;
  /** handed to the client more than 100 ms after their slot */
  late: number;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface ThingSummary extends Counts {
  name: string;
  /** ms from the first attempt to the first CONNACK; null if it never connected */
  connectMs: number | null;
  interruptions: number;
  lastError?: string;
}

export interface SendSummary {
  protocol: Protocol;
  qos: QoS;
  things: number;
  /** things that connected at least once */
  connected: number;
  stopReason: StopReason;
  /** set when the run ended on an error (e.g. gave up on an unreachable broker) */
  error?: string;
  elapsedMs: number;
  /** ms from the start until the last thing connected; null if some never did */
  allConnectedMs: number | null;
  /** ms spent waiting for outstanding acknowledgements at the end */
  drainMs: number;
  totals: Counts;
  /** acknowledged (QoS 0: written) messages per second, first publish to last acknowledgement */
  msgsPerSec: number;
  /** QoS 1 acknowledgement latency, ms */
  latencyMs: Latency | null;
  /** input lines the source could not turn into messages (first pass) */
  skippedLines: SkipReport;
  /**
   * A publisher cannot see duplicates, but it knows how many QoS 1 messages were in flight when a
   * connection dropped and were resent (with DUP) after the reconnect: each of those may arrive twice.
   * (Brokers and subscribers can add redeliveries of their own.) null at QoS 0, which never resends.
   */
  duplicates: { possible: number } | null;
  /** readers that fell out of the shared window and read the input privately */
  fallbackReaders: number;
  perThing: ThingSummary[];
  /**
   * When the run started (ms since the epoch) and, from then, the first publish and the last
   * acknowledgement: what summaries of several processes need to be merged exactly (merge.ts).
   */
  timing: { startedAt: number; firstPublishMs: number | null; lastSettleMs: number | null };
  /** the acknowledgement latencies themselves (latencyMs is read from it), mergeable */
  latencyHistogram: SerializedHistogram;
  /** parts of the fleet (workers, shards) whose process failed: their things' figures are missing */
  failedParts?: FailedPart[];
  /** the run second by second (with `--report`), mergeable */
  timeline?: SerializedTimeline;
}

/** A worker or shard that ended without its summary. */
export interface FailedPart {
  /** e.g. "worker 2" or "shard 1/4" */
  part: string;
  things: number;
  firstThing: string;
  lastThing: string;
  exitCode: number | null;
  signal: string | null;
  error?: string;
}

export interface SummaryInput {
  stats: ThingStats[];
  protocol: Protocol;
  qos: QoS;
  startMs: number;
  /** wall-clock ms since the epoch at startMs */
  startedAt?: number;
  /** clock times (as startMs) of the first publish and the last acknowledgement */
  firstSendMs?: number;
  lastSettleMs?: number;
  elapsedMs: number;
  sendingMs: number;
  allConnectedMs: number | undefined;
  drainMs: number;
  stopReason: StopReason;
  error?: string;
  skipped: SkipReport;
  fallbacks: number;
  timeline?: SerializedTimeline;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

export function summarize(input: SummaryInput): SendSummary {
  const totals: Counts = { scheduled: 0, sent: 0, acked: 0, failed: 0, unacked: 0, skipped: 0, late: 0 };
  const hist = new LatencyHistogram();
  const perThing: ThingSummary[] = input.stats.map((s) => {
    const t: ThingSummary = {
      name: s.name,
      scheduled: s.scheduled,
      sent: s.sent,
      acked: s.acked,
      failed: s.failed,
      unacked: Math.max(0, s.sent - s.acked - s.failed),
      skipped: s.skipped,
      late: s.late,
      connectMs: s.connectMs === undefined ? null : Math.round(s.connectMs),
      interruptions: s.interruptions,
    };
    if (s.lastError && (s.connectMs === undefined || s.failed > 0)) t.lastError = s.lastError;
    for (const k of Object.keys(totals) as Array<keyof Counts>) totals[k] += t[k];
    hist.merge(s.latency);
    return t;
  });
  const p50 = hist.quantile(0.5);
  const p99 = hist.quantile(0.99);
  return {
    protocol: input.protocol,
    qos: input.qos,
    things: input.stats.length,
    connected: perThing.filter((t) => t.connectMs !== null).length,
    stopReason: input.stopReason,
    ...(input.error ? { error: input.error } : {}),
    elapsedMs: Math.round(input.elapsedMs),
    allConnectedMs: input.allConnectedMs === undefined ? null : Math.round(input.allConnectedMs),
    drainMs: Math.round(input.drainMs),
    totals,
    msgsPerSec: input.sendingMs > 0 ? round((totals.acked * 1000) / input.sendingMs) : 0,
    latencyMs: p50 === undefined || p99 === undefined ? null : { p50: round(p50, 2), p99: round(p99, 2), max: round(hist.max, 2) },
    skippedLines: input.skipped,
    duplicates: input.qos === 1 ? { possible: input.stats.reduce((a, st) => a + st.maybeDuplicated, 0) } : null,
    fallbackReaders: input.fallbacks,
    perThing,
    timing: {
      startedAt: Math.round(input.startedAt ?? Date.now() - input.elapsedMs),
      firstPublishMs: input.firstSendMs === undefined ? null : round(input.firstSendMs - input.startMs, 3),
      lastSettleMs: input.lastSettleMs === undefined || input.firstSendMs === undefined ? null : round(input.lastSettleMs - input.startMs, 3),
    },
    latencyHistogram: hist.toJSON(),
    ...(input.timeline ? { timeline: input.timeline } : {}),
  };
}

export function renderJson(s: SendSummary): string {
  return JSON.stringify(s, null, 2) + '\n';
}

const fmt = (n: number) => n.toLocaleString('en-US');

/** The end-of-run summary for a terminal. Per-thing rows when there are at most `maxRows` things. */
export function renderText(s: SendSummary, opts: { maxRows?: number } = {}): string {
  const maxRows = opts.maxRows ?? 20;
  const ackWord = s.qos === 1 ? 'acked' : 'written';
  const lines: string[] = [];
  const t = s.totals;
  lines.push(
    `elf send: ${fmt(s.things)} thing${s.things === 1 ? '' : 's'} (${fmt(s.connected)} connected), MQTT ${s.protocol}, QoS ${s.qos}, ` +
      `${(s.elapsedMs / 1000).toFixed(1)} s, stopped by ${s.stopReason}`,
  );
  if (s.error) lines.push(`error: ${s.error}`);
  lines.push(
    `messages: ${fmt(t.sent)} sent, ${fmt(t.acked)} ${ackWord}, ${fmt(t.failed)} failed, ${fmt(t.unacked)} un${ackWord}, ${fmt(t.late)} late (>100 ms)` +
      // the input lines the source skipped are counted below; these grew too large once fields were added
      (t.skipped > 0 ? `, ${fmt(t.skipped)} not sent (over AWS's payload limit with the added fields)` : ''),
  );
  lines.push(`rate: ${fmt(s.msgsPerSec)} msg/s` + (s.latencyMs ? `; ack latency p50 ${s.latencyMs.p50} ms, p99 ${s.latencyMs.p99} ms, max ${s.latencyMs.max} ms` : ''));
  if (s.duplicates && s.duplicates.possible > 0) {
    lines.push(`possible duplicates: ${fmt(s.duplicates.possible)} (in flight when a connection dropped, resent after it came back)`);
  }
  lines.push(`connect: ${s.allConnectedMs === null ? `${fmt(s.things - s.connected)} never connected` : `all connected in ${(s.allConnectedMs / 1000).toFixed(2)} s`}`);
  for (const f of s.failedParts ?? []) {
    lines.push(`${f.part} failed (${fmt(f.things)} things, ${f.firstThing}..${f.lastThing}): ${f.signal ? `killed by ${f.signal}` : `exit code ${f.exitCode}`}${f.error ? `: ${f.error}` : ''}`);
  }
  if (s.skippedLines.count > 0) {
    lines.push(`skipped input lines: ${fmt(s.skippedLines.count)}`);
    for (const e of s.skippedLines.examples) lines.push(`  line ${e.line}: ${e.reason}`);
    if (s.skippedLines.count > s.skippedLines.examples.length) lines.push(`  ... and ${fmt(s.skippedLines.count - s.skippedLines.examples.length)} more`);
  }
  if (s.perThing.length <= maxRows) {
    const w = Math.max(5, ...s.perThing.map((p) => p.name.length));
    const tooBig = t.skipped > 0;
    lines.push(`${'thing'.padEnd(w)}  ${'sent'.padStart(8)}  ${ackWord.padStart(8)}  ${'failed'.padStart(6)}  ${tooBig ? `${'too big'.padStart(7)}  ` : ''}${'connect'.padStart(8)}`);
    for (const p of s.perThing) {
      lines.push(
        `${p.name.padEnd(w)}  ${fmt(p.sent).padStart(8)}  ${fmt(p.acked).padStart(8)}  ${fmt(p.failed).padStart(6)}  ${tooBig ? `${fmt(p.skipped).padStart(7)}  ` : ''}${(p.connectMs === null ? '-' : `${p.connectMs} ms`).padStart(8)}` +
          (p.lastError ? `  ${p.lastError}` : ''),
      );
    }
  }
  return lines.join('\n') + '\n';
}

export interface Progress {
  elapsedMs: number;
  things: number;
  connected: number;
  sent: number;
  acked: number;
  failed: number;
  skipped: number;
  inflight: number;
  /** acknowledged per second since the previous progress report */
  ratePerSec: number;
}

/** One status line for a TTY (the CLI rewrites it in place with \r). */
export function renderStatusLine(p: Progress): string {
  return (
    `${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s  connected ${fmt(p.connected)}/${fmt(p.things)}  ` +
    `sent ${fmt(p.sent)}  acked ${fmt(p.acked)}  failed ${fmt(p.failed)}  ${fmt(Math.round(p.ratePerSec))} msg/s`
  );
}
