/**
 * Serialises writes of a changing value and coalesces bursts: `save()` resolves once a write that
 * started after the call has finished. At most one write runs at a time; every `save()` made while a
 * write runs shares the single next write, whose snapshot is taken when it starts (so it includes
 * every change made before those calls).
 */
export class CoalescingWriter {
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  writes = 0;

  constructor(private readonly write: () => Promise<void>) {}

  save(): Promise<void> {
    if (!this.running) {
      this.running = this.run();
      return this.running;
    }
    if (!this.queued) {
      this.queued = this.running.then(
        () => this.startQueued(),
        () => this.startQueued(),
      );
    }
    return this.queued;
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    this.running = this.run();
    return this.running;
  }

  private async run(): Promise<void> {
    try {
      this.writes++;
      await this.write();
    } finally {
      // only clear if no queued write has replaced us
      if (!this.queued) this.running = undefined;
    }
  }

  /** Waits for any write in progress or queued. */
  async idle(): Promise<void> {
    while (this.running || this.queued) {
      await (this.queued ?? this.running)?.catch(() => undefined);
    }
  }
}
