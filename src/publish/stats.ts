import { LatencyHistogram } from './histogram.js';

/** Counters of one thing, updated by its device loop. */
export class ThingStats {
  /** slots that came due and took a line */
  scheduled = 0;
  /** publishes handed to the client */
  sent = 0;
  /** QoS 1: PUBACK received; QoS 0: written to the socket */
  acked = 0;
  /** publishes the client gave up on */
  failed = 0;
  /** lines not sent by this thing (over the payload limit, or the scenario's generator failed on them) */
  skipped = 0;
  /** publishes handed to the client more than 100 ms after their slot (interval > 0 only) */
  late = 0;
  /** --shadow-every: shadow updates acknowledged (not counted in sent/acked) */
  shadowUpdates = 0;
  /** publishes waiting for their acknowledgement */
  inflight = 0;
  /** ms from the first connection attempt to the first CONNACK */
  connectMs: number | undefined;
  connectAttempts = 0;
  interruptions = 0;
  /** connections that came back after an interruption */
  reconnects = 0;
  /**
   * QoS 1: messages sent but not yet acknowledged when a connection dropped. The client resends them
   * (with DUP) after it reconnects, so the broker may get them twice.
   */
  maybeDuplicated = 0;
  connected = false;
  lastError: string | undefined;
  readonly latency = new LatencyHistogram();

  constructor(readonly name: string) {}
}
