// Reading what a sender printed: elf's `send --json` summary, or the device-SDK peer's one line
// (bench/sdk-fleet.mjs), into one shape.

/** The last JSON object in a process's stdout (a line starting with `{` to the end). */
export function lastJson(text) {
  const t = text.trim();
  for (let i = t.lastIndexOf('{'); i >= 0; i = t.lastIndexOf('{', i - 1)) {
    if (i === 0 || t[i - 1] === '\n') {
      try {
        return JSON.parse(t.slice(i));
      } catch {
        /* keep looking */
      }
    }
  }
  return undefined;
}

/** elf's `send --json` summary or the SDK peer's line, as { connected, allConnectedMs, scheduled, sent, acked, failed, late }. */
export function normalize(s) {
  if (!s) return undefined;
  if (s.totals) {
    return { connected: s.connected, allConnectedMs: s.allConnectedMs, scheduled: s.totals.scheduled, sent: s.totals.sent, acked: s.totals.acked, failed: s.totals.failed, late: s.totals.late, unacked: s.totals.unacked };
  }
  return s;
}

/**
 * Lost at QoS 1: messages the broker acknowledged that the independent subscriber never got.
 * Publishes the broker never acknowledged (still in flight when the run's drain ended) are not
 * "lost" by the broker: the sender reports them as unacknowledged, and they are counted apart.
 */
export function lostOf(s, delivered) {
  if (!s || delivered === undefined) return undefined;
  return Math.max(0, (s.acked ?? 0) - delivered);
}
