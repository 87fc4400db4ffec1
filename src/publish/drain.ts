import type { RunState } from './run-state.js';
import { endTime } from './schedule.js';
import { summarize, type SendSummary, type StopReason } from './summary.js';

/** how long closing a connection may take at the end */
const CLOSE_TIMEOUT_MS = 2000;

/**
 * The end of a run, once every thing's loop has ended: why it ended, a bounded wait for
 * outstanding acknowledgements, every connection closed, the summary.
 */
export async function drain(run: RunState): Promise<SendSummary> {
  const stopReason = (run.stopReason ??= endReason(run));
  const scheduleEnd = run.clock.now();
  await waitForAcks(run, stopReason, scheduleEnd);
  const drainMs = run.clock.now() - scheduleEnd;
  await Promise.all(run.conns.map((c) => c?.close(CLOSE_TIMEOUT_MS)));
  return summary(run, stopReason, drainMs);
}

/** Nothing stopped the run: it ended with its things' loops. */
function endReason(run: RunState): StopReason {
  const { ends } = run;
  return ends.includes('duration') ? 'duration' : ends.every((e) => e === 'count') ? 'count' : 'end-of-input';
}

/**
 * Waits for outstanding acknowledgements, up to `drainTimeoutMs` (not at all after giving up on
 * the broker); a run with --duration lasts its duration, even when its last slots came earlier.
 */
async function waitForAcks(run: RunState, stopReason: StopReason, scheduleEnd: number): Promise<void> {
  const { clock, stats } = run;
  const drainUntil = scheduleEnd + (stopReason === 'gave-up' ? 0 : run.settings.drainTimeoutMs);
  const runEnd = stopReason === 'duration' ? endTime(run.spec) : 0;
  while ((stats.some((s) => s.inflight > 0) && clock.now() < drainUntil) || clock.now() < runEnd) {
    await clock.sleep(Math.max(1, Math.min(50, Math.max(drainUntil, runEnd) - clock.now())));
  }
}

function summary(run: RunState, stopReason: StopReason, drainMs: number): SendSummary {
  const { firstSendMs, lastSettleMs } = run;
  return summarize({
    stats: run.stats,
    protocol: run.opts.protocol,
    qos: run.settings.qos,
    startMs: run.startMs,
    startedAt: run.startedAt,
    ...(firstSendMs !== undefined ? { firstSendMs, lastSettleMs } : {}),
    elapsedMs: run.clock.now() - run.startMs,
    sendingMs: Math.max(0, lastSettleMs - (firstSendMs ?? lastSettleMs)),
    allConnectedMs: run.health.allConnectedMs,
    drainMs,
    stopReason,
    error: run.error,
    skipped: run.feed.skipped,
    fallbacks: run.feed.fallbacks,
    ...(run.timeline ? { timeline: run.timeline.toJSON() } : {}),
  });
}
