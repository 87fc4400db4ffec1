import type { SendDone } from './types.js';

/**
 * Completion of publishes handed to the CRT without a callback of their own.
 *
 * A publish with a callback costs the CRT binding a Node thread-safe function: a libuv async
 * handle, created for the call and closed when it completes. libuv walks every async handle of the
 * loop each time one of them is signalled, so with 10,000 connections (4 handles each) and a
 * completion per message, the main thread spent 61% of its time in that walk (perf, bench/
 * scenario 2) and could not connect the fleet in time. So publishes may carry no callback:
 *
 * - QoS 0 ones never do (but the sync points of qos0-gate.ts); QoS 1 ones of a paced fleet only
 *   as a sample (completion-poller.ts), the others are counted;
 * - the client's `incompleteOperationCount` (getOperationalStatistics) tells how many of the
 *   publishes issued so far are still open, so the oldest `issued - incomplete` are complete.
 *   PUBACKs come in the order of the PUBLISHes (MQTT 3.1.1 §4.6), and QoS 0 ones complete when
 *   written, in order too: counting from the oldest attributes each completion to its publish.
 *
 * The connection reads the count when a sampled publish completes (it woke up anyway) and on a
 * timer while publishes are open. A sampled completion is `timed`: its latency is the message's
 * own; a counted one is not (it was noticed late), so only sampled ones feed latency figures.
 *
 * Pure bookkeeping: no I/O, no clock.
 */
export type Completion = SendDone;

export class CompletionQueue {
  /** one entry per issued publish, oldest at `head`; undefined when resolved elsewhere */
  private entries: Array<Completion | undefined> = [];
  private head = 0;
  private issued = 0;
  /** entries counted complete so far (= head plus the compacted ones) */
  private counted = 0;
  private open = 0;

  /** publishes waiting for the count to reach them */
  get waiting(): number {
    return this.open;
  }

  /** records a publish just handed to the client; `done` undefined: it is resolved by its own callback */
  issue(done: Completion | undefined): void {
    this.issued++;
    this.entries.push(done);
    if (done) this.open++;
  }

  /**
   * The client says `incomplete` publishes are still open: the oldest others are done. Returns how
   * many waiting publishes it resolved.
   */
  settle(incomplete: number): number {
    const complete = this.issued - Math.max(0, incomplete);
    let resolved = 0;
    while (this.counted < complete && this.head < this.entries.length) {
      const done = this.entries[this.head];
      this.entries[this.head++] = undefined;
      this.counted++;
      if (done) {
        this.open--;
        resolved++;
        done(undefined, false);
      }
    }
    this.compact();
    return resolved;
  }

  private compact(): void {
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}
