/**
 * Backpressure for QoS 0 on the MQTT 3.1.1 client.
 *
 * The CRT's 3.1.1 client completes a QoS 0 publish as soon as the packet is handed to its channel,
 * not when the bytes leave: when the broker reads slower than elf publishes, the packets pile up in
 * the CRT's socket write queue (native memory, unbounded) while every publish promise has already
 * resolved, so a window of outstanding promises bounds nothing (measured: RSS +100 MB/s with the
 * broker stopped; 1.39 GB after 2.3 M lines of a 1 GB file). QoS 0 has no acknowledgement, and the
 * 3.1.1 client exposes neither write completions nor its socket queue (`getOperationalStatistics()`
 * counts a QoS 0 publish as complete once queued).
 *
 * The gate: every `syncEveryMessages` messages or `syncEveryBytes` bytes, one message goes at QoS 1
 * (a sync point). Its PUBACK proves the broker has read every byte before it (one TCP stream, in
 * order), so the messages up to it leave the "unconfirmed" count. No message is handed to the client
 * while `maxMessages` / `maxBytes` are unconfirmed — except when no sync point is outstanding, so the
 * gate can never wait for an acknowledgement that is not coming (a message larger than maxBytes
 * still goes). About 1 in `syncEveryMessages` messages is thus delivered at least once instead of at
 * most once; the MQTT 5 client needs none of this (it completes QoS 0 on the socket write).
 *
 * Pure bookkeeping: no I/O, no clock; the connection calls it.
 */
export interface Qos0GateOptions {
  syncEveryMessages: number;
  syncEveryBytes: number;
  maxMessages: number;
  maxBytes: number;
}

export const QOS0_GATE_DEFAULTS: Qos0GateOptions = {
  syncEveryMessages: 128,
  syncEveryBytes: 64 * 1024,
  maxMessages: 1024,
  maxBytes: 512 * 1024,
};

export class Qos0Gate {
  private readonly o: Qos0GateOptions;
  private unconfirmedMessages = 0;
  private unconfirmedBytes = 0;
  private sinceSyncMessages = 0;
  private sinceSyncBytes = 0;
  private lastId = 0;
  /** outstanding sync points, oldest first, each with the messages up to it since the one before */
  private readonly syncs: Array<{ id: number; messages: number; bytes: number }> = [];

  constructor(options: Partial<Qos0GateOptions> = {}) {
    this.o = { ...QOS0_GATE_DEFAULTS, ...options };
    if (this.o.syncEveryMessages > this.o.maxMessages || this.o.syncEveryBytes > this.o.maxBytes) {
      throw new RangeError('a sync point must come before the bound is reached');
    }
  }

  /** messages handed to the client that the broker has not provably read */
  get unconfirmed(): { messages: number; bytes: number; syncs: number } {
    return { messages: this.unconfirmedMessages, bytes: this.unconfirmedBytes, syncs: this.syncs.length };
  }

  /** may a message of `bytes` be handed to the client now? */
  canSend(bytes: number): boolean {
    if (this.syncs.length === 0) return true;
    return this.unconfirmedMessages + 1 <= this.o.maxMessages && this.unconfirmedBytes + bytes <= this.o.maxBytes;
  }

  /**
   * Records a message handed to the client. Returns a sync id when this message is a sync point (to
   * be published at QoS 1, then `settled(id)`), else undefined (QoS 0).
   */
  sent(bytes: number): number | undefined {
    this.unconfirmedMessages++;
    this.unconfirmedBytes += bytes;
    this.sinceSyncMessages++;
    this.sinceSyncBytes += bytes;
    if (this.sinceSyncMessages < this.o.syncEveryMessages && this.sinceSyncBytes < this.o.syncEveryBytes) return undefined;
    const id = ++this.lastId;
    this.syncs.push({ id, messages: this.sinceSyncMessages, bytes: this.sinceSyncBytes });
    this.sinceSyncMessages = 0;
    this.sinceSyncBytes = 0;
    return id;
  }

  /**
   * A sync point was acknowledged — or failed (then nothing more is known, but waiting would never
   * end): it and every earlier one release their messages.
   */
  settled(id: number): void {
    while (this.syncs.length > 0 && this.syncs[0]!.id <= id) {
      const s = this.syncs.shift()!;
      this.unconfirmedMessages -= s.messages;
      this.unconfirmedBytes -= s.bytes;
    }
  }
}
