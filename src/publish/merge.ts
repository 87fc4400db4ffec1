import { LatencyHistogram } from './histogram.js';
import { mergeTimelines, type SerializedTimeline } from './timeline.js';
import type { Counts, FailedPart, SendSummary, StopReason, ThingSummary } from './summary.js';

/**
 * Pure: the summary of a whole fleet from the summaries of its parts (the workers of one machine,
 * the shards of many), exactly as one process would have written it for the same run: counts and
 * per-thing rows are added up, latency percentiles are read from the merged histograms (never
 * averaged), times are taken on the wall clock from the earliest start.
 */

/** A part whose process ended without a summary, with its things' names (rows with no figures). */
export type FailedSlot = FailedPart & { names: string[] };

export interface MergeInput {
  /** every part of the fleet in fleet order: per-thing rows are concatenated in this order */
  parts: Array<SendSummary | FailedSlot>;
  /** 'name': rows sorted by thing name, numbers in names compared as numbers (shards deal things out) */
  order?: 'given' | 'name';
}

const isSummary = (p: SendSummary | FailedSlot): p is SendSummary => 'perThing' in p;
const byName = new Intl.Collator('en', { numeric: true });

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The stop reason of the fleet: a failure or an interruption anywhere wins, then the schedule. */
export function mergeStopReason(reasons: StopReason[]): StopReason {
  for (const r of ['input-error', 'gave-up', 'aborted', 'duration'] as const) if (reasons.includes(r)) return r;
  if (reasons.length > 0 && reasons.every((r) => r === 'count')) return 'count';
  return 'end-of-input';
}

function emptyCounts(): Counts {
  return { scheduled: 0, sent: 0, acked: 0, failed: 0, unacked: 0, skipped: 0, late: 0 };
}

function failedRows(f: FailedSlot): ThingSummary[] {
  const why = `${f.part} ${f.signal ? `was killed by ${f.signal}` : `exited with code ${f.exitCode}`}`;
  return f.names.map((name) => ({ name, ...emptyCounts(), connectMs: null, interruptions: 0, lastError: why }));
}

export function mergeSummaries(input: MergeInput): SendSummary {
  const parts = input.parts.filter(isSummary);
  const failed = input.parts.filter((p): p is FailedSlot => !isSummary(p));
  const first = parts[0];
  if (!first) throw new RangeError('no summary to merge');
  const rows = input.parts.flatMap((p) => (isSummary(p) ? p.perThing : failedRows(p)));
  if (input.order === 'name') rows.sort((a, b) => byName.compare(a.name, b.name));
  const totals = emptyCounts();
  const hist = new LatencyHistogram();
  for (const p of parts) {
    for (const k of Object.keys(totals) as Array<keyof Counts>) totals[k] += p.totals[k];
    hist.merge(LatencyHistogram.fromJSON(p.latencyHistogram));
  }
  const start = Math.min(...parts.map((p) => p.timing.startedAt));
  const at = (p: SendSummary, ms: number) => p.timing.startedAt - start + ms;
  const firsts = parts.filter((p) => p.timing.firstPublishMs !== null).map((p) => at(p, p.timing.firstPublishMs!));
  const lasts = parts.filter((p) => p.timing.lastSettleMs !== null).map((p) => at(p, p.timing.lastSettleMs!));
  const firstPublish = firsts.length > 0 ? Math.min(...firsts) : null;
  const lastSettle = lasts.length > 0 ? Math.max(...lasts) : null;
  const sendingMs = firstPublish !== null && lastSettle !== null ? Math.max(0, lastSettle - firstPublish) : 0;
  const failedThings = failed.reduce((a, f) => a + f.names.length, 0);
  const allConnected = failedThings === 0 && parts.every((p) => p.allConnectedMs !== null) ? Math.max(...parts.map((p) => at(p, p.allConnectedMs!))) : null;
  const p50 = hist.quantile(0.5);
  const p99 = hist.quantile(0.99);
  const skipped = parts.reduce((best, p) => (p.skippedLines.count > best.count ? p.skippedLines : best), first.skippedLines);
  const error = parts.find((p) => p.error)?.error;
  const qos = first.qos;
  const timelines = parts.map((p) => p.timeline).filter((t): t is SerializedTimeline => t !== undefined);
  const timeline = timelines.length > 0 ? mergeTimelines(timelines) : undefined;
  return {
    protocol: first.protocol,
    qos,
    things: parts.reduce((a, p) => a + p.things, 0) + failedThings,
    connected: parts.reduce((a, p) => a + p.connected, 0),
    stopReason: mergeStopReason(parts.map((p) => p.stopReason)),
    ...(error ? { error } : {}),
    elapsedMs: Math.round(Math.max(...parts.map((p) => at(p, p.elapsedMs)))),
    allConnectedMs: allConnected === null ? null : Math.round(allConnected),
    drainMs: Math.max(...parts.map((p) => p.drainMs)),
    totals,
    msgsPerSec: sendingMs > 0 ? round((totals.acked * 1000) / sendingMs) : 0,
    latencyMs: p50 === undefined || p99 === undefined ? null : { p50: round(p50, 2), p99: round(p99, 2), max: round(hist.max, 2) },
    // every part reads the whole input, so each saw the same skipped lines
    skippedLines: skipped,
    duplicates: qos === 1 ? { possible: parts.reduce((a, p) => a + (p.duplicates?.possible ?? 0), 0) } : null,
    fallbackReaders: parts.reduce((a, p) => a + p.fallbackReaders, 0),
    perThing: rows,
    timing: { startedAt: start, firstPublishMs: firstPublish === null ? null : round(firstPublish, 3), lastSettleMs: lastSettle === null ? null : round(lastSettle, 3) },
    latencyHistogram: hist.toJSON(),
    ...(timeline ? { timeline } : {}),
    ...(failed.length > 0 || parts.some((p) => p.failedParts?.length)
      ? { failedParts: [...parts.flatMap((p) => p.failedParts ?? []), ...failed.map(({ names: _names, ...f }) => f)] }
      : {}),
  };
}
