import type { RunState } from './run-state.js';
import type { Progress } from './summary.js';

/** Reports the run's figures every `progressEveryMs` (the CLI draws them; the run only counts). */
export class ProgressReporter {
  private last: { at: number; acked: number };

  constructor(
    private readonly run: RunState,
    private readonly onProgress: ((p: Progress) => void) | undefined,
  ) {
    this.last = { at: run.startMs, acked: 0 };
  }

  /** Called by the run's watch a few times a second: reports when a report is due. */
  tick(): void {
    if (this.onProgress && this.run.clock.now() - this.last.at >= this.run.settings.progressEveryMs - 5) this.onProgress(this.snapshot());
  }

  /** The figures now, the rate since the previous snapshot. */
  snapshot(): Progress {
    let sent = 0, acked = 0, failed = 0, skipped = 0, inflight = 0;
    for (const s of this.run.stats) {
      sent += s.sent;
      acked += s.acked;
      failed += s.failed;
      skipped += s.skipped;
      inflight += s.inflight;
    }
    const now = this.run.clock.now();
    const rate = now > this.last.at ? ((acked - this.last.acked) * 1000) / (now - this.last.at) : 0;
    this.last = { at: now, acked };
    const { things } = this.run.settings;
    return { elapsedMs: now - this.run.startMs, things, connected: this.run.health.connectedNow, sent, acked, failed, skipped, inflight, ratePerSec: rate };
  }
}
